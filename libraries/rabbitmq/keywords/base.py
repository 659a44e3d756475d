"""Shared state and helpers of the RabbitMQ keyword components."""

from __future__ import annotations

from dataclasses import dataclass

from robot.api import logger

from libraries.common.connections import ConnectionComponent, ConnectionRegistry
from libraries.rabbitmq.client import RabbitMQClient
from libraries.rabbitmq.management import ManagementClient

POLL_S = 0.1  # interval of the library's polled assertions


@dataclass
class Connection:
    """One broker connection: the AMQP client and, when configured, the management API."""

    client: RabbitMQClient
    management: ManagementClient | None = None


def close_connection(connection: Connection) -> None:
    """Delete the queues the library declared on it, then close it (and its management API)."""
    deleted = connection.client.close()
    if deleted:
        logger.info(f"Deleted the queues this library declared: {deleted}")
    if connection.management is not None:
        connection.management.close()


def new_connections() -> ConnectionRegistry[Connection]:
    """The library's connections by alias, and the current one."""
    return ConnectionRegistry(
        "RabbitMQ",
        "call 'Connect To RabbitMQ' (or the resource's 'Connect To Alert Broker')",
        close=close_connection,
    )


class LibraryComponent(ConnectionComponent[Connection]):
    """Base of a keyword component: access to the current connection."""

    @property
    def connection(self) -> Connection:
        return self.connections.current

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
