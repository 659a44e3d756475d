"""The whole twin: every service answers with its real client. Its promises about every
port, process and credential are test_twin_promises.py and test_twin_lifecycle_promises.py."""

from __future__ import annotations

import json
import ssl
import urllib.request
from pathlib import Path

import pika
import pymongo
import pytest

from twin import control

pytestmark = pytest.mark.twin


def test_mongodb_answers_pymongo_with_auth(twin):
    client = pymongo.MongoClient(
        host="127.0.0.1",
        port=twin.endpoints["mongo"]["port"],
        username=twin.secrets["mongo_user"],
        password=twin.secrets["mongo_password"],
        authSource="prisma",
        serverSelectionTimeoutMS=2000,
    )
    try:
        assert client.prisma.command("ping")["ok"] == 1
    finally:
        client.close()


def test_mongodb_refuses_a_wrong_password(twin):
    client = pymongo.MongoClient(
        host="127.0.0.1",
        port=twin.endpoints["mongo"]["port"],
        username=twin.secrets["mongo_user"],
        password="wrong",
        authSource="prisma",
        serverSelectionTimeoutMS=2000,
    )
    try:
        with pytest.raises(pymongo.errors.OperationFailure) as error:
            client.prisma.command("ping")
        assert error.value.code == 18
    finally:
        client.close()


def test_rabbitmq_accepts_an_amqp_connection(twin):
    params = pika.ConnectionParameters(
        host="127.0.0.1",
        port=twin.endpoints["rabbitmq"]["amqp_port"],
        credentials=pika.PlainCredentials(
            twin.secrets["rabbitmq_user"], twin.secrets["rabbitmq_password"]
        ),
        socket_timeout=5,
    )
    connection = pika.BlockingConnection(params)
    try:
        channel = connection.channel()
        channel.exchange_declare("prisma", exchange_type="topic", durable=True, passive=True)
    finally:
        connection.close()


def test_focus_health_over_verified_https(twin):
    context = ssl.create_default_context(cafile=twin.endpoints["ca"])
    url = twin.endpoints["focus"]["base_url"] + "/health"
    with urllib.request.urlopen(url, context=context, timeout=5) as response:
        body = json.loads(response.read())
    assert response.status == 200
    assert body["status"] == "ok"


def test_focus_certificate_is_not_trusted_without_the_twin_ca(twin):
    context = ssl.create_default_context()  # the system store only
    url = twin.endpoints["focus"]["base_url"] + "/health"
    with pytest.raises(urllib.error.URLError) as error:
        urllib.request.urlopen(url, context=context, timeout=5)
    assert "CERTIFICATE_VERIFY_FAILED" in str(error.value)


def test_missing_rabbitmq_is_reported_with_the_fix(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(control, "rabbitmq_installed", lambda: False)
    with pytest.raises(control.TwinError) as error:
        control.up(base=tmp_path, timeout=10)
    assert str(error.value) == (
        "rabbitmq-server is not installed: run 'make setup' "
        "(or: sudo apt-get install rabbitmq-server)"
    )
