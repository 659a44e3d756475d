"""The Focus Server as real processes: ``python -m twin.focus_server`` over TLS, real jobs."""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psutil
import pytest
import trustme

from contract import constants
from tests.twin.test_focus_server_support import (
    PASSWORD,
    USER,
    closed_port,
    live_config,
    make_settings,
    new_db,
    running_api,
    seed_recordings,
    tcp_listener,
    wait_for,
)
from twin import config as twin_config
from twin.focus_server.jobs import ProcessJobBackend, job_name
from twin.grpc_job import protocol
from twin.ports import free_port

SECRETS = {
    "focus_user": USER,
    "focus_password": PASSWORD,
    "token_signing_key": "process-test-key",
    "mongo_user": constants.MONGO_USER,
    "mongo_password": "unused",
    "rabbitmq_user": "prisma",
    "rabbitmq_password": "unused",
}


def no_children_left() -> list[psutil.Process]:
    return [p for p in psutil.Process().children(recursive=True) if p.status() != "zombie"]


# --- python -m twin.focus_server over TLS -------------------------------------------------


@pytest.fixture(scope="module")
def twin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A twin directory with a fresh trustme CA; MongoDB points at a closed port."""
    tmp_path = tmp_path_factory.mktemp("twin")
    ca = trustme.CA(organization_name="focus-server test")
    server = ca.issue_cert("127.0.0.1", "localhost")
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    server.cert_chain_pems[0].write_to_path(str(tmp_path / "server.pem"))
    server.private_key_pem.write_to_path(str(tmp_path / "server-key.pem"))
    port = free_port()
    endpoints = {
        "host": "127.0.0.1",
        "ca": str(tmp_path / "ca.pem"),
        "server_cert": str(tmp_path / "server.pem"),
        "server_key": str(tmp_path / "server-key.pem"),
        "focus": {"port": port, "base_url": f"https://127.0.0.1:{port}/focus-server"},
        "mongo": {"port": closed_port(), "database": "prisma", "auth_source": "prisma"},
        "rabbitmq": {"amqp_port": closed_port(), "vhost": "/"},
    }
    twin_config.write_json(tmp_path / twin_config.ENDPOINTS_FILE, endpoints)
    twin_config.write_json(tmp_path / twin_config.SECRETS_FILE, SECRETS, private=True)
    return tmp_path


@pytest.fixture(scope="module")
def server(twin_dir: Path) -> Iterator[tuple[subprocess.Popen, dict]]:
    endpoints = twin_config.load_endpoints(twin_dir)
    log = open(twin_dir / "focus.log", "wb")  # noqa: SIM115 - closed in the finally
    process = subprocess.Popen(
        [sys.executable, "-m", "twin.focus_server"],
        cwd=twin_config.REPO_ROOT,
        env={**os.environ, "FOCUS_TWIN_DIR": str(twin_dir)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        port = endpoints["focus"]["port"]
        wait_for(lambda: _listening(port), 20, f"focus server on port {port}")
        yield process, endpoints
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        log.close()


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def test_process_serves_https_and_degrades_fast_without_mongodb(server, twin_dir):
    _, endpoints = server
    base = endpoints["focus"]["base_url"]
    with httpx.Client(verify=ssl.create_default_context(cafile=endpoints["ca"]), timeout=5) as api:
        started = time.monotonic()
        health = api.get(f"{base}/health")
        assert time.monotonic() - started < constants.HEALTH_DEGRADED_WITHIN_S
        assert health.status_code == 503
        assert health.json()["dependencies"] == {"mongodb": "down", "rabbitmq": "down"}
        login = api.post(f"{base}/auth/token", json={"username": USER, "password": PASSWORD})
        token = login.json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        refused = api.post(f"{base}/configure", json=live_config(), headers=headers)
        assert refused.status_code == 503
        assert refused.json()["error"]["code"] == "DEPENDENCY_UNAVAILABLE"
        assert api.get(f"{base}/openapi.json").status_code == 200
    log = (twin_dir / "focus.log").read_text()
    assert "POST /focus-server/auth/token 200" in log and "GET /focus-server/health 503" in log
    assert token not in log and PASSWORD not in log


def test_plain_http_is_never_served(server):
    _, endpoints = server
    plain = endpoints["focus"]["base_url"].replace("https://", "http://")
    try:
        response = httpx.get(f"{plain}/health", timeout=3)
    except httpx.HTTPError:
        return
    assert response.status_code == 400 and "status" not in response.text


def test_a_client_without_the_twin_ca_refuses_the_server(server):
    _, endpoints = server
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{endpoints['focus']['base_url']}/health", timeout=3)


def test_sigterm_stops_the_process_cleanly(server):
    """Last of the module's server tests: it ends the shared process."""
    process, _ = server
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0


