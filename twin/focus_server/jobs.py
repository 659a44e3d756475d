"""Where a task's gRPC job runs: the :class:`JobBackend` protocol and its process backend.

A Kubernetes backend (Job + Service through the kubernetes client) can implement the
same three methods later.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Protocol

from contract import constants
from twin import config as twin_config
from twin import ports
from twin.grpc_job import protocol

STOP_GRACE_S = 3.0


class JobBackend(Protocol):
    """Starts, stops and watches the gRPC job of a task. Each method may block: the task
    manager calls them from threads."""

    # How many jobs may start at once (each from its own long-lived thread).
    start_concurrency: int

    def start(self, task_id: str, config: dict) -> tuple[str, int]:
        """Start the job; the ``(host, port)`` its stream and health service listen on."""

    def stop(self, task_id: str) -> None:
        """Stop the job and release its resources (no error when it is not running)."""

    def is_alive(self, task_id: str) -> bool:
        """True while the job runs."""


def job_name(task_id: str) -> str:
    return f"{constants.GRPC_JOB_PREFIX}{task_id}"


class ProcessJobBackend:
    """Runs each job as ``python -m twin.grpc_job`` in this process group.

    The job asks for ``PR_SET_PDEATHSIG`` itself (and checks that its parent is this
    process), so it dies with the focus server even if the group is not signalled.
    ``start`` must be called from a long-lived thread (the task manager has one): the
    death signal follows the thread that forked.
    """

    # The job's death signal follows the thread that forked it: one long-lived thread.
    start_concurrency = 1

    def __init__(self, logs_dir: Path, host: str = twin_config.HOST) -> None:
        self.logs_dir = logs_dir
        self.host = host
        self._jobs: dict[str, tuple[subprocess.Popen, IO[bytes]]] = {}
        self._lock = threading.Lock()

    def start(self, task_id: str, config: dict) -> tuple[str, int]:
        port = ports.job_port(self.host)
        env = {
            **os.environ,
            protocol.CONFIG_ENV: json.dumps(config),
            protocol.PARENT_PID_ENV: str(os.getpid()),
            "PYTHONPATH": str(twin_config.REPO_ROOT),
        }
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.logs_dir / f"{job_name(task_id)}.log", "ab")  # noqa: SIM115
        argv = [sys.executable, "-m", "twin.grpc_job", "--task-id", task_id, "--port", str(port)]
        try:
            process = subprocess.Popen(
                argv,
                env=env,
                cwd=twin_config.REPO_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        except OSError:
            log.close()
            raise
        with self._lock:
            self._jobs[task_id] = (process, log)
        return self.host, port

    def stop(self, task_id: str) -> None:
        with self._lock:
            entry = self._jobs.pop(task_id, None)
        if entry is None:
            return
        process, log = entry
        try:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=STOP_GRACE_S)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=STOP_GRACE_S)
        finally:
            log.close()

    def is_alive(self, task_id: str) -> bool:
        with self._lock:
            entry = self._jobs.get(task_id)
        return entry is not None and entry[0].poll() is None

    def pids(self) -> dict[str, int]:
        """Process id of each job this backend started and has not stopped."""
        with self._lock:
            return {task_id: process.pid for task_id, (process, _) in self._jobs.items()}
