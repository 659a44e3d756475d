"""A plain AMQP 0-9-1 client over pika for the suite: queues, confirmed publishing, waiting.

No Robot Framework imports: pytest drives it directly. One :class:`RabbitMQClient` owns
one ``BlockingConnection`` and one channel in confirm mode; pika is not thread-safe, so
concurrent publishers each get their own client (:meth:`RabbitMQClient.clone`).
"""

from __future__ import annotations

import json
import logging
import ssl
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import pika
from pika.adapters.blocking_connection import BlockingChannel, BlockingConnection
from pika.exceptions import AMQPError, ChannelClosedByBroker

from contract import constants
from libraries.common import request_ids
from libraries.common.effects import cleans_up
from libraries.common.polling import wait_until

POLL_S = 0.02
SEEN_KEPT = 5
HEARTBEAT_S = 60
IDLE_CHECK_S = HEARTBEAT_S / 2  # longer idle: the broker may have dropped the connection

# pika logs a lost connection at ERROR with a traceback (Robot shows it on the console);
# this client answers every failure with its own one-line RabbitMQError instead.
logging.getLogger("pika").setLevel(logging.CRITICAL)


class RabbitMQError(RuntimeError):
    """A broker operation failed; the message says which and why (never a password)."""


@dataclass(frozen=True)
class Message:
    """One message taken from a queue."""

    body: bytes
    routing_key: str
    exchange: str
    headers: dict[str, Any] = field(default_factory=dict[str, Any])
    message_id: str | None = None
    correlation_id: str | None = None
    content_type: str | None = None
    redelivered: bool = False

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def json(self) -> Any:
        """The body parsed as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            return None

    def summary(self, limit: int = 200) -> str:
        """One line for logs and failure messages, the body cut to ``limit`` characters."""
        text = self.text if len(self.text) <= limit else self.text[:limit] + "..."
        return f"message_id={self.message_id} headers={self.headers} body={text}"


@dataclass(frozen=True)
class Endpoint:
    """Where and how to connect. ``password`` never appears in ``repr``."""

    host: str
    port: int
    user: str
    password: str = field(repr=False)
    vhost: str = "/"
    ca_bundle: str | None = None
    use_tls: bool = False
    timeout: float = 10.0

    @classmethod
    def from_url(cls, url: str, ca_bundle: str | None = None, timeout: float = 10.0) -> Endpoint:
        """``amqp://user:password@host:port/vhost`` or ``amqps://`` (TLS, verified)."""
        parts = urlsplit(url)
        if parts.scheme not in ("amqp", "amqps") or not parts.hostname:
            raise ValueError("expected an amqp:// or amqps:// URL with a host")
        tls = parts.scheme == "amqps"
        vhost = unquote(parts.path[1:]) if len(parts.path) > 1 else "/"
        return cls(
            host=parts.hostname,
            port=parts.port or (5671 if tls else 5672),
            user=unquote(parts.username or "guest"),
            password=unquote(parts.password or "guest"),
            vhost=vhost,
            ca_bundle=ca_bundle,
            use_tls=tls,
            timeout=timeout,
        )

    def parameters(self) -> pika.ConnectionParameters:
        ssl_options = None
        if self.use_tls:
            context = ssl.create_default_context(cafile=self.ca_bundle or None)
            ssl_options = pika.SSLOptions(context, server_hostname=self.host)
        return pika.ConnectionParameters(
            host=self.host,
            port=self.port,
            virtual_host=self.vhost,
            credentials=pika.PlainCredentials(self.user, self.password),
            ssl_options=ssl_options,
            connection_attempts=1,
            socket_timeout=self.timeout,
            stack_timeout=self.timeout,
            blocked_connection_timeout=self.timeout,
            heartbeat=HEARTBEAT_S,
        )

    def __str__(self) -> str:
        scheme = "amqps" if self.use_tls else "amqp"
        return f"{scheme}://{self.user}@{self.host}:{self.port}{self.vhost}"


def _with_request_id(headers: dict[str, Any] | None) -> dict[str, Any] | None:
    """The headers plus ``x-request-id`` of the running test (see libraries/common/request_ids)."""
    request_id = request_ids.next_request_id()
    if request_id is None or (headers and request_ids.AMQP_HEADER in headers):
        return headers
    return {**(headers or {}), request_ids.AMQP_HEADER: request_id}


