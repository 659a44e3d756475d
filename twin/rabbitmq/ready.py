"""Readiness of a RabbitMQ node: an authenticated AMQP connection succeeds."""

from __future__ import annotations

import contextlib
import socket
import time

import pika
from pika.adapters.utils.connection_workflow import AMQPConnectorException
from pika.exceptions import AMQPError


def amqp_ready(
    host: str, port: int, user: str, password: str, vhost: str = "/", timeout: float = 2.0
) -> bool:
    """One attempt: True when ``user`` can open (and close) a connection to ``vhost``."""
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        params = pika.ConnectionParameters(
            host=host,
            port=port,
            virtual_host=vhost,
            credentials=pika.PlainCredentials(user, password),
            connection_attempts=1,
            socket_timeout=timeout,
            stack_timeout=timeout,
            blocked_connection_timeout=timeout,
        )
        try:
            pika.BlockingConnection(params).close()
        except (AMQPError, AMQPConnectorException, OSError):
            # AMQPConnectorException: a handshake timeout (something listens, nobody answers).
            return False
        return True
    return False


def wait_ready(
    host: str, amqp_port: int, user: str, password: str, timeout: float = 60.0, vhost: str = "/"
) -> float:
    """Wait until an authenticated AMQP connection succeeds; return the seconds waited.

    Raises ``TimeoutError`` naming the address when it does not within ``timeout``.
    """
    started = time.monotonic()
    while not amqp_ready(host, amqp_port, user, password, vhost):
        if time.monotonic() - started > timeout:
            raise TimeoutError(
                f"RabbitMQ at {host}:{amqp_port} did not accept user {user!r} within {timeout} s"
            )
        time.sleep(0.1)
    return time.monotonic() - started
