"""The whole twin: every service answers with its real client, and `down` leaves nothing."""

from __future__ import annotations

import json
import socket
import ssl
import time
import urllib.request
from pathlib import Path

import pika
import psutil
import pymongo
import pytest

from twin import control, processes

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


def test_every_twin_port_listens_on_loopback_only(twin):
    ports = {
        twin.endpoints["focus"]["port"],
        twin.endpoints["mongo"]["port"],
        twin.endpoints["rabbitmq"]["amqp_port"],
        twin.endpoints["rabbitmq"]["mgmt_port"],
    }
    listening = {
        conn.laddr.port: conn.laddr.ip
        for conn in psutil.net_connections(kind="inet")
        if conn.status == psutil.CONN_LISTEN and conn.laddr.port in ports
    }
    assert set(listening) == ports
    assert all(ip in ("127.0.0.1", "::1") for ip in listening.values()), listening


def test_up_then_down_leaves_no_process_behind(tmp_path: Path):
    result = control.up(base=tmp_path, timeout=120)
    assert result.started
    instance = json.loads((tmp_path / "state.json").read_text())["instance"]
    rabbit_port = result.endpoints["rabbitmq"]["amqp_port"]
    assert processes.marked_processes(instance)
    assert control.down(base=tmp_path)
    deadline = time.monotonic() + 15
    while processes.marked_processes(instance) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes.marked_processes(instance) == []
    leftovers = [
        p.info["cmdline"]
        for p in psutil.process_iter(["cmdline"])
        if str(tmp_path) in " ".join(p.info["cmdline"] or [])
    ]
    assert leftovers == []
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", rabbit_port)) != 0


def test_missing_rabbitmq_is_reported_with_the_fix(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(control, "rabbitmq_installed", lambda: False)
    with pytest.raises(control.TwinError) as error:
        control.up(base=tmp_path, timeout=10)
    assert str(error.value) == (
        "rabbitmq-server is not installed: run 'make setup' "
        "(or: sudo apt-get install rabbitmq-server)"
    )
