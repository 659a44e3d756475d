"""The twin's ``rabbitmq-panda`` workload: a private node of Debian's real RabbitMQ.

``python -m twin.rabbitmq`` is the pod's process. It reads the twin directory
(``FOCUS_TWIN_DIR``), writes the node's configuration under
``data/rabbitmq-panda/``, runs ``epmd`` and ``rabbitmq-server`` in the foreground
(both stay in the pod's process group, on 127.0.0.1 only), and stops the node
gracefully on SIGTERM.

For tests and tools, the same steps are plain functions:

- :func:`prepare` writes the node's files and returns a :class:`NodeSpec`;
- :func:`run` runs a prepared node until SIGTERM or its death;
- :func:`wait_ready` returns once an authenticated AMQP connection succeeds.
"""

from twin.rabbitmq.files import NodeSpec, TlsListeners, password_hash, prepare
from twin.rabbitmq.node import NotInstalled, StartFailed, run
from twin.rabbitmq.ready import amqp_ready, wait_ready

__all__ = [
    "NodeSpec",
    "NotInstalled",
    "StartFailed",
    "TlsListeners",
    "amqp_ready",
    "password_hash",
    "prepare",
    "run",
    "wait_ready",
]
