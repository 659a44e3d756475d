"""The twin's promises about a whole class, one case per member (twin/README.md, README's
"The local twin"): every port on loopback only, every HTTPS endpoint and every TLS port
verified against the twin's own CA, every workload in its own process group with its label
and its log file, every credential generated and kept out of endpoints.json.

Each table is checked against what the running twin has (a port, a workload or a secret
it does not list is a failure of its own), so a new member cannot slip past unchecked.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import stat
from pathlib import Path

import psutil
import pytest
import requests

from tests.twin.kube_fixtures import wait_for
from twin import config, processes
from twin.workloads import WORKLOADS

pytestmark = pytest.mark.twin

LOOPBACK = ("127.0.0.1", "::1")
# Every port endpoints.json names ("section.key").
PORTS = (
    "focus.port",
    "kube.port",
    "kube.internal_port",
    "mongo.port",
    "mongo.tls_port",
    "rabbitmq.amqp_port",
    "rabbitmq.amqps_port",
    "rabbitmq.mgmt_port",
    "rabbitmq.management_https_port",
    "rabbitmq.dist_port",
    "rabbitmq.epmd_port",
    "ssh.jump_port",
    "ssh.worker_port",
)
# Every HTTPS endpoint: (name, the URL in endpoints.json).
HTTPS = (("focus", "focus.base_url"), ("liveview", "focus.ui_url"), ("kube", "kube.url"))
# Every TLS port beside a plain one: (name, the port in endpoints.json).
TLS_PORTS = (
    ("mongodb", "mongo.tls_port"),
    ("amqps", "rabbitmq.amqps_port"),
    ("management", "rabbitmq.management_https_port"),
)
# Every credential secrets.json holds; user names are not secret, the rest are.
USERS = ("focus_user", "focus_other_user", "mongo_user", "rabbitmq_user")
CREDENTIALS = (
    "focus_password",
    "focus_other_password",
    "token_signing_key",
    "mongo_password",
    "rabbitmq_password",
    "kube_token",
    "erlang_cookie",
)


def _value(endpoints: dict, dotted: str):
    section, key = dotted.split(".")
    return endpoints[section][key]


def _state(twin) -> dict:
    return json.loads((twin.dir / config.STATE_FILE).read_text())


def _listening(port: int) -> list:
    return [
        conn
        for conn in psutil.net_connections(kind="inet")
        if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port
    ]


# ------------------------------------------------------------------ ports


def test_the_port_table_names_every_port_of_endpoints_json(twin):
    found = {
        f"{section}.{key}"
        for section, values in twin.endpoints.items()
        if isinstance(values, dict)
        for key, value in values.items()
        if key.endswith("port") and isinstance(value, int)
    }
    assert found == set(PORTS)


@pytest.mark.parametrize("key", PORTS)
def test_every_port_listens_on_loopback_only(twin, key):
    port = _value(twin.endpoints, key)
    listening = _listening(port)
    assert listening, f"nothing listens on {key} ({port})"
    wrong = [f"{conn.laddr.ip}:{port}" for conn in listening if conn.laddr.ip not in LOOPBACK]
    assert not wrong, f"{key} listens beyond loopback: {wrong}"


def _every_pod_ready(twin) -> dict | None:
    state = _state(twin)
    workloads = {spec.name for spec in WORKLOADS}
    pods = [p for p in state["pods"] if p["workload"] in workloads and not p["deleting"]]
    return state if state["ready"] and pods and all(pod["ready"] for pod in pods) else None


def test_every_listening_socket_of_every_twin_process_is_on_loopback(twin):
    # The session twin is shared: an earlier test may have crashed or restarted a workload.
    state = wait_for(lambda: _every_pod_ready(twin), timeout=90, what="every pod of the twin Ready")
    pids = {proc.pid for proc in processes.marked_processes(state["instance"])}
    pids.add(state["supervisor_pid"])
    sockets = [
        conn
        for conn in psutil.net_connections(kind="inet")
        if conn.status == psutil.CONN_LISTEN and conn.pid in pids
    ]
    ports = {conn.laddr.port for conn in sockets}
    unowned = {
        key: [f"{c.pid} {c.laddr.ip}" for c in _listening(_value(twin.endpoints, key))]
        for key in PORTS
        if _value(twin.endpoints, key) not in ports
    }
    assert not unowned, f"no twin process listens on (port: who does) {unowned}"
    wrong = [
        f"{psutil.Process(conn.pid).name()} ({conn.pid}) on {conn.laddr.ip}:{conn.laddr.port}"
        for conn in sockets
        if conn.laddr.ip not in LOOPBACK
    ]
    assert not wrong, f"twin processes listening beyond loopback: {wrong}"


# ------------------------------------------------------------------ TLS


def _handshake(url: str, cafile: str | None) -> None:
    host_port = url.split("://", 1)[1].split("/", 1)[0]
    host, port = host_port.rsplit(":", 1)
    context = ssl.create_default_context(cafile=cafile)
    with (
        socket.create_connection((host, int(port)), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        assert tls.version() in ("TLSv1.2", "TLSv1.3")


@pytest.mark.parametrize(("name", "key"), HTTPS, ids=[name for name, _ in HTTPS])
def test_every_https_endpoint_verifies_against_the_twin_ca_only(twin, name, key):
    url = _value(twin.endpoints, key)
    assert url.startswith("https://"), f"{name} is not HTTPS: {url}"
    _handshake(url, twin.endpoints["ca"])
    with pytest.raises(ssl.SSLCertVerificationError):
        _handshake(url, None)  # the system store does not know the twin's CA


@pytest.mark.parametrize(("name", "key"), TLS_PORTS, ids=[name for name, _ in TLS_PORTS])
def test_every_tls_port_verifies_against_the_twin_ca_only(twin, name, key):
    url = f"tls://{config.HOST}:{_value(twin.endpoints, key)}"
    _handshake(url, twin.endpoints["ca"])
    with pytest.raises(ssl.SSLCertVerificationError):
        _handshake(url, None)


def test_the_tls_table_names_every_tls_port_of_endpoints_json():
    """A port is TLS by its name (``tls_port``, ``amqps_port``, ``*_https_port``)."""
    named = {key for key in PORTS if any(word in key for word in ("tls", "amqps", "https"))}
    assert named == {key for _, key in TLS_PORTS}


def test_the_https_table_names_every_url_of_endpoints_json(twin):
    urls = {
        f"{section}.{key}"
        for section, values in twin.endpoints.items()
        if isinstance(values, dict)
        for key, value in values.items()
        if isinstance(value, str) and "://" in value
    }
    assert urls == {key for _, key in HTTPS}


# ------------------------------------------------------------------ workloads


@pytest.fixture(scope="module")
def kube(twin) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.verify = twin.endpoints["ca"]
    session.headers["Authorization"] = f"Bearer {twin.secrets['kube_token']}"
    return session


def test_the_workload_table_is_what_the_twin_runs(twin):
    running = {pod["workload"] for pod in _state(twin)["pods"] if not pod.get("deleting")}
    assert running == {spec.name for spec in WORKLOADS}


@pytest.mark.parametrize("spec", WORKLOADS, ids=[spec.name for spec in WORKLOADS])
def test_every_workload_runs_in_its_own_group_with_its_label_and_log(twin, kube, spec):
    state = _state(twin)
    pods = [p for p in state["pods"] if p["workload"] == spec.name and not p.get("deleting")]
    assert len(pods) == 1, pods
    pod = pods[0]
    assert pod["phase"] == "Running" and processes.pid_alive(pod["pid"])
    group = os.getpgid(pod["pid"])
    assert group == pod["pid"], f"{pod['name']} is not the leader of its own process group"
    assert group != os.getpgid(state["supervisor_pid"])
    others = {os.getpgid(p["pid"]) for p in state["pods"] if p is not pod and p.get("pid")}
    assert group not in others
    log = Path(pod["log"])
    assert log.parent == twin.dir / "logs" and log.stat().st_size > 0
    if spec.is_host:
        return  # a host, not a pod: no Kubernetes label
    url = twin.endpoints["kube"]["url"] + f"/api/v1/namespaces/panda/pods/{pod['name']}"
    answer = kube.get(url, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.json()["metadata"]["labels"]["app"] == spec.name


# ------------------------------------------------------------------ credentials


def test_the_credential_table_is_what_secrets_json_holds(twin):
    assert set(twin.secrets) == set(USERS) | set(CREDENTIALS)
    mode = stat.S_IMODE((twin.dir / config.SECRETS_FILE).stat().st_mode)
    assert mode & 0o077 == 0, f"secrets.json is {oct(mode)}, not private"


@pytest.mark.parametrize("key", CREDENTIALS)
def test_every_credential_is_generated_and_kept_out_of_endpoints_json(twin, key):
    value = twin.secrets[key]
    assert isinstance(value, str) and len(value) >= 16, f"{key} is not a generated secret"
    for name in (config.ENDPOINTS_FILE, config.STATE_FILE):
        assert value not in (twin.dir / name).read_text(), f"{key} appears in {name}"
