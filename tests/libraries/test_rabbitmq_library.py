"""The RabbitMQ library (plain clients, model and keywords) against a real private node."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import quote

import pytest
from assertionengine import AssertionOperator
from pydantic import ValidationError
from robot.api.types import Secret

from contract import constants
from libraries.rabbitmq import RabbitMQ
from libraries.rabbitmq.client import Endpoint, RabbitMQClient, RabbitMQError
from libraries.rabbitmq.management import ManagementClient
from libraries.rabbitmq.models import build_alert, valid_alert
from tests.twin.rabbitmq_fixtures import start_node, stop_node
from twin import config, ports

TEST_SITE = f"{constants.SITE_ID}.pytest-{uuid.uuid4().hex[:8]}"


# -- models and URLs, without a broker ----------------------------------------------------
def test_valid_alert_has_fresh_defaults_and_converts_robot_strings() -> None:
    first, second = valid_alert(), valid_alert(classId="103", severity="1", dofM="0")
    assert first["alertId"] != second["alertId"]
    assert str(uuid.UUID(first["alertId"])) == first["alertId"]
    assert first["alertTime"].endswith("Z") and first["siteId"] == constants.SITE_ID
    assert (second["classId"], second["severity"], second["dofM"]) == (103, 1, 0)


@pytest.mark.parametrize(
    "fields",
    [
        {"classId": 105},
        {"severity": 0},
        {"severity": 4},
        {"dofM": -1},
        {"dofM": constants.FIBRE_LENGTH_M + 1},
        {"siteId": ""},
        {"extra": 1},
    ],
)
def test_valid_alert_refuses_what_the_contract_refuses(fields: dict) -> None:
    with pytest.raises(ValidationError):
        valid_alert(**fields)


def test_build_alert_keeps_invalid_values_and_drops_fields() -> None:
    alert = build_alert(severity="high", drop=("dofM", "siteId"))
    assert alert["severity"] == "high" and "dofM" not in alert and "siteId" not in alert


def test_url_form_parses_tls_vhost_and_hides_the_password() -> None:
    endpoint = Endpoint.from_url("amqps://prisma:s%40cret@127.0.0.1:5671/%2Fpanda", "/ca.pem")
    assert (endpoint.host, endpoint.port, endpoint.user, endpoint.password) == (
        "127.0.0.1",
        5671,
        "prisma",
        "s@cret",
    )
    assert endpoint.vhost == "/panda" and endpoint.use_tls and endpoint.ca_bundle == "/ca.pem"
    assert "s@cret" not in repr(endpoint) and "s@cret" not in str(endpoint)
    with pytest.raises(ValueError):
        Endpoint.from_url("http://127.0.0.1")


def test_connection_refused_names_the_address_not_the_password() -> None:
    port = ports.free_port()
    endpoint = Endpoint(config.HOST, port, "prisma", "TopSecret123", timeout=2)
    with pytest.raises(RabbitMQError) as caught:
        RabbitMQClient(endpoint).connect()
    assert f"127.0.0.1:{port}" in str(caught.value)
    assert "TopSecret123" not in str(caught.value)


def _normal(name: str) -> str:
    return name.lower().replace(" ", "").replace("_", "")


def run(library: RabbitMQ, name: str, *args: object, **kwargs: object) -> object:
    """Run a keyword by its Robot name, as Robot would (names are matched normalised)."""
    names = {_normal(known): known for known in library.get_keyword_names()}
    return library.run_keyword(names[_normal(name)], list(args), kwargs)


def test_library_imports_without_a_broker() -> None:
    names = {_normal(name) for name in RabbitMQ().get_keyword_names()}
    assert {_normal("Connect To RabbitMQ"), _normal("Wait For Message")} <= names


# -- a private node -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A private RabbitMQ node: its endpoint values for the library."""
    process, endpoints, secrets = start_node(tmp_path_factory.mktemp("twin"))
    try:
        yield {
            "host": config.HOST,
            "port": endpoints["rabbitmq"]["amqp_port"],
            "user": secrets["rabbitmq_user"],
            "password": secrets["rabbitmq_password"],
            "mgmt": f"http://{config.HOST}:{endpoints['rabbitmq']['mgmt_port']}",
        }
    finally:
        stop_node(process)


@pytest.fixture
def client(node: dict) -> Iterator[RabbitMQClient]:
    endpoint = Endpoint(node["host"], node["port"], node["user"], node["password"], timeout=5)
    connected = RabbitMQClient(endpoint).connect()
    yield connected
    connected.close()


@pytest.fixture
def management(node: dict) -> Iterator[ManagementClient]:
    api = ManagementClient(node["mgmt"], node["user"], node["password"], timeout=5)
    yield api
    api.close()


