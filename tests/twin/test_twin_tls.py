"""The twin speaks TLS on AMQP, the RabbitMQ management API and MongoDB, beside the plain
ports: each verifies against the twin's CA and refuses a client that trusts another CA, the
real clients work over it, and the production rehearsal's variables (``make guard``) use
only TLS, so they need no ``ALLOW_PLAINTEXT``.

One whole twin for the module: the session's (``tests/conftest.py``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import ssl
import time
import uuid
from collections.abc import Callable

import pika
import pymongo
import pymongo.errors
import pytest
import requests
import trustme

from contract import constants
from libraries.mongodb.client import MongoConnection
from libraries.rabbitmq.client import Endpoint, RabbitMQClient
from libraries.rabbitmq.management import ManagementClient
from libraries.sanity import checks
from scripts.run import production_guard
from twin import config
from variables import environments

pytestmark = pytest.mark.twin

TIMEOUT_S = 5
# A client that trusts another CA must fail within this (pymongo retries until its
# server selection timeout ends).
REFUSED_WITHIN_S = 3
MANAGEMENT_UP_S = 30  # the management plugin starts after the AMQP listeners
VERIFY_FAILED = "CERTIFICATE_VERIFY_FAILED"


@pytest.fixture(scope="module")
def other_ca(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A CA that did not sign the twin's certificate."""
    path = tmp_path_factory.mktemp("other-ca") / "other-ca.pem"
    trustme.CA(organization_name="Not the twin").cert_pem.write_to_path(str(path))
    return str(path)


def _amqps(twin, cafile: str) -> pika.BlockingConnection:
    context = ssl.create_default_context(cafile=cafile)
    return pika.BlockingConnection(
        pika.ConnectionParameters(
            host=config.HOST,
            port=twin.endpoints["rabbitmq"]["amqps_port"],
            credentials=pika.PlainCredentials(
                twin.secrets["rabbitmq_user"], twin.secrets["rabbitmq_password"]
            ),
            ssl_options=pika.SSLOptions(context, server_hostname=config.HOST),
            connection_attempts=1,
            socket_timeout=TIMEOUT_S,
            stack_timeout=TIMEOUT_S,
            blocked_connection_timeout=TIMEOUT_S,
        )
    )


def _management(twin, cafile: str, path: str = "overview") -> requests.Response:
    """``GET /api/<path>`` over HTTPS; waits (at most MANAGEMENT_UP_S) while the port is
    closed, never on a TLS error."""
    url = f"https://{config.HOST}:{twin.endpoints['rabbitmq']['management_https_port']}/api/{path}"
    auth = (twin.secrets["rabbitmq_user"], twin.secrets["rabbitmq_password"])
    deadline = time.monotonic() + MANAGEMENT_UP_S
    while True:
        try:
            return requests.get(url, auth=auth, verify=cafile, timeout=TIMEOUT_S)
        except requests.exceptions.SSLError:
            raise
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _mongo(twin, cafile: str, timeout_ms: int = TIMEOUT_S * 1000) -> pymongo.MongoClient:
    return pymongo.MongoClient(
        host=config.HOST,
        port=twin.endpoints["mongo"]["tls_port"],
        username=twin.secrets["mongo_user"],
        password=twin.secrets["mongo_password"],
        authSource=constants.MONGO_AUTH_SOURCE,
        tls=True,
        tlsCAFile=cafile,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
    )


def _open_amqps(twin, cafile: str) -> None:
    _amqps(twin, cafile).close()


def _open_management(twin, cafile: str) -> None:
    response = _management(twin, cafile)
    assert response.status_code == 200, response.text[:200]


def _open_mongo(twin, cafile: str) -> None:
    client = _mongo(twin, cafile, timeout_ms=REFUSED_WITHIN_S * 1000 - 500)
    try:
        client[constants.MONGO_DATABASE].command("ping")
    finally:
        client.close()


# (name, open a verified connection, what a client that trusts another CA gets)
TLS_CLIENTS: tuple[tuple[str, Callable[..., None], type[Exception]], ...] = (
    ("amqps", _open_amqps, ssl.SSLCertVerificationError),
    ("management-https", _open_management, requests.exceptions.SSLError),
    ("mongodb-tls", _open_mongo, pymongo.errors.ServerSelectionTimeoutError),
)
IDS = [name for name, _, _ in TLS_CLIENTS]


@pytest.mark.parametrize(("name", "connect", "refusal"), TLS_CLIENTS, ids=IDS)
def test_each_tls_port_verifies_against_the_twin_ca(twin, name, connect, refusal):
    connect(twin, twin.endpoints["ca"])


@pytest.mark.parametrize(("name", "connect", "refusal"), TLS_CLIENTS, ids=IDS)
def test_each_tls_port_refuses_a_client_that_trusts_another_ca(
    twin, other_ca, name, connect, refusal
):
    started = time.monotonic()
    with pytest.raises(refusal) as error:
        connect(twin, other_ca)
    elapsed = time.monotonic() - started
    assert VERIFY_FAILED in repr(error.value).upper(), repr(error.value)[:500]
    assert elapsed < REFUSED_WITHIN_S + 1, f"{name} took {elapsed:.1f} s to refuse"