def _properties(
    message_id: str, content_type: str | None, headers: dict[str, Any] | None, persistent: bool
) -> pika.BasicProperties:
    return pika.BasicProperties(
        content_type=content_type or None,
        delivery_mode=pika.DeliveryMode.Persistent if persistent else pika.DeliveryMode.Transient,
        message_id=message_id,
        headers=_with_request_id(headers) or None,
        timestamp=int(time.time()),
    )


class RabbitMQClient:
    """One AMQP connection with a confirming channel; remembers the queues it declared."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self.declared: list[str] = []
        self._connection: BlockingConnection | None = None
        self._channel: BlockingChannel | None = None
        self._used = time.monotonic()

    # -- connection ----------------------------------------------------------------------
    def connect(self) -> RabbitMQClient:
        """Open the connection (fails fast with the address, never the password)."""
        try:
            self._connection = pika.BlockingConnection(self.endpoint.parameters())
        except (AMQPError, OSError) as error:
            raise RabbitMQError(
                f"cannot connect to RabbitMQ at {self.endpoint}: {type(error).__name__} {error}"
            ) from None
        return self

    def clone(self) -> RabbitMQClient:
        """A new, connected client to the same endpoint (for another thread)."""
        return RabbitMQClient(self.endpoint).connect()

    @property
    def channel(self) -> BlockingChannel:
        """The confirming channel, reopened if the broker closed it after an error.

        A blocking connection sends no heartbeats while the test does other things (a
        10-minute soak): after a long idle it is checked first, and reopened when the
        broker has dropped it.
        """
        now = time.monotonic()
        connection = self._connection
        if connection is not None and connection.is_open and now - self._used > IDLE_CHECK_S:
            try:
                connection.process_data_events(time_limit=0)
            except (AMQPError, OSError):
                self._connection = self._channel = None
        self._used = now
        if self._connection is None or not self._connection.is_open:
            self.connect()
        connection = self._connection
        if connection is None:  # connect() sets it or raises
            raise RabbitMQError("not connected")
        if self._channel is None or not self._channel.is_open:
            self._channel = connection.channel()
            self._channel.confirm_delivery()
        return self._channel

    @property
    def is_open(self) -> bool:
        return self._connection is not None and self._connection.is_open

    @cleans_up("deletes only the queues this client declared")
    def close(self) -> list[str]:
        """Delete every queue this client declared, then close; returns the queues deleted."""
        deleted = []
        for queue in list(self.declared):
            try:
                self.delete_queue(queue)
                deleted.append(queue)
            except RabbitMQError:
                continue
        if self._connection is not None and self._connection.is_open:
            try:
                self._connection.close()
            except (AMQPError, OSError):
                pass
        self._connection = self._channel = None
        return deleted

    # -- topology ------------------------------------------------------------------------
    def declare_queue(
        self,
        name: str,
        durable: bool = False,
        auto_delete: bool = False,
        arguments: dict[str, Any] | None = None,
        exclusive: bool = False,
    ) -> str:
        """Declare ``name`` and remember it for deletion at :meth:`close`."""
        self._call(
            f"declare queue {name!r}",
            lambda: self.channel.queue_declare(
                name,
                durable=durable,
                exclusive=exclusive,
                auto_delete=auto_delete,
                arguments=arguments,
            ),
        )
        if name not in self.declared:
            self.declared.append(name)
        return name

    def bind_queue(self, queue: str, exchange: str, routing_key: str) -> None:
        self._call(
            f"bind queue {queue!r} to {exchange!r} with {routing_key!r}",
            lambda: self.channel.queue_bind(queue, exchange, routing_key),
        )

    def delete_queue(self, name: str) -> None:
        self._call(f"delete queue {name!r}", lambda: self.channel.queue_delete(name))
        if name in self.declared:
            self.declared.remove(name)

    def purge_queue(self, name: str) -> int:
        """Remove every ready message; returns how many."""
        frame = self._call(f"purge queue {name!r}", lambda: self.channel.queue_purge(name))
        returned: int = frame.method.message_count
        return returned

    def queue_exists(self, name: str) -> bool:
        """Whether queue ``name`` exists (a passive declare on a throw-away channel)."""
        channel = self.channel.connection.channel()
        try:
            channel.queue_declare(name, passive=True)
        except ChannelClosedByBroker:
            return False
        channel.close()
        return True

    def message_count(self, queue: str) -> int:
        """Ready messages in ``queue`` (not those delivered and unacknowledged)."""
        frame = self._call(
            f"count messages of queue {queue!r}",
            lambda: self.channel.queue_declare(queue, passive=True),
        )
        returned: int = frame.method.message_count
        return returned

    def exchange_exists(self, name: str) -> bool:
        """Whether exchange ``name`` exists (a passive declare on a throw-away channel)."""
        channel = self.channel.connection.channel()
        try:
            channel.exchange_declare(name, passive=True)
        except ChannelClosedByBroker:
            return False
        channel.close()
        return True

    # -- publishing ----------------------------------------------------------------------
    def publish(
        self,
        body: bytes,
        exchange: str = constants.ALERT_EXCHANGE,
        routing_key: str = constants.ALERT_ROUTING_KEY,
        content_type: str | None = "application/json",
        headers: dict[str, Any] | None = None,
        message_id: str | None = None,
        persistent: bool = True,
    ) -> str:
        """Publish one message and wait for the broker's confirm; returns its message id.

        Raises :class:`RabbitMQError` when the broker nacks it or cannot route it.
        """
        message_id = message_id or str(uuid.uuid4())
        properties = _properties(message_id, content_type, headers, persistent)
        self._call(
            f"publish to exchange {exchange!r} with routing key {routing_key!r}",
            lambda: self.channel.basic_publish(
                exchange, routing_key, body, properties, mandatory=True
            ),
        )
        return message_id

    def publish_many(
        self,
        bodies: Iterable[bytes],
        exchange: str = constants.ALERT_EXCHANGE,
        routing_key: str = constants.ALERT_ROUTING_KEY,
    ) -> int:
        """Publish persistent JSON messages, each confirmed; returns how many."""
        count = 0
        for body in bodies:
            self.publish(body, exchange, routing_key)
            count += 1
        return count

    # -- consuming -----------------------------------------------------------------------
    def wait_for_message(
        self, queue: str, matches: Callable[[Message], bool], timeout: float, what: str = ""
    ) -> Message:
        """Take the first message of ``queue`` that ``matches`` within ``timeout`` seconds.

        The matching message is acknowledged (consumed); every other message is put back
        (nack with requeue), so parallel tests waiting on the same queue do not steal
        each other's messages. On timeout, raises ``TimeoutError`` saying what it waited
        for, how many messages it saw and the last few of them.
        """
        seen: list[Message] = []
        counted = [0]

        def scan() -> Message | None:
            found, others = self._scan(queue, matches)
            counted[0] += len(others)
            seen[:] = (seen + others)[-SEEN_KEPT:]
            return found

        def describe(_: object) -> str:
            last = "; ".join(message.summary() for message in seen) or "none"
            return f"{counted[0]} other message(s), the last: {last}"

        message = wait_until(
            scan,
            lambda found: found is not None,
            what=f"message {what or 'matching'} in queue {queue!r}",
            timeout=timeout,
            interval=POLL_S,
            describe=describe,
            error=TimeoutError,
        )
        assert message is not None  # the wait ends only on a message
        return message

    def _scan(
        self, queue: str, matches: Callable[[Message], bool]
    ) -> tuple[Message | None, list[Message]]:
        """One pass over the ready messages: ack the first match, requeue the rest."""
        channel = self.channel
        others: list[Message] = []
        tags: list[int] = []
        found = None
        try:
            while found is None:
                method, properties, body = channel.basic_get(queue, auto_ack=False)
                if method is None:
                    break
                # a delivered GetOk carries its tag, properties and body
                tag = method.delivery_tag
                assert tag is not None and properties is not None and body is not None
                message = _message(method, properties, body)
                if matches(message):
                    channel.basic_ack(tag)
                    found = message
                else:
                    others.append(message)
                    tags.append(tag)
        except ChannelClosedByBroker as error:
            raise RabbitMQError(f"cannot read queue {queue!r}: {error}") from None
        finally:
            for tag in tags:
                if channel.is_open:
                    channel.basic_nack(tag, requeue=True)
        return found, others

    def _call(self, what: str, action: Callable[[], Any]) -> Any:
        try:
            return action()
        except pika.exceptions.UnroutableError:
            raise RabbitMQError(f"cannot {what}: the message was unroutable") from None
        except pika.exceptions.NackError:
            raise RabbitMQError(f"cannot {what}: the broker nacked the message") from None
        except (AMQPError, OSError) as error:
            raise RabbitMQError(f"cannot {what}: {type(error).__name__} {error}") from None


def _message(
    method: pika.spec.Basic.GetOk, properties: pika.BasicProperties, body: bytes
) -> Message:
    return Message(
        body=body,
        routing_key=method.routing_key or "",
        exchange=method.exchange or "",
        headers=dict(properties.headers or {}),
        message_id=properties.message_id,
        correlation_id=properties.correlation_id,
        content_type=properties.content_type,
        redelivered=method.redelivered,
    )
