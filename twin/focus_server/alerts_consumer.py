"""The focus server's alert pipeline: consume ``Algorithm.AlertReport``, validate, store.

Contract section 3. :class:`AlertConsumer` runs pika in its own thread (one
``BlockingConnection``, ``basic_consume`` with a prefetch of 200) on the durable queue
``focus-server.alerts``, bound to the durable topic exchange ``prisma``. For each message:

- a valid alert is stored once per ``alertId`` in the ``alerts`` collection (insert with
  ``_id = alertId``; a duplicate is a no-op) and acknowledged only after the store
  succeeded. Alerts that arrive together are written together (one ``insert_many`` of
  up to 100 per dispatch round), which keeps bursts fast on the MongoDB stand-in;
- an invalid one is published (persistent, confirmed) to the exchange ``prisma`` with the
  routing key ``prisma.alerts.rejected``, which routes it to the durable queue of that name
  (and to any test's private queue bound beside it), with a header ``x-reject-reason`` and
  a JSON body ``{"reason", "field", "detail", "original"}``, then acknowledged; consumption
  goes on.

The connection is re-established by itself after a broker outage, with a bounded
exponential backoff, each attempt logged. :func:`validate` is the pure rule set.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pika
from pika.adapters.blocking_connection import BlockingChannel
from pika.exceptions import AMQPError
from pymongo.errors import BulkWriteError, PyMongoError

from contract import constants
from twin.request_context import REQUEST_ID, clean

LOG = logging.getLogger("twin.focus_server.alerts_consumer")

CONSUMER_QUEUE = constants.ALERT_CONSUMER_QUEUE
ALERTS_COLLECTION = "alerts"
PREFETCH = 200
BATCH_MAX = 100
REJECT_HEADER = "x-reject-reason"
REQUEST_ID_HEADER = "x-request-id"  # libraries/common/request_ids.py
ORIGINAL_EXCERPT_CHARS = 1024
BACKOFF_FIRST_S = 0.25
BACKOFF_MAX_S = 5.0
POLL_S = 0.1

_INT_FIELDS = ("classId", "severity")
_STR_FIELDS = ("alertId", "alertTime", "siteId")
REQUIRED_FIELDS = ("alertId", "classId", "severity", "dofM", "alertTime", "siteId")


@dataclass
class Rejection(Exception):
    """Why an alert is invalid: a short ``reason`` code, the ``field`` and a ``detail``."""

    reason: str
    field: str | None
    detail: str

    def __str__(self) -> str:
        return f"{self.reason} ({self.field}): {self.detail}" if self.field else self.detail


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_utc(text: str) -> datetime:
    """An ISO-8601 timestamp with a zero UTC offset (``Z`` or ``+00:00``)."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise Rejection("invalid_value", "alertTime", f"not ISO-8601: {text[:64]!r}") from None
    offset = parsed.utcoffset()  # None when naive
    if offset is None or offset.total_seconds() != 0:
        raise Rejection("invalid_value", "alertTime", f"not UTC: {text[:64]!r}")
    return parsed.astimezone(UTC)


def _decode(body: bytes) -> dict:
    if not body:
        raise Rejection("empty_body", None, "the message body is empty")
    if len(body) > constants.MAX_BODY_BYTES:
        raise Rejection(
            "body_too_large", None, f"{len(body)} bytes > {constants.MAX_BODY_BYTES} bytes"
        )
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise Rejection("not_json", None, f"the body is not JSON: {error}") from None
    if not isinstance(data, dict):
        raise Rejection("not_json", None, f"the body is JSON {type(data).__name__}, not an object")
    return data


def _check_types(data: dict) -> None:
    for name in REQUIRED_FIELDS:
        if name not in data:
            raise Rejection("missing_field", name, f"{name} is missing")
    for name in _INT_FIELDS:
        if not _is_int(data[name]):
            raise Rejection("wrong_type", name, f"{name} must be an integer: {data[name]!r}")
    dof = data["dofM"]
    if not (_is_int(dof) or isinstance(dof, float)) or not math.isfinite(dof):
        raise Rejection("wrong_type", "dofM", f"dofM must be a finite number: {dof!r}")
    for name in _STR_FIELDS:
        if not isinstance(data[name], str):
            raise Rejection("wrong_type", name, f"{name} must be a string: {data[name]!r}")


