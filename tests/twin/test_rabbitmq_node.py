"""The twin's private RabbitMQ node (``python -m twin.rabbitmq``) against the real broker.

One node is started per module, as the supervisor would start the pod: in its own
session, from a twin directory with ``endpoints.json`` and ``secrets.json``, on
free loopback ports. The destructive tests (SIGKILL, SIGTERM) come last.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pika
import psutil
import pytest
import requests
from pika.exceptions import ProbableAuthenticationError

import twin.rabbitmq.__main__ as pod_main
from contract import constants
from twin import config, tls
from twin.rabbitmq import TlsListeners, prepare, wait_ready
from twin.rabbitmq import node as node_module

pytestmark = pytest.mark.skipif(
    not node_module.SERVER_SCRIPT.is_file(), reason="Debian's rabbitmq-server is not installed"
)

START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 20
HTTP_TIMEOUT_S = 5
ERLANG_PROCESSES = {"beam.smp", "epmd", "erl_child_setup", "inet_gethost"}


def free_ports(count: int) -> list[int]:
    """``count`` distinct free TCP ports on 127.0.0.1 (bound together, then released)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind((config.HOST, 0))
        return [sock.getsockname()[1] for sock in sockets]


@dataclass
class Pod:
    """One ``rabbitmq-panda`` pod process and the twin directory it reads."""

    twin_dir: Path
    endpoints: dict
    secrets: dict
    process: subprocess.Popen | None = None
    log: Path = field(init=False)
    starts: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.log = self.twin_dir / "pod.log"

    @property
    def rabbit(self) -> dict:
        return self.endpoints["rabbitmq"]

    @property
    def credentials(self) -> tuple[str, str]:
        return self.secrets["rabbitmq_user"], self.secrets["rabbitmq_password"]

    def start(self) -> float:
        """Start the pod like the supervisor does; return seconds until AMQP login works."""
        env = dict(os.environ, FOCUS_TWIN_DIR=str(self.twin_dir), PYTHONPATH=str(config.REPO_ROOT))
        started = time.monotonic()
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "twin.rabbitmq"],
                cwd=config.REPO_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_ready(config.HOST, self.rabbit["amqp_port"], *self.credentials, START_TIMEOUT_S)
        elapsed = time.monotonic() - started
        self.starts.append(elapsed)
        assert self.process.poll() is None, self.tail()
        return elapsed

    def family(self) -> list[psutil.Process]:
        """The pod process and all its descendants."""
        assert self.process is not None
        root = psutil.Process(self.process.pid)
        return [root, *root.children(recursive=True)]

    def tail(self, lines: int = 20) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def kill_group(self) -> None:
        """SIGKILL the pod's whole process group, as a pod delete does after the grace period."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=STOP_TIMEOUT_S)

    def leftovers(self) -> list[psutil.Process]:
        """Erlang processes (VM, epmd, helpers) that belong to this twin directory or node."""
        marks = (str(self.twin_dir), self.rabbit["node_name"], f"-port {self.rabbit['epmd_port']}")
        found = []
        for process in psutil.process_iter(["name", "cmdline"]):
            if process.info["name"] not in ERLANG_PROCESSES:
                continue
            with contextlib.suppress(psutil.Error):
                text = " ".join(process.info["cmdline"] or [])
                text += " " + " ".join(f"{k}={v}" for k, v in process.environ().items())
                if any(mark in text for mark in marks) and process.status() != "zombie":
                    found.append(process)
        return found

    def wait_no_leftovers(self, timeout: float = 10.0) -> list[psutil.Process]:
        deadline = time.monotonic() + timeout
        while (left := self.leftovers()) and time.monotonic() < deadline:
            time.sleep(0.1)
        return left


def make_twin_dir() -> Path:
    """A twin directory that the ``rabbitmq`` service user can reach (pytest's tmp is 0700)."""
    path = Path(tempfile.mkdtemp(prefix="twin-rabbitmq-"))
    path.chmod(0o755)
    amqp, mgmt, dist, epmd = free_ports(4)
    endpoints = {
        "host": config.HOST,
        "rabbitmq": {
            "amqp_port": amqp,
            "mgmt_port": mgmt,
            "dist_port": dist,
            "epmd_port": epmd,
            "node_name": f"twin-{amqp}@localhost",
            "vhost": "/",
        },
    }
    secret_values = {
        "rabbitmq_user": "prisma",
        "rabbitmq_password": secrets.token_urlsafe(18),
        "erlang_cookie": secrets.token_hex(16).upper(),
    }
    config.write_json(path / config.ENDPOINTS_FILE, endpoints)
    config.write_json(path / config.SECRETS_FILE, secret_values, private=True)
    return path


@pytest.fixture(scope="module")
def pod() -> Iterator[Pod]:
    twin_dir = make_twin_dir()
    pod = Pod(
        twin_dir=twin_dir,
        endpoints=config.load_endpoints(twin_dir),
        secrets=config.load_secrets(twin_dir),
    )
    try:
        pod.start()
        yield pod
    finally:
        pod.kill_group()
        for process in pod.wait_no_leftovers(timeout=5):
            with contextlib.suppress(psutil.Error):
                process.kill()
        shutil.rmtree(twin_dir, ignore_errors=True)
        print(f"\nrabbitmq-panda start times (s): {[round(s, 2) for s in pod.starts]}")


def amqp_connection(pod: Pod) -> pika.BlockingConnection:
    user, password = pod.credentials
    return pika.BlockingConnection(
        pika.ConnectionParameters(
            host=config.HOST,
            port=pod.rabbit["amqp_port"],
            credentials=pika.PlainCredentials(user, password),
            connection_attempts=1,
            socket_timeout=5,
            stack_timeout=5,
            blocked_connection_timeout=5,
        )
    )


def publish_confirmed(channel, routing_key: str, body: bytes) -> None:
    """Publish persistently to the alert exchange and wait for the broker's confirm."""
    channel.confirm_delivery()
    channel.basic_publish(
        exchange=constants.ALERT_EXCHANGE,
        routing_key=routing_key,
        body=body,
        properties=pika.BasicProperties(delivery_mode=pika.DeliveryMode.Persistent),
        mandatory=True,
    )


def get_one(channel, queue: str, timeout: float = 5.0) -> bytes:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        method, _props, body = channel.basic_get(queue=queue, auto_ack=True)
        if method is not None:
            return body
        time.sleep(0.05)
    raise AssertionError(f"no message on queue {queue!r} within {timeout} s")


def mgmt(pod: Pod, path: str, auth: tuple[str, str] | None = None) -> requests.Response:
    url = f"http://{config.HOST}:{pod.rabbit['mgmt_port']}/api/{path}"
    return requests.get(url, auth=auth or pod.credentials, timeout=HTTP_TIMEOUT_S)


def test_publish_with_confirm_and_consume_on_the_alert_exchange(pod: Pod) -> None:
    body = f'{{"alertId": "{uuid.uuid4()}"}}'.encode()
    with contextlib.closing(amqp_connection(pod)) as connection:
        channel = connection.channel()
        queue = channel.queue_declare(queue="", exclusive=True).method.queue
        channel.queue_bind(queue, constants.ALERT_EXCHANGE, constants.ALERT_ROUTING_KEY)
        publish_confirmed(channel, constants.ALERT_ROUTING_KEY, body)
        assert get_one(channel, queue) == body


def test_definitions_declare_the_alert_exchange_queue_and_user(pod: Pod) -> None:
    exchange = mgmt(pod, f"exchanges/%2F/{constants.ALERT_EXCHANGE}").json()
    assert (exchange["type"], exchange["durable"]) == ("topic", True)
    for name in (constants.ALERT_REJECTED_QUEUE, constants.ALERT_CONSUMER_QUEUE):
        assert mgmt(pod, f"queues/%2F/{name}").json()["durable"] is True
    bindings = mgmt(pod, f"queues/%2F/{constants.ALERT_CONSUMER_QUEUE}/bindings").json()
    assert {(b["source"], b["routing_key"]) for b in bindings} >= {
        (constants.ALERT_EXCHANGE, constants.ALERT_ROUTING_KEY)
    }
    users = {user["name"]: user["tags"] for user in mgmt(pod, "users").json()}
    assert users == {"prisma": ["administrator"]}


def test_management_api_answers_the_credentials_and_refuses_a_wrong_password(pod: Pod) -> None:
    overview = mgmt(pod, "overview")
    assert overview.status_code == 200
    assert overview.json()["node"] == pod.rabbit["node_name"]
    assert mgmt(pod, "overview", auth=("prisma", "wrong-password")).status_code == 401
    assert mgmt(pod, "overview", auth=("guest", "guest")).status_code == 401


def test_guest_cannot_log_in_over_amqp(pod: Pod) -> None:
    params = pika.ConnectionParameters(
        host=config.HOST,
        port=pod.rabbit["amqp_port"],
        credentials=pika.PlainCredentials("guest", "guest"),
        connection_attempts=1,
        socket_timeout=5,
        stack_timeout=5,
    )
    with pytest.raises(ProbableAuthenticationError):
        pika.BlockingConnection(params)


def test_every_listener_is_on_loopback_and_in_the_pod_group(pod: Pod) -> None:
    family = pod.family()
    listening = {
        (conn.laddr.ip, conn.laddr.port)
        for process in family
        for conn in process.net_connections(kind="tcp")
        if conn.status == psutil.CONN_LISTEN
    }
    assert {ip for ip, _port in listening} <= {"127.0.0.1", "::1"}, listening
    expected = {pod.rabbit[key] for key in ("amqp_port", "mgmt_port", "dist_port", "epmd_port")}
    assert expected <= {port for _ip, port in listening}, listening
    group = {p.name() for p in family if os.getpgid(p.pid) == pod.process.pid}
    assert {"beam.smp", "epmd"} <= group


def test_pod_exits_non_zero_and_cleans_up_when_the_vm_dies(pod: Pod) -> None:
    (beam,) = [p for p in pod.family() if p.name() == "beam.smp"]
    beam.kill()
    assert pod.process.wait(timeout=STOP_TIMEOUT_S) == 1
    assert "rabbitmq-server exited" in pod.tail(3)
    assert pod.wait_no_leftovers() == []
    pod.start()


def test_persistent_message_survives_sigkill_of_the_pod(pod: Pod) -> None:
    queue, key, body = "twin.test.survival", "survival.test", uuid.uuid4().bytes
    with contextlib.closing(amqp_connection(pod)) as connection:
        channel = connection.channel()
        channel.queue_declare(queue=queue, durable=True)
        channel.queue_bind(queue, constants.ALERT_EXCHANGE, key)
        publish_confirmed(channel, key, body)
    pod.kill_group()
    assert pod.wait_no_leftovers() == []
    pod.start()
    with contextlib.closing(amqp_connection(pod)) as connection:
        assert get_one(connection.channel(), queue) == body


def test_sigterm_to_the_group_stops_everything_with_exit_0(pod: Pod) -> None:
    os.killpg(pod.process.pid, signal.SIGTERM)
    assert pod.process.wait(timeout=STOP_TIMEOUT_S) == 0, pod.tail()
    assert pod.wait_no_leftovers() == []
    assert "stopped gracefully" in pod.tail()


def test_a_taken_amqp_port_fails_with_one_line_naming_the_log() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="twin-rabbitmq-cli-"))
    data_dir.chmod(0o755)
    amqp, mgmt, dist, epmd = free_ports(4)
    argv = [sys.executable, "-m", "twin.rabbitmq", "--data-dir", str(data_dir)]
    argv += ["--amqp-port", str(amqp), "--mgmt-port", str(mgmt)]
    argv += ["--dist-port", str(dist), "--epmd-port", str(epmd)]
    env = dict(os.environ, PYTHONPATH=str(config.REPO_ROOT), RABBITMQ_TWIN_PASSWORD="pw")
    with socket.create_server((config.HOST, amqp)):
        process = subprocess.Popen(
            argv,
            cwd=config.REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            _, stderr = process.communicate(timeout=START_TIMEOUT_S)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_TIMEOUT_S)
    shutil.rmtree(data_dir, ignore_errors=True)
    assert process.returncode == 1
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("rabbitmq-panda: rabbitmq-server exited"), stderr[-2000:]
    assert f"twin-{amqp}@localhost.log" in last