# --- real gRPC job processes under the in-process application ----------------------------------


@pytest.fixture
def process_settings(tmp_path: Path):
    with tcp_listener() as rabbitmq:
        backend = ProcessJobBackend(tmp_path / "logs")
        db = new_db()
        seed_recordings(db, tmp_path / "recordings", datetime.now(UTC))
        yield make_settings(db, backend, rabbitmq, running_timeout_s=30)
    assert no_children_left() == []


def _status(api, task_id: str) -> str:
    return api.get(f"/ack/{task_id}").json()["status"]


def test_live_task_runs_a_real_job_and_delete_reaps_it(process_settings, tmp_path):
    backend: ProcessJobBackend = process_settings.job_backend
    with running_api(process_settings) as api:
        started = time.monotonic()
        task = api.post("/configure", json=live_config()).json()
        wait_for(lambda: _status(api, task["task_id"]) == "running", 30, "running")
        to_running = time.monotonic() - started
        job = psutil.Process(backend.pids()[task["task_id"]])
        assert job.ppid() == os.getpid() and os.getpgid(job.pid) == os.getpgid(0)
        stream = task["stream"]
        frames = protocol.read_frames(stream["host"], stream["port"], 2)
        assert len(frames) == 2 and len(frames[0]["values"]) == 99
        api.post(f"/config_task/{task['task_id']}", json={"channels": {"min": 1, "max": 3}})
        assert len(protocol.read_frames(stream["host"], stream["port"], 1)[0]["values"]) == 3
        assert api.delete(f"/task/{task['task_id']}").status_code == 200
        assert not job.is_running() or job.status() == "zombie"
        assert not protocol.check_serving(stream["host"], stream["port"])
    log = tmp_path / "logs" / f"{job_name(task['task_id'])}.log"
    assert "serving on 127.0.0.1" in log.read_text()
    print(f"configure -> running with a real job: {to_running:.2f} s")
    assert to_running < 10


def test_historic_task_completes_and_its_job_is_reaped(process_settings):
    backend: ProcessJobBackend = process_settings.job_backend
    end = datetime.now(UTC) - timedelta(minutes=5)
    config = live_config(
        timeStatus="Historic",
        startTime=protocol.format_time(end - timedelta(minutes=1)),
        endTime=protocol.format_time(end),
    )
    with running_api(process_settings) as api:
        task_id = api.post("/configure", json=config).json()["task_id"]
        wait_for(lambda: _status(api, task_id) == "running", 30, "running")
        pid = backend.pids()[task_id]
        wait_for(lambda: _status(api, task_id) == "completed", 10, "completed")
        wait_for(lambda: not psutil.pid_exists(pid), 5, f"job process {pid} reaped")
        assert task_id not in backend.pids()
        rows = api.get(f"/waterfall/{task_id}?rows=3").json()["rows"]
        assert len(rows) == 3


def test_restart_restarts_the_jobs_of_live_tasks(process_settings):
    backend: ProcessJobBackend = process_settings.job_backend
    with running_api(process_settings) as api:
        task_id = api.post("/configure", json=live_config()).json()["task_id"]
        wait_for(lambda: _status(api, task_id) == "running", 30, "running")
        first = backend.pids()[task_id]
    assert not psutil.pid_exists(first) and backend.pids() == {}
    with running_api(process_settings) as api:
        assert _status(api, task_id) in ("waiting", "running")
        wait_for(lambda: _status(api, task_id) == "running", 30, "running again")
        assert backend.pids()[task_id] != first
        stream = api.get(f"/metadata/{task_id}").json()["stream"]
        assert protocol.check_serving(stream["host"], stream["port"])
    assert backend.pids() == {}


def test_the_settings_repr_holds_no_secret(process_settings):
    # A failing test prints its fixtures' reprs into pytest.xml, which check_secrets reads.
    shown = repr(process_settings)
    assert process_settings.focus_user in shown
    assert PASSWORD not in shown and process_settings.token_signing_key not in shown


def _cmdline(process: psutil.Process) -> list[str]:
    """A child's command line; [] for a zombie or a child that has just gone (another
    test's leftover must not fail this one)."""
    try:
        return process.cmdline()
    except (psutil.ZombieProcess, psutil.NoSuchProcess):
        return []


def test_secrets_are_not_passed_in_argv(process_settings):
    with running_api(process_settings) as api:
        api.post("/configure", json=live_config())
        (job,) = [p for p in psutil.Process().children() if "twin.grpc_job" in _cmdline(p)]
        cmdline = " ".join(job.cmdline())
        environ = job.environ()
    assert PASSWORD not in cmdline and "Bearer" not in cmdline
    assert json.loads(environ[protocol.CONFIG_ENV])["nfft"] == 1024