def validate(body: bytes) -> dict:
    """The document to store for a message body; raises :class:`Rejection` when invalid."""
    data = _decode(body)
    _check_types(data)
    if data["classId"] not in constants.ALERT_CLASSES:
        raise Rejection("unknown_class", "classId", f"classId {data['classId']} is not 103/104")
    if data["severity"] not in constants.ALERT_SEVERITIES:
        raise Rejection("out_of_range", "severity", f"severity {data['severity']} is not 1..3")
    if not 0 <= data["dofM"] <= constants.FIBRE_LENGTH_M:
        raise Rejection(
            "out_of_range", "dofM", f"dofM {data['dofM']} is not 0..{constants.FIBRE_LENGTH_M}"
        )
    try:
        uuid.UUID(data["alertId"])
    except ValueError:
        raise Rejection(
            "invalid_value", "alertId", f"not a uuid: {data['alertId'][:64]!r}"
        ) from None
    if not data["siteId"]:
        raise Rejection("invalid_value", "siteId", "siteId is empty")
    return {
        "alertId": data["alertId"],
        "classId": data["classId"],
        "severity": data["severity"],
        "dofM": data["dofM"],
        "alertTime": _parse_utc(data["alertTime"]),
        "siteId": data["siteId"],
    }


def rejection_message(rejection: Rejection, body: bytes) -> bytes:
    """The JSON body published to the rejected queue (the original is cut to 1 KiB)."""
    original = body[:ORIGINAL_EXCERPT_CHARS].decode("utf-8", errors="replace")
    return json.dumps(
        {
            "reason": rejection.reason,
            "field": rejection.field,
            "detail": rejection.detail,
            "original": original,
        }
    ).encode("utf-8")