@pytest.fixture
def queue(client: RabbitMQClient) -> str:
    """A fresh test queue bound to the alert route (deleted when the client closes)."""
    name = client.declare_queue(f"pytest.{uuid.uuid4()}")
    client.bind_queue(name, constants.ALERT_EXCHANGE, constants.ALERT_ROUTING_KEY)
    return name


# -- the plain clients ------------------------------------------------------------------
def test_published_alert_reaches_a_bound_queue(client: RabbitMQClient, queue: str) -> None:
    alert = valid_alert()
    message_id = client.publish(json.dumps(alert).encode(), headers={"x-test": "1"})
    message = client.wait_for_message(queue, lambda m: m.message_id == message_id, timeout=5)
    assert message.json == alert and message.headers == {"x-test": "1"}
    assert message.routing_key == constants.ALERT_ROUTING_KEY


def test_wait_requeues_other_messages_and_explains_a_timeout(
    client: RabbitMQClient, queue: str
) -> None:
    client.publish(b'{"other": 1}')
    _wait_count(client, queue, 1)
    started = time.monotonic()
    with pytest.raises(TimeoutError) as caught:
        client.wait_for_message(queue, lambda m: False, timeout=0.5, what="never")
    assert 0.5 <= time.monotonic() - started < 3
    text = str(caught.value)
    assert "for message never in queue" in text and '{"other": 1}' in text
    _wait_count(client, queue, 1)  # requeued, not lost (the broker requeues asynchronously)


def test_purge_and_count(client: RabbitMQClient, queue: str) -> None:
    client.publish_many([b"{}"] * 3)
    _wait_count(client, queue, 3)
    assert client.purge_queue(queue) == 3
    assert client.message_count(queue) == 0


def test_unroutable_and_unknown_exchange_fail_and_the_channel_recovers(
    client: RabbitMQClient, queue: str
) -> None:
    with pytest.raises(RabbitMQError, match="unroutable"):
        client.publish(b"{}", routing_key=f"nobody.{uuid.uuid4()}")
    with pytest.raises(RabbitMQError, match="NOT_FOUND"):
        client.publish(b"{}", exchange=f"missing-{uuid.uuid4()}")
    client.publish(b"{}")
    _wait_count(client, queue, 1)


def test_close_deletes_declared_queues(node: dict, management: ManagementClient) -> None:
    endpoint = Endpoint(node["host"], node["port"], node["user"], node["password"], timeout=5)
    own = RabbitMQClient(endpoint).connect()
    name = own.declare_queue(f"pytest.{uuid.uuid4()}")
    assert management.queue(name) is not None
    assert own.close() == [name]
    assert management.queue(name) is None


def test_a_connection_the_broker_dropped_while_idle_is_reopened_quietly(
    node: dict, management: ManagementClient, capfd, caplog
) -> None:
    """A long test (a soak) leaves the connection idle past its heartbeat and the broker
    drops it: the next call reopens it, close() still deletes the declared queue, and
    pika's ERROR-with-traceback never reaches the console or the log."""
    endpoint = Endpoint(node["host"], node["port"], node["user"], node["password"], timeout=5)
    own = RabbitMQClient(endpoint).connect()
    name = own.declare_queue(f"pytest.durable.{uuid.uuid4()}", durable=True)
    deadline = time.monotonic() + 15
    while not (listed := management.connections()) and time.monotonic() < deadline:
        time.sleep(0.2)  # the management API lists a new connection after a moment
    assert listed, "the management API never listed the connection"
    for connection in listed:
        name_part = quote(connection["name"], safe="")
        management.request("DELETE", f"connections/{name_part}", allow=(404,))
    time.sleep(0.5)
    own._used -= 3600  # idle for an hour, as far as the client knows
    own.publish(b"{}", routing_key=name, exchange="")
    assert own.close() == [name]
    assert management.queue(name) is None
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err + caplog.text


def test_exchange_checks(client: RabbitMQClient, management: ManagementClient) -> None:
    assert client.exchange_exists(constants.ALERT_EXCHANGE)
    assert not client.exchange_exists(f"missing-{uuid.uuid4()}")
    prisma = management.exchange(constants.ALERT_EXCHANGE)
    assert (prisma["type"], prisma["durable"]) == ("topic", True)
    assert management.exchange(f"missing-{uuid.uuid4()}") is None


def test_management_health(management: ManagementClient) -> None:
    assert management.alarms() == (200, {"status": "ok"})
    assert management.overview()["rabbitmq_version"]


