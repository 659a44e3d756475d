"""A private RabbitMQ node for the tests that need a broker but not a whole twin."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil

from twin import config, prepare
from twin.rabbitmq import wait_ready


def start_node(base: Path) -> tuple[subprocess.Popen, dict, dict]:
    endpoints, secrets = prepare.prepare(base)
    rabbit = endpoints["rabbitmq"]
    rabbit["node_name"] = f"pytest-{rabbit['amqp_port']}@localhost"
    config.write_json(base / config.ENDPOINTS_FILE, endpoints)
    with (base / "rabbitmq.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "twin.rabbitmq"],
            env={**os.environ, "FOCUS_TWIN_DIR": str(base)},
            cwd=config.REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        user, password = secrets["rabbitmq_user"], secrets["rabbitmq_password"]
        wait_ready(config.HOST, rabbit["amqp_port"], user, password, timeout=60)
    except TimeoutError:
        stop_node(process)
        raise
    return process, endpoints, secrets


def stop_node(process: subprocess.Popen) -> None:
    """SIGTERM the node's process group, SIGKILL it after 30 s; nothing may be left."""
    group = [process.pid, *(child.pid for child in psutil.Process(process.pid).children(True))]
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    left = [psutil.Process(pid) for pid in group if psutil.pid_exists(pid)]
    _, alive = psutil.wait_procs(left, timeout=10)
    assert not alive, f"node processes left behind: {alive}"
