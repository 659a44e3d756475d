"""Runs the load engine in a child process of its own and returns its statistics (no
Robot, no Locust imports: gevent never touches the calling process).

    stats = run_load(LoadSpec("health", users=10, spawn_rate=10, duration_s=10), target)
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from ipaddress import ip_address
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import urlsplit

ENGINE = Path(__file__).with_name("engine.py")
SCENARIOS = ("health", "channels", "tasks", "waterfall", "configure_flood", "alerts")
# Start-up, login, spawning and stopping on top of the run's own duration.
MARGIN_S = 90.0
MAX_DURATION_S = 3600.0
MAX_USERS = 1000


class LoadError(RuntimeError):
    """The load engine could not run or answer."""


@dataclass
class LoadSpec:
    """One run: which scenario, how many users, how fast they start, for how long."""

    scenario: str
    users: int = 10
    spawn_rate: float = 10.0
    duration_s: float = 10.0
    window_s: float = 10.0
    workers: int = 0
    max_requests: int | None = None
    # Locust's constant_pacing: each user starts one iteration every pace_s seconds (it
    # waits out what its requests did not use). None: the scenario's own wait_time.
    pace_s: float | None = None

    def check(self) -> None:
        if self.scenario not in SCENARIOS:
            raise ValueError(
                f"unknown scenario {self.scenario!r}: use one of {', '.join(SCENARIOS)}"
            )
        if not 1 <= self.users <= MAX_USERS:
            raise ValueError(f"users must be 1..{MAX_USERS}, got {self.users}")
        if self.spawn_rate <= 0:
            raise ValueError(f"spawn_rate must be > 0, got {self.spawn_rate}")
        if not 0 < self.duration_s <= MAX_DURATION_S:
            raise ValueError(f"duration must be 0..{MAX_DURATION_S:.0f} s, got {self.duration_s}")
        if self.workers < 0:
            raise ValueError(f"workers must be >= 0, got {self.workers}")
        if self.pace_s is not None and not 0 < self.pace_s <= MAX_DURATION_S:
            raise ValueError(f"pace must be 0..{MAX_DURATION_S:.0f} s, got {self.pace_s}")


# The standard runs: what `make baseline` records and what `Run Standard Load` repeats,
# so a regression check always compares like with like.
class StandardRun(TypedDict):
    users: int
    spawn_rate: float
    duration_s: float


STANDARD_RUNS: dict[str, StandardRun] = {
    "health": {"users": 10, "spawn_rate": 10.0, "duration_s": 15.0},
    "channels": {"users": 10, "spawn_rate": 10.0, "duration_s": 15.0},
    "tasks": {"users": 5, "spawn_rate": 5.0, "duration_s": 15.0},
}


def standard_spec(scenario: str) -> LoadSpec:
    """The standard run of ``scenario`` (see :data:`STANDARD_RUNS`)."""
    if scenario not in STANDARD_RUNS:
        raise ValueError(f"no standard run of {scenario!r}: use one of {', '.join(STANDARD_RUNS)}")
    return LoadSpec(scenario, **STANDARD_RUNS[scenario])


@dataclass
class LoadTarget:
    """Where the load goes: the Focus API (and RabbitMQ for the alerts scenario)."""

    base_url: str
    user: str = ""
    password: str = field(default="", repr=False)
    ca_bundle: str | None = None
    amqp: dict[str, Any] | None = field(default=None, repr=False)

    def check(self) -> None:
        """Load goes to loopback only (this workplace's rule, and a safety net elsewhere)."""
        hosts = [urlsplit(self.base_url).hostname or ""]
        if self.amqp:
            hosts.append(str(self.amqp.get("host", "")))
        for host in hosts:
            if not _is_loopback(host) and os.environ.get("LOAD_ALLOW_REMOTE") != "1":
                raise ValueError(
                    f"load target {host!r} is not a loopback address: set LOAD_ALLOW_REMOTE=1 "
                    "to load a remote environment on purpose"
                )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        returned: int = probe.getsockname()[1]
        return returned


def run_load(
    spec: LoadSpec,
    target: LoadTarget,
    progress: Callable[[str], None] = lambda line: None,
    timeout_s: float | None = None,
    test: str = "",
) -> dict[str, Any]:
    """Run ``spec`` against ``target`` in a child process; its statistics (see stats.py).

    The tasks the users create go into the task ledger under ``test`` (the Robot test's
    long name) and this process: what the run leaves, this process's teardown stops.

    ``progress`` receives the engine's progress lines while it runs (every window).
    The child is killed (its whole process group) when it outlives ``timeout_s``
    (default: the duration plus a margin).
    """
    spec.check()
    target.check()
    if importlib.util.find_spec("locust") is None:
        raise LoadError(
            "the load engine needs Locust, which is not installed: "
            "pip install 'focus-robot-libraries[load]' (make setup installs it)"
        )
    timeout = timeout_s or spec.duration_s + MARGIN_S
    with tempfile.TemporaryDirectory(prefix="focus-load-") as scratch:
        result_path = Path(scratch) / "stats.json"
        document = {
            **asdict(spec),
            "target": asdict(target),
            "result_path": str(result_path),
            "master_port": free_port(),
            "test": test,
            "owner": os.getpid(),
        }
        child = subprocess.Popen(
            [sys.executable, str(ENGINE)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        assert child.stdin is not None  # stdin=PIPE
        try:
            child.stdin.write(json.dumps(document))  # the password goes by pipe, never argv
            child.stdin.close()
            tail = _follow(child, timeout, progress)
        except BaseException:
            # Interrupted (a Robot timeout, Ctrl-C): the engine must not go on creating tasks
            # after the test's teardown; what it created stays in the ledger for that teardown.
            _kill(child)
            raise
        if child.returncode != 0 or not result_path.exists():
            raise LoadError(
                f"the load engine ({spec.scenario}) exited with {child.returncode}: "
                + (" | ".join(tail[-5:]) or "no output")
            )
        returned: dict[str, Any] = json.loads(result_path.read_text())
        return returned


def _follow(
    child: subprocess.Popen[str], timeout: float, progress: Callable[[str], None]
) -> list[str]:
    """Pass the child's stderr lines to ``progress`` until it exits; kill it at ``timeout``."""
    assert child.stderr is not None  # stderr=PIPE
    deadline = time.monotonic() + timeout
    tail: list[str] = []
    with selectors.DefaultSelector() as selector:
        selector.register(child.stderr, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                _kill(child)
                raise LoadError(f"the load engine did not finish within {timeout:.0f} s; killed it")
            if selector.select(timeout=min(remaining, 1.0)):
                line = child.stderr.readline()
                if not line:
                    break
                line = line.rstrip()
                tail = [*tail[-20:], line]
                progress(line)
        child.wait(max(1.0, deadline - time.monotonic()))
    return tail


def _kill(child: subprocess.Popen[str]) -> None:
    """Kill the engine and its workers (one process group), and reap it."""
    if child.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        child.wait(10)
