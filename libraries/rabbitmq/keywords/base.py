"""Shared state and helpers of the RabbitMQ keyword components."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from assertionengine import AssertionOperator, int_str_verify_assertion

from libraries.rabbitmq.client import RabbitMQClient
from libraries.rabbitmq.management import ManagementClient

POLL_S = 0.1


@dataclass
class Connection:
    """One broker connection: the AMQP client and, when configured, the management API."""

    client: RabbitMQClient
    management: ManagementClient | None = None


@dataclass
class RabbitState:
    """Connections by alias and the current one."""

    connections: dict[str, Connection] = field(default_factory=dict)
    current: str | None = None


class LibraryComponent:
    """Base of a keyword component: access to the current connection."""

    def __init__(self, state: RabbitState) -> None:
        self.state = state

    @property
    def connection(self) -> Connection:
        if self.state.current is None:
            raise RuntimeError(
                "No RabbitMQ connection: call 'Connect To RabbitMQ' (or the resource's "
                "'Connect To Alert Broker') first"
            )
        return self.state.connections[self.state.current]

    @property
    def client(self) -> RabbitMQClient:
        return self.connection.client

    @property
    def management(self) -> ManagementClient:
        if self.connection.management is None:
            raise RuntimeError(
                "This RabbitMQ connection has no management API: pass management_url= "
                "to 'Connect To RabbitMQ'"
            )
        return self.connection.management


def poll_assertion(
    read: Callable[[], int],
    operator: AssertionOperator | None,
    expected: Any,
    what: str,
    message: str | None,
    timeout: timedelta,
) -> int:
    """Browser-style integer getter: return ``read()``; with an operator, retry until it holds.

    The last failure (what was expected, what was seen) is raised after ``timeout``.
    """
    deadline = time.monotonic() + timeout.total_seconds()
    while True:
        value = read()
        if operator is None:
            return value
        try:
            return int_str_verify_assertion(value, operator, expected, what, message)
        except AssertionError as error:
            if time.monotonic() >= deadline:
                raise AssertionError(f"{error} (waited {timeout.total_seconds():g} s)") from None
        time.sleep(POLL_S)
