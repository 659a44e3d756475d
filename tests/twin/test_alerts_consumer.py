"""The twin's alert consumer: the validation rules, and the pipeline against a real node.

The pipeline tests start a private RabbitMQ node (``python -m twin.rabbitmq`` in a tmp
twin directory) and store into mongomock.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import mongomock
import pika
import pytest
import requests
from pika.adapters.blocking_connection import BlockingChannel

from contract import constants
from tests.twin.rabbitmq_fixtures import start_node, stop_node
from twin import config, ports
from twin.focus_server.alerts_consumer import (
    CONSUMER_QUEUE,
    REJECT_HEADER,
    AlertConsumer,
    Rejection,
    validate,
)

Node = tuple[dict, dict]


def alert(**overrides: object) -> dict:
    """A valid alert body; keyword arguments override fields (``None`` removes one)."""
    body = {
        "alertId": str(uuid.uuid4()),
        "classId": 104,
        "severity": 3,
        "dofM": 4120,
        "alertTime": "2026-11-22T08:00:00Z",
        "siteId": constants.SITE_ID,
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


def encode(body: dict) -> bytes:
    return json.dumps(body).encode()


# -- the rules, without a broker ----------------------------------------------------------
@pytest.mark.parametrize("class_id", sorted(constants.ALERT_CLASSES))
@pytest.mark.parametrize("severity", sorted(constants.ALERT_SEVERITIES))
def test_valid_alert_becomes_the_stored_document(class_id: int, severity: int) -> None:
    body = alert(classId=class_id, severity=severity)
    document = validate(encode(body))
    assert document == {**body, "alertTime": datetime(2026, 11, 22, 8, tzinfo=UTC)}


@pytest.mark.parametrize(
    ("dof", "time_text"),
    [
        (0, "2024-02-29T23:59:59Z"),
        (constants.FIBRE_LENGTH_M, "2026-11-22T08:00:00.123456+00:00"),
        (0.5, "1970-01-01T00:00:00Z"),
    ],
)
def test_boundary_values_are_valid(dof: float, time_text: str) -> None:
    assert validate(encode(alert(dofM=dof, alertTime=time_text)))["dofM"] == dof


NAN_DOF = (
    b'{"alertId":"%s","classId":104,"severity":1,"dofM":NaN,"alertTime":"x","siteId":"s"}'
    % str(uuid.uuid4()).encode()
)


INVALID = [
    (b"", "empty_body", None),
    (b"not json", "not_json", None),
    (b"\xff\xfe", "not_json", None),
    (b"[1, 2]", "not_json", None),
    (encode(alert(padding="x" * constants.MAX_BODY_BYTES)), "body_too_large", None),
    (encode(alert(classId=105)), "unknown_class", "classId"),
    (encode(alert(severity=0)), "out_of_range", "severity"),
    (encode(alert(severity=4)), "out_of_range", "severity"),
    (encode(alert(dofM=-0.1)), "out_of_range", "dofM"),
    (encode(alert(dofM=constants.FIBRE_LENGTH_M + 0.1)), "out_of_range", "dofM"),
    (encode(alert(classId="104")), "wrong_type", "classId"),
    (encode(alert(severity=True)), "wrong_type", "severity"),
    (encode(alert(severity=2.0)), "wrong_type", "severity"),
    (encode(alert(dofM="4120")), "wrong_type", "dofM"),
    (NAN_DOF, "wrong_type", "dofM"),
    (encode(alert(alertId=12)), "wrong_type", "alertId"),
    (encode(alert(siteId=7)), "wrong_type", "siteId"),
    (encode(alert(alertId="not-a-uuid")), "invalid_value", "alertId"),
    (encode(alert(alertTime="22/11/2026 08:00")), "invalid_value", "alertTime"),
    (encode(alert(alertTime="2026-11-22T08:00:00")), "invalid_value", "alertTime"),
    (encode(alert(alertTime="2026-11-22T10:00:00+02:00")), "invalid_value", "alertTime"),
    (encode(alert(alertTime="2026-02-30T08:00:00Z")), "invalid_value", "alertTime"),
    (encode(alert(siteId="")), "invalid_value", "siteId"),
]


# Ids by reason and field, not by the bodies: those carry a random alertId, and pytest-xdist
# needs both workers to collect the same test ids.
@pytest.mark.parametrize(
    ("body", "reason", "field"),
    INVALID,
    ids=[f"{index}-{reason}-{field}" for index, (_, reason, field) in enumerate(INVALID)],
)
def test_invalid_alert_is_rejected_with_reason(body: bytes, reason: str, field: str | None) -> None:
    with pytest.raises(Rejection) as caught:
        validate(body)
    assert (caught.value.reason, caught.value.field) == (reason, field)


@pytest.mark.parametrize(
    "missing", ["alertId", "classId", "severity", "dofM", "alertTime", "siteId"]
)
def test_each_missing_field_is_named(missing: str) -> None:
    with pytest.raises(Rejection) as caught:
        validate(encode(alert(**{missing: None})))
    assert (caught.value.reason, caught.value.field) == ("missing_field", missing)


# -- the pipeline against a real node -----------------------------------------------------
@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    """A private RabbitMQ node for this module: ``(endpoints, secrets)``."""
    process, endpoints, secrets = start_node(tmp_path_factory.mktemp("twin"))
    try:
        yield endpoints, secrets
    finally:
        stop_node(process)


@pytest.fixture
def database() -> mongomock.Database:
    return mongomock.MongoClient()[constants.MONGO_DATABASE]


class _Publisher:
    """A channel with publisher confirms, as a context manager."""

    def __init__(self, node: Node) -> None:
        endpoints, secrets = node
        self._params = pika.ConnectionParameters(
            host=config.HOST,
            port=endpoints["rabbitmq"]["amqp_port"],
            credentials=pika.PlainCredentials(
                secrets["rabbitmq_user"], secrets["rabbitmq_password"]
            ),
            socket_timeout=5,
            blocked_connection_timeout=10,
        )

    def __enter__(self) -> BlockingChannel:
        self._connection = pika.BlockingConnection(self._params)
        channel = self._connection.channel()
        channel.confirm_delivery()
        return channel

    def __exit__(self, *_: object) -> None:
        self._connection.close()


@pytest.fixture
def consumer(node: Node, database: mongomock.Database) -> Iterator[AlertConsumer]:
    """A started consumer on its own queue (deleted afterwards); no thread may be left."""
    endpoints, secrets = node
    worker = AlertConsumer(endpoints, secrets, database, queue=f"{CONSUMER_QUEUE}.{uuid.uuid4()}")
    try:
        worker.start(wait=10)
        yield worker
    finally:
        worker.stop()
        with _Publisher(node) as channel:
            channel.queue_delete(worker.queue)
    assert not [thread for thread in threading.enumerate() if thread.name == "alert-consumer"]


def _publish(channel: BlockingChannel, body: bytes, message_id: str | None = None) -> None:
    properties = pika.BasicProperties(
        delivery_mode=2, content_type="application/json", message_id=message_id
    )
    channel.basic_publish(
        constants.ALERT_EXCHANGE, constants.ALERT_ROUTING_KEY, body, properties, mandatory=True
    )


def _wait_for(condition: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.005)


def _get_rejection(node: Node, message_id: str, timeout: float = 5) -> tuple[dict, dict]:
    """Take the rejected-queue message carrying ``message_id``; requeue the others."""
    deadline = time.monotonic() + timeout
    with _Publisher(node) as channel:
        while time.monotonic() < deadline:
            method, properties, body = channel.basic_get(constants.ALERT_REJECTED_QUEUE)
            if method is None:
                time.sleep(0.02)
                continue
            if properties.message_id == message_id:
                channel.basic_ack(method.delivery_tag)
                return properties.headers, json.loads(body)
            channel.basic_nack(method.delivery_tag, requeue=True)
    raise AssertionError(f"no rejection with message id {message_id} within {timeout} s")


def test_valid_alert_is_stored_with_the_contract_shape(consumer, node, database) -> None:
    body = alert(classId=103, severity=1, dofM=0)
    with _Publisher(node) as channel:
        _publish(channel, encode(body))
    _wait_for(lambda: database.alerts.find_one({"alertId": body["alertId"]}), 5, "the alert")
    stored = database.alerts.find_one({"alertId": body["alertId"]}, {"_id": 0})
    assert isinstance(stored.pop("received_at"), datetime)
    assert stored.pop("alertTime").replace(tzinfo=UTC) == datetime(2026, 11, 22, 8, tzinfo=UTC)
    expected = {key: value for key, value in body.items() if key != "alertTime"}
    assert stored == {**expected, "acknowledged": False}


def test_invalid_alert_is_rejected_and_consumption_goes_on(consumer, node, database) -> None:
    bad, good, message_id = alert(severity=4), alert(), str(uuid.uuid4())
    with _Publisher(node) as channel:
        _publish(channel, encode(bad), message_id=message_id)
        _publish(channel, encode(good))
    headers, body = _get_rejection(node, message_id)
    assert headers[REJECT_HEADER] == "out_of_range"
    assert (body["reason"], body["field"]) == ("out_of_range", "severity")
    assert json.loads(body["original"]) == bad
    _wait_for(lambda: database.alerts.find_one({"alertId": good["alertId"]}), 5, "the next alert")
    assert database.alerts.count_documents({"alertId": bad["alertId"]}) == 0


def test_rejection_reaches_a_private_queue_bound_beside_the_real_one(consumer, node) -> None:
    """Rejections go through the exchange (contract section 3, decided): a test binds its own
    exclusive queue to the same exchange and routing key and reads it there, and the real
    rejected queue still gets its copy (the route is a binding, not a direct publish)."""
    message_id = str(uuid.uuid4())
    with _Publisher(node) as channel:
        private = channel.queue_declare("", exclusive=True).method.queue
        channel.queue_bind(
            private, constants.ALERT_REJECTED_EXCHANGE, constants.ALERT_REJECTED_ROUTING_KEY
        )
        _publish(channel, encode(alert(severity=9)), message_id=message_id)
        deadline = time.monotonic() + 5
        method = None
        while method is None and time.monotonic() < deadline:
            method, properties, body = channel.basic_get(private, auto_ack=True)
            time.sleep(0.02)
        assert method is not None, "no rejection reached the private queue within 5 s"
        assert properties.message_id == message_id
        assert json.loads(body)["reason"] == "out_of_range"
    headers, _ = _get_rejection(node, message_id)
    assert headers[REJECT_HEADER] == "out_of_range"


def test_oversized_and_empty_bodies_are_rejected(consumer, node) -> None:
    ids = {"body_too_large": str(uuid.uuid4()), "empty_body": str(uuid.uuid4())}
    oversized = encode(alert(padding="x" * constants.MAX_BODY_BYTES))
    with _Publisher(node) as channel:
        _publish(channel, oversized, ids["body_too_large"])
        _publish(channel, b"", ids["empty_body"])
    for reason, message_id in ids.items():
        headers, body = _get_rejection(node, message_id)
        assert headers[REJECT_HEADER] == body["reason"] == reason
        assert len(body["original"]) <= 1024


def test_duplicate_alert_id_is_stored_once(consumer, node, database) -> None:
    first, marker = alert(severity=1), alert()
    with _Publisher(node) as channel:
        _publish(channel, encode(first))
        _publish(channel, encode({**first, "severity": 3}))
        _publish(channel, encode(marker))
    _wait_for(lambda: database.alerts.find_one({"alertId": marker["alertId"]}), 5, "the marker")
    assert database.alerts.count_documents({"alertId": first["alertId"]}) == 1
    assert database.alerts.find_one({"alertId": first["alertId"]})["severity"] == 1


def test_burst_of_1000_is_stored_once_each(consumer, node, database) -> None:
    bodies = [alert(siteId="burst") for _ in range(1000)]
    started = time.monotonic()
    with _Publisher(node) as channel:
        for body in bodies:
            _publish(channel, encode(body))

    def all_stored() -> bool:
        return database.alerts.count_documents({"siteId": "burst"}) >= len(bodies)

    _wait_for(all_stored, 10, "1000 alerts")
    print(f"1000 alerts published and stored in {time.monotonic() - started:.2f} s")
    stored = [doc["alertId"] for doc in database.alerts.find({"siteId": "burst"})]
    assert sorted(stored) == sorted(body["alertId"] for body in bodies)


def _close_all_connections(node: Node) -> int:
    """Force-close every client connection through the management API (an outage)."""
    endpoints, secrets = node
    base = f"http://{config.HOST}:{endpoints['rabbitmq']['mgmt_port']}/api/connections"
    auth = (secrets["rabbitmq_user"], secrets["rabbitmq_password"])
    closed, deadline = 0, time.monotonic() + 15
    while not closed and time.monotonic() < deadline:
        for connection in requests.get(base, auth=auth, timeout=5).json():
            name = requests.utils.quote(connection["name"], safe="")
            requests.delete(f"{base}/{name}", auth=auth, timeout=5).raise_for_status()
            closed += 1
        time.sleep(0.2)
    return closed


def test_consumer_reconnects_after_its_connection_is_closed(consumer, node, database) -> None:
    assert _close_all_connections(node) >= 1
    _wait_for(lambda: not consumer.consuming, 5, "the consumer to notice the outage")
    assert consumer.wait_consuming(10), "the consumer did not reconnect within 10 s"
    body = alert()
    with _Publisher(node) as channel:
        _publish(channel, encode(body))
    _wait_for(lambda: database.alerts.find_one({"alertId": body["alertId"]}), 5, "an alert")
    assert consumer.connections >= 2


def test_consumer_keeps_retrying_while_the_broker_is_unreachable(database) -> None:
    endpoints = {"host": config.HOST, "rabbitmq": {"amqp_port": ports.free_port(), "vhost": "/"}}
    secrets = {"rabbitmq_user": "nobody", "rabbitmq_password": "nothing"}
    worker = AlertConsumer(endpoints, secrets, database)
    with pytest.raises(TimeoutError):
        worker.start(wait=0.5)
    worker.stop(timeout=5)
    assert not worker.consuming
