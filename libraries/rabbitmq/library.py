"""The ``RabbitMQ`` keyword library: a thin Robot Framework layer over the plain clients."""

from __future__ import annotations

from robot.api.deco import library
from robotlibcore import DynamicCore

from libraries.rabbitmq.keywords.base import new_connections
from libraries.rabbitmq.keywords.connection import ConnectionKeywords
from libraries.rabbitmq.keywords.publishing import PublishingKeywords
from libraries.rabbitmq.keywords.queues import QueueKeywords


@library(scope="GLOBAL", auto_keywords=False)
class RabbitMQ(DynamicCore):
    """Keywords for RabbitMQ over AMQP 0-9-1 (pika) and the management HTTP API (requests).

    The library imports without a broker, so Libdoc runs offline.

    = Table of contents =

    %TOC%

    = Connections =

    `Connect To RabbitMQ` (or `Connect To RabbitMQ With URL`) opens an AMQP connection
    with a channel in publisher-confirm mode, and optionally a management API client.
    Each connection has its own ``timeout`` (socket, AMQP handshake and HTTP requests);
    TLS is verified against the ``ca_bundle``, never switched off. The password is a
    `Secret`; it appears in no log and no failure message. Several connections can be
    open at once under aliases (`Switch RabbitMQ Connection`).

    `Close All RabbitMQ Connections` deletes every queue the library declared and
    closes everything: call it in the suite teardown, so a failed test leaves no queue.

    = Test queues and live systems =

    Every queue `Declare Queue` makes is the test's own: exclusive (a durable one, which
    must survive a broker restart, expires instead), with ``x-expires`` and
    ``x-max-length``, so even a killed run leaves none behind for long and none grows
    without end. `Bind Queue`, `Delete Queue`, `Purge Queue`
    and `Wait For Message` act on such queues only: a queue others use is never read (a
    read takes or reorders their messages), bound or deleted. Rejected alerts are read
    from a private queue bound beside the real ``prisma.alerts.rejected``
    (`Watch Rejected Alerts`, `Wait For Rejected Alert`). `Publish Alert` and the other
    alert keywords refuse the environment's real site id: a test's alerts carry its own.

    = Publishing =

    Every publish is persistent (``delivery_mode=2``), ``mandatory`` and waits for the
    broker's confirm: a keyword returns only once the broker has the message, and fails
    when it is nacked or unroutable. `Publish Alert` validates the alert against the
    contract (pydantic model); `Build Alert` and `Publish Raw Message` send what you
    give them, for invalid input on purpose.

    = Waiting and assertions =

    `Wait For Message` consumes from a test queue until a message matches, and fails
    after its ``timeout`` saying what it waited for and what it saw. Messages that do not
    match are put back.

    `Get Queue Message Count` and `Get Connection Count` are getters that assert when
    given an operator (AssertionEngine, as in Browser library), retrying until
    ``timeout``:

    | `Get Queue Message Count` | ${queue} | ``==`` | 0 |
    | `Get Connection Count` | >= | 1 |

    = Parallel runs =

    Name test queues with a uuid or ``${PABOTQUEUEINDEX}``, and give a test's alerts
    their own ``siteId`` or filter by ``alertId``.

    = Example =

    | ***** Settings *****
    | Library    libraries.rabbitmq.RabbitMQ
    | Suite Teardown    Close All RabbitMQ Connections
    |
    | ***** Test Cases *****
    | Alert Reaches A Test Queue
    |     Connect To RabbitMQ    ${RABBITMQ_HOST}    ${RABBITMQ_PORT}    ${RABBITMQ_USER}
    |     ...    ${RABBITMQ_PASSWORD}    management_url=${RABBITMQ_MGMT_URL}
    |     ${queue} =    Declare Queue    test.${PABOTQUEUEINDEX}
    |     Bind Queue    ${queue}
    |     ${alert} =    Publish Alert    severity=2    siteId=${TEST_SITE_ID}
    |     Wait For Message    ${queue}    contains=${alert}[alertId]
    """

    ROBOT_LIBRARY_VERSION = "1.0"

    def __init__(self) -> None:
        connections = new_connections()
        self._connections = connections
        super().__init__(
            [
                ConnectionKeywords(connections),
                QueueKeywords(connections),
                PublishingKeywords(connections),
            ]
        )