@pytest.mark.skipif(os.geteuid() != 0, reason="only root drops to the rabbitmq user")
def test_prepare_hands_the_files_to_the_service_user_when_it_can_reach_them(
    tmp_path: Path,
) -> None:
    names = ("amqp_port", "mgmt_port", "dist_port", "epmd_port")
    ports = dict(zip(names, free_ports(4), strict=True))
    service = pwd.getpwnam("rabbitmq")
    reachable = Path(tempfile.mkdtemp(prefix="twin-rabbitmq-prepare-"))
    try:
        reachable.chmod(0o755)
        spec = prepare(reachable / "node", user="prisma", password="pw", cookie="C", **ports)
        assert spec.run_as == (service.pw_uid, service.pw_gid)
        cookie = (spec.home / ".erlang.cookie").stat()
        assert (cookie.st_uid, cookie.st_mode & 0o777) == (service.pw_uid, 0o400)
        assert spec.definitions_file.stat().st_mode & 0o777 == 0o600
    finally:
        shutil.rmtree(reachable, ignore_errors=True)
    # pytest's tmp_path is 0700 root: the node falls back to running as root.
    assert prepare(tmp_path, user="prisma", password="pw", cookie="C", **ports).run_as is None


def test_prepare_with_tls_adds_the_listeners_and_a_key_only_the_node_reads() -> None:
    """The TLS listeners (RabbitMQ's documented keys) present the node's own copy of the
    twin's certificate; the key copy is 0600 and owned by the user the node runs as."""
    names = ("amqp_port", "mgmt_port", "dist_port", "epmd_port")
    ports = dict(zip(names, free_ports(4), strict=True))
    base = Path(tempfile.mkdtemp(prefix="twin-rabbitmq-tls-"))
    try:
        base.chmod(0o755)
        files = tls.ensure_certificates(base / "twin")
        amqps, https = free_ports(2)
        wanted = TlsListeners(
            amqps, https, Path(files["ca"]), Path(files["server_cert"]), Path(files["server_key"])
        )
        spec = prepare(base / "node", user="prisma", password="pw", cookie="C", tls=wanted, **ports)
        assert spec.tls is not None and spec.tls.key_file.parent == spec.tls_dir
        conf = spec.config_file.read_text().splitlines()
        for line in (
            f"listeners.ssl.1 = 127.0.0.1:{amqps}",
            f"ssl_options.certfile = {spec.tls.cert_file}",
            f"ssl_options.keyfile = {spec.tls.key_file}",
            "ssl_options.verify = verify_none",
            "ssl_options.fail_if_no_peer_cert = false",
            "management.ssl.ip = 127.0.0.1",
            f"management.ssl.port = {https}",
            f"management.ssl.cacertfile = {spec.tls.ca_file}",
        ):
            assert line in conf, line
        key = spec.tls.key_file.stat()
        owner = spec.run_as[0] if spec.run_as is not None else os.geteuid()
        assert (key.st_uid, key.st_mode & 0o777) == (owner, 0o600)
        assert spec.tls.key_file.read_bytes() == Path(files["server_key"]).read_bytes()
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_missing_rabbitmq_server_is_one_line_and_non_zero(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr(node_module, "SERVER_SCRIPT", tmp_path / "no-rabbitmq-server")
    monkeypatch.setenv("FOCUS_TWIN_DIR", str(tmp_path))
    assert pod_main.main([]) != 0
    assert capsys.readouterr().err == (
        "rabbitmq-server is not installed: run 'make setup' (or: apt-get install rabbitmq-server)\n"
    )
