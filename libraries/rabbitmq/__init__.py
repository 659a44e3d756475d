"""RabbitMQ: Robot Framework keywords for the alert broker (contract section 3).

The plain clients (``client.py``, ``management.py``, ``models.py``) import no Robot
Framework; ``RabbitMQ`` (the keyword library) is loaded on first access, so
``import libraries.rabbitmq.client`` stays Robot-free.
"""

from __future__ import annotations

from typing import Any

__all__ = ["RabbitMQ"]


def __getattr__(name: str) -> Any:
    if name == "RabbitMQ":
        from libraries.rabbitmq.library import RabbitMQ

        return RabbitMQ
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