def test_amqps_publishes_with_confirm_and_consumes(twin):
    body = f'{{"alertId": "{uuid.uuid4()}"}}'.encode()
    key = f"tls.test.{uuid.uuid4().hex}"
    with contextlib.closing(_amqps(twin, twin.endpoints["ca"])) as connection:
        channel = connection.channel()
        queue = channel.queue_declare(queue="", exclusive=True).method.queue
        channel.queue_bind(queue, constants.ALERT_EXCHANGE, key)
        channel.confirm_delivery()
        channel.basic_publish(constants.ALERT_EXCHANGE, key, body, mandatory=True)
        deadline = time.monotonic() + TIMEOUT_S
        method, _, received = channel.basic_get(queue, auto_ack=True)
        while method is None and time.monotonic() < deadline:
            time.sleep(0.05)
            method, _, received = channel.basic_get(queue, auto_ack=True)
        assert received == body, f"no message on {queue} within {TIMEOUT_S} s"


def test_mongodb_over_tls_inserts_and_reads(twin):
    client = _mongo(twin, twin.endpoints["ca"])
    collection = client[constants.MONGO_DATABASE][f"tls_test_{uuid.uuid4().hex[:8]}"]
    try:
        assert client[constants.MONGO_DATABASE].command("ping")["ok"] == 1
        marker = uuid.uuid4().hex
        collection.insert_one({"marker": marker})
        assert collection.find_one({"marker": marker}, {"_id": 0}) == {"marker": marker}
    finally:
        collection.drop()
        client.close()


def _guard_variables(twin, monkeypatch: pytest.MonkeyPatch) -> dict:
    """The production variable file's values for what ``make guard`` exports, with no
    ``ALLOW_PLAINTEXT`` (refused with a line naming each plaintext endpoint otherwise)."""
    monkeypatch.setenv("FOCUS_TWIN_DIR", str(twin.dir))
    monkeypatch.delenv(environments.PLAINTEXT_VARIABLE, raising=False)
    for name, value in production_guard.production_environment(
        twin.endpoints, twin.secrets
    ).items():
        monkeypatch.setenv(name, value)
    return environments.remote_variables("production", is_production=True)


def _sanity_target(variables: dict, ca_bundle: str) -> checks.Target:
    """What the run's first check (``Check Environment Services``) reads of the variables."""
    target = checks.target_from("production", variables)
    return dataclasses.replace(target, ca_bundle=ca_bundle, timeout=REFUSED_WITHIN_S)


SANITY_CHECKS = (
    ("mongodb", checks.check_mongo),
    ("amqp", checks.check_amqp),
    ("management", checks.check_management),
)


@pytest.mark.parametrize(("name", "check"), SANITY_CHECKS, ids=[n for n, _ in SANITY_CHECKS])
def test_the_sanity_check_passes_over_tls_and_names_a_wrong_ca(
    twin, monkeypatch, other_ca, name, check
):
    """The top suite's sanity check verifies each TLS service against ``CA_BUNDLE``: it
    passes on the guard's variables, and a CA that did not sign the server fails it."""
    variables = _guard_variables(twin, monkeypatch)
    if name == "management":
        _management(twin, twin.endpoints["ca"])  # the management plugin is up
    assert check(_sanity_target(variables, twin.endpoints["ca"])) is None
    problem = check(_sanity_target(variables, other_ca))
    assert problem == checks.Problem(checks.TLS_NOT_TRUSTED, checks.CA_FIX)


def test_the_guard_variables_are_tls_only_and_reach_every_store(twin, monkeypatch):
    """What ``make guard`` exports for ``-v ENV:production``: nothing plaintext, so the
    production variable file loads without ``ALLOW_PLAINTEXT``, and the suite's own clients
    reach RabbitMQ, its management API and MongoDB with them, verified against
    ``CA_BUNDLE``."""
    variables = _guard_variables(twin, monkeypatch)
    assert environments.plaintext_endpoints(variables) == []
    assert variables["PLAINTEXT_ENDPOINTS"] == []
    ca_bundle = variables["CA_BUNDLE"]
    assert ca_bundle == twin.endpoints["ca"]

    url = production_guard.production_environment(twin.endpoints, twin.secrets)["RABBITMQ_URL"]
    rabbit = RabbitMQClient(Endpoint.from_url(url, ca_bundle=ca_bundle, timeout=TIMEOUT_S))
    assert rabbit.connect().exchange_exists(constants.ALERT_EXCHANGE)
    rabbit.close()
    management = ManagementClient(
        variables["RABBITMQ_MGMT_URL"],
        variables["RABBITMQ_USER"],
        variables["RABBITMQ_PASSWORD"].value,
        ca_bundle=ca_bundle,
        timeout=TIMEOUT_S,
    )
    try:
        _management(twin, ca_bundle)  # the management plugin is up
        assert management.overview()["node"]
    finally:
        management.close()
    mongo = MongoConnection.open(
        variables["MONGO_HOST"],
        variables["MONGO_PORT"],
        variables["MONGO_USER"],
        variables["MONGO_PASSWORD"].value,
        database=variables["MONGO_DATABASE"],
        auth_source=variables["MONGO_AUTH_SOURCE"],
        tls=variables["MONGO_TLS"],
        ca_bundle=ca_bundle,
        timeout_s=TIMEOUT_S,
    )
    try:
        mongo.ping()
    finally:
        mongo.close()