class AlertConsumer:
    """Consumes alerts from RabbitMQ into MongoDB ``alerts`` in a background thread.

    ``endpoints`` and ``secrets`` are the twin's ``endpoints.json`` and ``secrets.json``;
    ``mongo_db`` a pymongo (or mongomock) database.
    """

    def __init__(
        self,
        endpoints: dict,
        secrets: dict,
        mongo_db: Any,
        *,
        queue: str = CONSUMER_QUEUE,
        prefetch: int = PREFETCH,
    ) -> None:
        rabbit = endpoints["rabbitmq"]
        self._params = pika.ConnectionParameters(
            host=endpoints.get("host", "127.0.0.1"),
            port=rabbit["amqp_port"],
            virtual_host=rabbit.get("vhost", "/"),
            credentials=pika.PlainCredentials(
                secrets["rabbitmq_user"], secrets["rabbitmq_password"]
            ),
            heartbeat=30,
            socket_timeout=5,
            stack_timeout=10,
            blocked_connection_timeout=10,
            connection_attempts=1,
        )
        self._collection = mongo_db[ALERTS_COLLECTION]
        self.queue = queue
        self._prefetch = prefetch
        self._stop = threading.Event()
        self._consuming = threading.Event()
        self._thread: threading.Thread | None = None
        self._pending: list[tuple[int, dict]] = []
        self.stored = 0
        self.rejected = 0
        self.connections = 0

    # -- life cycle ----------------------------------------------------------------------
    def start(self, wait: float | None = 10.0) -> None:
        """Start the consumer thread; wait up to ``wait`` seconds until it consumes.

        Raises ``TimeoutError`` when it does not consume in time (the thread keeps
        retrying in the background; call :meth:`stop`). ``wait=None`` returns at once.
        """
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="alert-consumer", daemon=True)
        self._thread.start()
        if wait is not None and not self._consuming.wait(wait):
            raise TimeoutError(f"the alert consumer did not start consuming within {wait} s")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop consuming and close the connection; waits up to ``timeout`` seconds."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                LOG.error("the alert consumer thread did not stop within %.1f s", timeout)
            self._thread = None

    @property
    def consuming(self) -> bool:
        """True while connected and consuming."""
        return self._consuming.is_set()

    def wait_consuming(self, timeout: float) -> bool:
        """Wait until the consumer is (again) consuming; False after ``timeout`` seconds."""
        return self._consuming.wait(timeout)

    # -- the thread ----------------------------------------------------------------------
    def _run(self) -> None:
        backoff = BACKOFF_FIRST_S
        attempt = 0
        while not self._stop.is_set():
            try:
                self._consume_once()
                backoff, attempt = BACKOFF_FIRST_S, 0
            except (AMQPError, OSError) as error:
                self._consuming.clear()
                attempt += 1
                LOG.warning(
                    "alert consumer: broker connection lost or refused (%s: %s); "
                    "attempt %d, reconnecting in %.2f s",
                    type(error).__name__,
                    error,
                    attempt,
                    backoff,
                )
                self._stop.wait(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX_S)
        self._consuming.clear()

    def _consume_once(self) -> None:
        connection = pika.BlockingConnection(self._params)
        self._pending = []  # unacknowledged deliveries of a lost connection come again
        try:
            channel = self._setup(connection.channel())
            if self.connections:
                LOG.info("alert consumer: reconnected to the broker")
            self.connections += 1
            self._consuming.set()
            while not self._stop.is_set():
                connection.process_data_events(time_limit=POLL_S)
                self._flush(channel)
            self._consuming.clear()
            channel.cancel()
        finally:
            self._consuming.clear()
            if connection.is_open:
                try:
                    connection.close()
                except (AMQPError, OSError):
                    LOG.debug("alert consumer: closing the connection failed", exc_info=True)

    def _setup(self, channel: BlockingChannel) -> BlockingChannel:
        channel.exchange_declare(constants.ALERT_EXCHANGE, exchange_type="topic", durable=True)
        channel.queue_declare(self.queue, durable=True)
        channel.queue_bind(self.queue, constants.ALERT_EXCHANGE, constants.ALERT_ROUTING_KEY)
        channel.queue_declare(constants.ALERT_REJECTED_QUEUE, durable=True)
        channel.queue_bind(
            constants.ALERT_REJECTED_QUEUE,
            constants.ALERT_REJECTED_EXCHANGE,
            constants.ALERT_REJECTED_ROUTING_KEY,
        )
        channel.confirm_delivery()
        channel.basic_qos(prefetch_count=self._prefetch)
        channel.basic_consume(self.queue, self._on_message, auto_ack=False)
        return channel

    def _on_message(
        self,
        channel: BlockingChannel,
        method: pika.spec.Basic.Deliver,
        properties: pika.BasicProperties,
        body: bytes,
    ) -> None:
        delivery_tag = method.delivery_tag
        assert delivery_tag is not None  # the broker numbers every delivery it sends
        headers = properties.headers or {}
        token = REQUEST_ID.set(clean(headers.get(REQUEST_ID_HEADER)))
        try:
            document = validate(body)
        except Rejection as rejection:
            self._reject(channel, properties, body, rejection)
            channel.basic_ack(delivery_tag)
            return
        finally:
            REQUEST_ID.reset(token)
        self._pending.append((delivery_tag, document))
        if len(self._pending) >= BATCH_MAX:
            self._flush(channel)

    def _flush(self, channel: BlockingChannel) -> None:
        """Store the pending alerts in one write, then ack them (nack and back off on failure)."""
        if not self._pending:
            return
        batch, self._pending = self._pending, []
        last_tag = batch[-1][0]
        if self._store([document for _, document in batch]):
            channel.basic_ack(last_tag, multiple=True)
        else:
            channel.basic_nack(last_tag, multiple=True, requeue=True)
            self._stop.wait(BACKOFF_FIRST_S)

    def _store(self, documents: list[dict]) -> bool:
        """Insert each alert once (``_id`` is the alertId: the first copy wins).

        A duplicate key means the alert is already stored (idempotent). Returns False
        when MongoDB failed otherwise, so the messages are requeued.
        """
        now = datetime.now(UTC)
        rows = [
            {"_id": document["alertId"], **document, "received_at": now, "acknowledged": False}
            for document in documents
        ]
        try:
            self._collection.insert_many(rows, ordered=False)
        except BulkWriteError as error:
            failures = [
                item for item in error.details.get("writeErrors", []) if item.get("code") != 11000
            ]
            if failures or error.details.get("writeConcernErrors"):
                LOG.warning("alert consumer: storing %d alerts failed: %s", len(rows), failures)
                return False
        except PyMongoError as error:
            LOG.warning("alert consumer: storing %d alerts failed: %s", len(rows), error)
            return False
        self.stored += len(rows)
        return True

    def _reject(
        self,
        channel: BlockingChannel,
        properties: pika.BasicProperties,
        body: bytes,
        rejection: Rejection,
    ) -> None:
        """Publish the rejection (confirmed) before the original is acknowledged."""
        LOG.error("alert consumer: rejected a message: %s", rejection)
        headers = {
            REJECT_HEADER: rejection.reason,
            "x-reject-field": rejection.field or "",
            "x-original-message-id": properties.message_id or "",
        }
        channel.basic_publish(
            exchange=constants.ALERT_REJECTED_EXCHANGE,
            routing_key=constants.ALERT_REJECTED_ROUTING_KEY,
            body=rejection_message(rejection, body),
            properties=pika.BasicProperties(
                content_type="application/json",
                delivery_mode=pika.DeliveryMode.Persistent,
                message_id=properties.message_id,
                correlation_id=properties.message_id,
                headers=headers,
                timestamp=int(time.time()),
            ),
        )
        self.rejected += 1
