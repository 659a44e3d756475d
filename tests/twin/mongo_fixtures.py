"""Helpers to run the MongoDB stand-in as a subprocess in tests (the fixtures live in
test_mongo_standin.py)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pymongo

from contract import constants
from twin.config import REPO_ROOT

PASSWORD = "s3cret-for-tests"
USER = constants.MONGO_USER
START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 10.0
_READY = re.compile(r"listening on 127\.0\.0\.1:(\d+)")


class StandinProcess:
    """``python -m twin.mongo`` on 127.0.0.1 with a data dir, logging to a file."""

    def __init__(self, data_dir: Path, log_path: Path, twin_dir: Path | None = None) -> None:
        """Standalone with CLI options, or in twin mode when ``twin_dir`` is given."""
        self.data_dir = data_dir
        self.log_path = log_path
        self.twin_dir = twin_dir
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    def _command(self, port: int) -> tuple[list[str], dict[str, str]]:
        if self.twin_dir is not None:
            env = {k: v for k, v in os.environ.items() if k != "TWIN_MONGO_PASSWORD"}
            env["FOCUS_TWIN_DIR"] = str(self.twin_dir)
            return [sys.executable, "-m", "twin.mongo"], env
        argv = [sys.executable, "-m", "twin.mongo", "--port", str(port)]
        argv += ["--data-dir", str(self.data_dir), "--user", USER]
        return argv, dict(os.environ, TWIN_MONGO_PASSWORD=PASSWORD)

    def start(self, port: int | None = None) -> StandinProcess:
        """Start (on ``port``, default: the previous one or any free port) and wait until ready."""
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        argv, env = self._command(port if port is not None else self.port)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                argv,
                cwd=REPO_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.port = self._wait_ready(offset)
        return self

    def _wait_ready(self, offset: int) -> int:
        deadline = time.monotonic() + START_TIMEOUT_S
        assert self.process is not None
        while time.monotonic() < deadline:
            match = _READY.search(self.log_path.read_bytes()[offset:].decode(errors="replace"))
            if match:
                return int(match.group(1))
            if self.process.poll() is not None:
                break
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(
            f"stand-in not ready within {START_TIMEOUT_S} s; log:\n{self.log_text()[-2000:]}"
        )

    def is_running(self) -> bool:
        """Whether the last process started is still alive (psutil, zombies excluded)."""
        if self.process is None:
            return False
        try:
            return psutil.Process(self.process.pid).status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill_9(self) -> None:
        """SIGKILL, as a crashed pod; waits until the process is gone."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT_S)

    def terminate(self) -> int:
        """SIGTERM and wait; returns the exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=STOP_TIMEOUT_S)

    def stop(self) -> None:
        """Make sure the process is gone (SIGTERM, then SIGKILL)."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            self.terminate()
        except subprocess.TimeoutExpired:
            self.kill_9()

    def client(self, **overrides: Any) -> pymongo.MongoClient:
        """A pymongo client logged in as the test user (overrides win)."""
        options: dict[str, Any] = {
            "username": USER,
            "password": PASSWORD,
            "authSource": constants.MONGO_AUTH_SOURCE,
            "serverSelectionTimeoutMS": 3000,
            "connectTimeoutMS": 2000,
            "socketTimeoutMS": 5000,
        }
        options.update(overrides)
        options = {key: value for key, value in options.items() if value is not None}
        return pymongo.MongoClient("127.0.0.1", self.port, **options)


def standin_children() -> list[psutil.Process]:
    """Stand-in processes started by this test process that are still alive."""
    alive = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "twin.mongo" in " ".join(child.cmdline()) and child.status() != "zombie":
                alive.append(child)
        except psutil.NoSuchProcess:
            continue
    return alive