def _wait_count(client: RabbitMQClient, queue: str, count: int, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while client.message_count(queue) != count:
        assert time.monotonic() < deadline, f"{queue} never had {count} message(s)"
        time.sleep(0.02)


# -- the keyword layer -----------------------------------------------------------------
@pytest.fixture
def library(node: dict) -> Iterator[RabbitMQ]:
    keywords = RabbitMQ()
    secret = Secret(node["password"])
    run(
        keywords,
        "Connect To RabbitMQ",
        node["host"],
        node["port"],
        node["user"],
        secret,
        management_url=node["mgmt"],
        timeout=timedelta(seconds=5),
    )
    yield keywords
    run(keywords, "Close All RabbitMQ Connections")


def _declare_bound_queue(library: RabbitMQ) -> str:
    name = run(library, "Declare Queue", f"pytest.{uuid.uuid4()}")
    run(library, "Bind Queue", name)
    return name


def test_keywords_publish_and_wait(library: RabbitMQ) -> None:
    queue = _declare_bound_queue(library)
    alert = run(library, "Publish Alert", severity="2", siteId=TEST_SITE)
    message = run(library, "Wait For Message", queue, contains=alert["alertId"])
    assert message["json"] == alert and alert["severity"] == 2
    raw_id = run(library, "Publish Raw Message", "not json")
    predicate = "json is None and 'not json' in body"
    found = run(library, "Wait For Message", queue, predicate=predicate)
    assert found["message_id"] == raw_id


def test_publish_alert_refuses_an_invalid_alert(library: RabbitMQ) -> None:
    with pytest.raises(ValueError, match="Build Alert"):
        run(library, "Publish Alert", severity="4", siteId=TEST_SITE)


def test_bursts_and_concurrent_publishers_are_all_delivered(library: RabbitMQ) -> None:
    queue = _declare_bound_queue(library)
    burst = run(library, "Publish Alerts", 200, siteId=TEST_SITE)
    concurrent = run(library, "Publish Alerts Concurrently", 4, 50, siteId=TEST_SITE)
    assert len(set(burst)) == 200 and len(set(concurrent)) == 200
    run(library, "Get Queue Message Count", queue, AssertionOperator["=="], 400)


def test_count_assertion_fails_with_what_it_saw(library: RabbitMQ) -> None:
    queue = run(library, "Declare Queue", f"pytest.{uuid.uuid4()}")
    with pytest.raises(AssertionError, match="should be"):
        run(
            library,
            "Get Queue Message Count",
            queue,
            AssertionOperator["=="],
            1,
            timeout=timedelta(seconds=0.3),
        )


def test_broker_checks(library: RabbitMQ) -> None:
    run(library, "Broker Should Be Reachable")
    run(library, "Management API Should Be Healthy")
    run(library, "Exchange Should Exist", "prisma", type="topic", durable=True)
    with pytest.raises(AssertionError, match="not 'fanout'"):
        run(library, "Exchange Should Exist", "prisma", type="fanout")
    with pytest.raises(AssertionError, match="does not exist"):
        run(library, "Exchange Should Exist", f"missing-{uuid.uuid4()}")
    run(library, "Get Connection Count", AssertionOperator[">="], 1)


def test_close_all_deletes_the_queues_the_library_declared(
    library: RabbitMQ, management: ManagementClient
) -> None:
    queue = run(library, "Declare Queue", f"pytest.{uuid.uuid4()}")
    run(library, "Close All RabbitMQ Connections")
    assert management.queue(queue) is None


def test_url_connection_and_wrong_password(node: dict) -> None:
    keywords = RabbitMQ()
    url = f"amqp://{node['user']}:{node['password']}@{node['host']}:{node['port']}/"
    try:
        run(keywords, "Connect To RabbitMQ With URL", Secret(url))
        run(keywords, "Broker Should Be Reachable")
        with pytest.raises(RabbitMQError) as caught:
            run(
                keywords,
                "Connect To RabbitMQ",
                node["host"],
                node["port"],
                node["user"],
                Secret("WrongPassword42"),
            )
        assert "WrongPassword42" not in str(caught.value)
    finally:
        run(keywords, "Close All RabbitMQ Connections")


# -- own data on a live system (issue 20, item 4) -------------------------------------------
def test_declared_queues_are_exclusive_or_auto_delete_with_expiry_and_max_length(
    library: RabbitMQ, management: ManagementClient
) -> None:
    """A test queue can neither outlive the run nor grow without end: exclusive (a durable one,
    which must survive a broker restart, expires), always x-expires and x-max-length, as the
    broker reports it."""
    plain = run(library, "Declare Queue", f"pytest.{uuid.uuid4()}")
    durable = run(library, "Declare Queue", f"pytest.{uuid.uuid4()}", durable=True)
    shown = {name: _wait_queue(management, name) for name in (plain, durable)}
    assert (shown[plain]["exclusive"], shown[plain]["durable"]) == (True, False)
    assert (shown[durable]["exclusive"], shown[durable]["durable"]) == (False, True)
    for found in shown.values():
        assert found["arguments"] == {"x-expires": 600_000, "x-max-length": 10_000}


def test_an_exclusive_test_queue_goes_with_its_connection(
    node: dict, management: ManagementClient
) -> None:
    """A killed run closes its connection: the broker deletes the test queue by itself."""
    keywords = RabbitMQ()
    run(
        keywords,
        "Connect To RabbitMQ",
        node["host"],
        node["port"],
        node["user"],
        Secret(node["password"]),
        timeout=timedelta(seconds=5),
    )
    name = run(keywords, "Declare Queue", f"pytest.{uuid.uuid4()}")
    _wait_queue(management, name)
    keywords._connections.current.client._connection.close()  # no delete sent: as if killed
    deadline = time.monotonic() + 10
    try:
        while management.queue(name) is not None:
            assert time.monotonic() < deadline, f"{name} outlived its connection"
            time.sleep(0.1)
    finally:
        run(keywords, "Close All RabbitMQ Connections")


def test_queues_of_others_are_never_read_bound_or_deleted(library: RabbitMQ, client) -> None:
    client.publish(b"{}", exchange="", routing_key=constants.ALERT_REJECTED_QUEUE)
    _wait_count(client, constants.ALERT_REJECTED_QUEUE, 1)
    for name, args in (
        ("Wait For Message", {"message_id": "x", "timeout": timedelta(seconds=0.2)}),
        ("Bind Queue", {}),
        ("Delete Queue", {}),
        ("Purge Queue", {}),
    ):
        with pytest.raises(RuntimeError, match="not a test queue of this connection"):
            run(library, name, constants.ALERT_REJECTED_QUEUE, **args)
    assert client.message_count(constants.ALERT_REJECTED_QUEUE) == 1  # untouched
    client.purge_queue(constants.ALERT_REJECTED_QUEUE)


def test_rejections_are_read_from_a_private_queue_beside_the_real_one(
    library: RabbitMQ, client: RabbitMQClient
) -> None:
    """The rejection reaches the private watch and the real queue; reading it leaves the real
    queue's copy where it was (no consume, no requeue, no redelivery)."""
    client.purge_queue(constants.ALERT_REJECTED_QUEUE)
    watch = run(library, "Watch Rejected Alerts")
    assert run(library, "Watch Rejected Alerts") == watch  # idempotent
    message_id = str(uuid.uuid4())
    client.publish(
        b'{"reason": "out_of_range"}',
        constants.ALERT_REJECTED_EXCHANGE,
        constants.ALERT_REJECTED_ROUTING_KEY,
        message_id=message_id,
    )
    found = run(library, "Wait For Rejected Alert", message_id)
    assert found["json"] == {"reason": "out_of_range"}
    _wait_count(client, constants.ALERT_REJECTED_QUEUE, 1)
    copy = client.wait_for_message(
        constants.ALERT_REJECTED_QUEUE, lambda m: m.message_id == message_id, timeout=2
    )
    assert not copy.redelivered, "the real rejected queue's message was read before"


def test_wait_for_rejected_alert_needs_a_watch_first(library: RabbitMQ) -> None:
    with pytest.raises(RuntimeError, match="call 'Watch Rejected Alerts' before publishing"):
        run(library, "Wait For Rejected Alert", "x", timeout=timedelta(seconds=0.1))


def test_nothing_is_published_under_the_real_site(library: RabbitMQ) -> None:
    """Without a test site (outside Robot: no ``${TEST_SITE_ID}``) every alert keyword refuses
    the environment's real site id, before anything is sent."""
    queue = _declare_bound_queue(library)
    real = {"siteId": constants.SITE_ID}
    for name, args in (
        ("Publish Alert", ()),
        ("Publish Alerts", (3,)),
        ("Publish Alerts Concurrently", (2, 2)),
    ):
        with pytest.raises(RuntimeError, match="real site id 'prisma-210-1000'"):
            run(library, name, *args)
        with pytest.raises(RuntimeError, match="real site id"):
            run(library, name, *args, **real)
    with pytest.raises(RuntimeError, match="real site id"):
        run(library, "Publish Raw Message", json.dumps(valid_alert()))
    run(library, "Get Queue Message Count", queue, AssertionOperator["=="], 0)
    run(library, "Publish Raw Message", json.dumps(valid_alert(site_id=TEST_SITE)))
    run(library, "Get Queue Message Count", queue, AssertionOperator["=="], 1)


def _wait_queue(management: ManagementClient, name: str, timeout: float = 10) -> dict:
    deadline = time.monotonic() + timeout
    while (found := management.queue(name)) is None or "arguments" not in found:
        assert time.monotonic() < deadline, f"the management API never listed {name}"
        time.sleep(0.1)
    return found
