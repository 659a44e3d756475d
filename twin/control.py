"""Start, join, inspect and stop the twin: used by ``python -m twin`` and by the suite.

This is the twin's one public module: the suite (``libraries.environment``,
``variables/local.py``, ``scripts/``, ``benchmarks/``) imports nothing else of ``twin``
(import-linter holds it, see ``pyproject.toml``). Besides the lifecycle (:func:`up`,
:func:`down`, :func:`is_up`, :func:`set_kube_api_port`) it gives the twin's files
(:func:`twin_dir`, :func:`endpoints`, :func:`secrets`, :func:`secrets_path`), its bug
switches (:data:`KNOWN_BUGS`, :func:`parse_bugs`, ...) and the helpers benchmarks
measure the twin with.

Every failure is a :class:`TwinError` whose message is one line that says what is
wrong and how to fix it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import psutil

from twin import bugs as twin_bugs
from twin import config, lease, prepare, processes, ssh
from twin.kube.podlog import KEEP_LINES
from twin.supervisor import DEFAULT_WORKLOADS


class TwinError(RuntimeError):
    """A one-line, actionable reason why the twin cannot be used."""


# ------------------------------------------------------------------ the twin's files

HOST = config.HOST
TwinNotRunning = config.TwinNotRunning


def twin_dir() -> Path:
    """The twin's state directory: ``$FOCUS_TWIN_DIR`` or ``results/twin``."""
    return config.twin_dir()


def endpoints(base: Path | None = None) -> dict:
    """Hosts, ports, URLs and file paths of the twin (``endpoints.json``; no secrets).

    Raises :class:`TwinNotRunning` when the twin was never started in ``base``.
    """
    return config.load_endpoints(base)


def secrets(base: Path | None = None) -> dict:
    """The twin's generated users, passwords and tokens. Never log what this returns."""
    return config.load_secrets(base)


def secrets_path(base: Path | None = None) -> Path:
    """Where the twin keeps its generated credentials (mode 0600), for the leak checks."""
    return (base or config.twin_dir()) / config.SECRETS_FILE


def workload_dir(name: str, base: Path | None = None) -> Path:
    """A workload's data directory (the recorder's SEG-Y files are under its own)."""
    return config.workload_dir(name, base)


# ------------------------------------------------------------------ known bugs

BUGS_ENV_VAR = twin_bugs.ENV_VAR
KNOWN_BUGS: dict[str, twin_bugs.Bug] = twin_bugs.BUGS
UnknownBug = twin_bugs.UnknownBug


def parse_bugs(text: str | Iterable[str] | None) -> frozenset[str]:
    """Bug keys from ``PZ-1,PZ-2`` or a list of them; :class:`UnknownBug` names a wrong one."""
    return twin_bugs.parse(text)


def describe_bugs(keys: Iterable[str]) -> str:
    """``PZ-13669 (SingleChannel accepted min != max), ...`` or ``none``."""
    return twin_bugs.describe(keys)


def bugs_environment_value(keys: Iterable[str]) -> str:
    """The value of ``TWIN_BUGS`` that switches ``keys`` on in a twin started next."""
    return twin_bugs.environment_value(keys)


@dataclass
class UpResult:
    started: bool
    seconds: float
    endpoints: dict
    mode: str
    bugs: frozenset[str] = frozenset()


def read_state(base: Path) -> dict:
    try:
        return json.loads((base / config.STATE_FILE).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def supervisor_alive(state: dict) -> bool:
    """The recorded supervisor runs and really is this twin's (not a recycled pid)."""
    pid = state.get("supervisor_pid")
    if not processes.pid_alive(pid):
        return False
    try:
        return psutil.Process(pid).environ().get(processes.MARKER) == state.get("instance")
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def rabbitmq_installed() -> bool:
    return (
        bool(shutil.which("rabbitmq-server"))
        or Path("/usr/lib/rabbitmq/bin/rabbitmq-server").exists()
    )


def check_prerequisites() -> None:
    if not rabbitmq_installed():
        raise TwinError(
            "rabbitmq-server is not installed: run 'make setup' "
            "(or: sudo apt-get install rabbitmq-server)"
        )
    if not ssh.installed():
        raise TwinError(
            "OpenSSH's sshd is not installed: run 'make setup' "
            "(or: sudo apt-get install openssh-server)"
        )


def _spawn_supervisor(base: Path, instance: str, lease_mode: bool, workloads: str) -> int:
    """Start the supervisor detached (a daemon, not our child); return its pid."""
    argv = [sys.executable, "-m", "twin.supervisor", "--daemon", "--instance", instance]
    argv += ["--workloads", workloads]
    if lease_mode:
        argv.append("--lease")
    with open(config.logs_dir(base) / "supervisor.log", "ab") as log:
        launcher = subprocess.run(
            argv,
            env=processes.pod_environment(base, instance, "supervisor"),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
            start_new_session=True,
            cwd=str(config.REPO_ROOT),
            timeout=30,
            check=False,
        )
    try:
        return int(launcher.stdout.decode().strip())
    except ValueError:
        raise TwinError(
            f"the twin's supervisor did not start (exit {launcher.returncode}); "
            f"see {config.logs_dir(base) / 'supervisor.log'}"
        ) from None


def _wait_ready(base: Path, instance: str, timeout: float, supervisor_pid: int | None) -> None:
    deadline = time.monotonic() + timeout
    state: dict = {}
    while time.monotonic() < deadline:
        state = read_state(base)
        if state.get("instance") == instance:
            if state.get("error"):
                raise TwinError(f"the twin did not start: {state['error']}")
            if state.get("ready"):
                return
        if supervisor_pid is not None and not processes.pid_alive(supervisor_pid):
            raise TwinError(
                "the twin's supervisor exited before it was ready; "
                f"see {config.logs_dir(base) / 'supervisor.log'}"
            )
        time.sleep(0.1)
    waiting = [
        f"{pod['name']} ({pod['phase']}, ready={pod['ready']})"
        for pod in state.get("pods", [])
        if not pod.get("ready")
    ]
    raise TwinError(
        f"the twin was not ready within {timeout:.0f}s; still waiting for: "
        f"{', '.join(waiting) or 'the supervisor'}; see 'python -m twin logs <name>'"
    )


def up(
    base: Path | None = None,
    owners: Iterable[int] = (),
    timeout: float = 90.0,
    workloads: str = DEFAULT_WORKLOADS,
) -> UpResult:
    """Start the twin, or join the one already running in this directory.

    With ``owners`` the twin runs in lease mode: it stops by itself when all of
    them (and any owner that joins later) have exited. ``TWIN_BUGS`` in the
    environment switches known bugs on (:mod:`twin.bugs`); joining a twin that runs
    with other bugs than ``TWIN_BUGS`` asks for is refused.
    """
    try:
        wanted = twin_bugs.requested()
    except twin_bugs.UnknownBug as error:
        raise TwinError(f"TWIN_BUGS: {error}") from None
    base = base or config.twin_dir()
    owners = list(owners)
    started_at = time.monotonic()
    with lease.twin_lock(base):
        state = read_state(base)
        if supervisor_alive(state) and lease.stopping_marker(base).exists():
            # A leased twin is giving up right now: let it go, then start afresh.
            processes.wait_gone(state["supervisor_pid"], timeout=30)
        elif supervisor_alive(state):
            running = frozenset(state.get("bugs") or ())
            if wanted is not None and wanted != running:
                raise TwinError(
                    f"the twin in {base} runs with bugs {twin_bugs.describe(running)}, "
                    f"but TWIN_BUGS asks for {twin_bugs.describe(wanted)}: stop it first "
                    "('python -m twin down') or change TWIN_BUGS"
                )
            if state.get("mode") == "lease":
                for pid in owners:
                    lease.add_owner(base, pid)
            _wait_ready(base, state["instance"], timeout, None)
            return UpResult(
                False,
                time.monotonic() - started_at,
                config.load_endpoints(base),
                state["mode"],
                running,
            )
        if workloads == DEFAULT_WORKLOADS:
            check_prerequisites()
        prepare.prepare(base)
        lease.stopping_marker(base).unlink(missing_ok=True)
        lease.clear_owners(base)
        for pid in owners:
            lease.add_owner(base, pid)
        instance = uuid.uuid4().hex
        pid = _spawn_supervisor(base, instance, bool(owners), workloads)
        try:
            _wait_ready(base, instance, timeout, pid)
        except (TwinError, KeyboardInterrupt):
            _stop_supervisor(base, read_state(base) or {"instance": instance}, pid, 20)
            raise
    return UpResult(
        True,
        time.monotonic() - started_at,
        config.load_endpoints(base),
        "lease" if owners else "persistent",
        wanted or frozenset(),
    )


def _stop_supervisor(base: Path, state: dict, pid: int | None, timeout: float) -> None:
    if pid and processes.pid_alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        if not processes.wait_gone(pid, timeout):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            processes.wait_gone(pid, 5)
    instance = state.get("instance")
    if instance:
        processes.kill_marked(instance)
    processes.stop_watchdog(state.get("watchdog_pid"))


def down(base: Path | None = None, timeout: float = 40.0) -> bool:
    """Stop the twin and every process it started. True when one was running."""
    base = base or config.twin_dir()
    with lease.twin_lock(base):
        state = read_state(base)
        running = supervisor_alive(state)
        if running or state.get("instance"):
            _stop_supervisor(base, state, state.get("supervisor_pid") if running else None, timeout)
        return running


def is_up(base: Path | None = None) -> bool:
    state = read_state(base or config.twin_dir())
    return supervisor_alive(state) and bool(state.get("ready"))


def status_lines(base: Path | None = None) -> list[str]:
    base = base or config.twin_dir()
    state = read_state(base)
    if not supervisor_alive(state):
        return [f"twin: down ({base})"]
    phase = "stopping" if state.get("stopping") else "ready" if state.get("ready") else "starting"
    head = (
        f"twin: {phase}, {state.get('mode')} mode, "
        f"supervisor pid {state.get('supervisor_pid')} ({base})"
    )
    lines = [head, f"  known bugs switched on: {twin_bugs.describe(state.get('bugs') or ())}"]
    for pod in state.get("pods", []):
        lines.append(
            f"  {pod['name']:<48} {pod['phase']:<10} ready={str(pod['ready']).lower():<5} "
            f"restarts={pod['restart_count']} pid={pod['pid']}"
            + ("  (host, not a pod)" if pod.get("kind") == "Host" else "")
        )
    return lines


def log_path(name: str, base: Path | None = None) -> Path:
    """The log of a pod, by pod name, workload name or unique prefix."""
    base = base or config.twin_dir()
    logs = sorted(config.logs_dir(base).glob("*.log"), key=lambda p: p.stat().st_mtime)
    exact = [p for p in logs if p.stem == name]
    matches = exact or [p for p in logs if p.stem.startswith(name)]
    if not matches:
        known = ", ".join(p.stem for p in logs) or "none yet"
        raise TwinError(f"no log for '{name}'; known: {known}")
    return matches[-1]


def follow(path: Path, emit: Callable[[str], None], tail: int, stop: Callable[[], bool]) -> None:
    lines = path.read_text(errors="replace").splitlines()
    for line in lines[-tail:] if tail else lines:
        emit(line)
    with open(path, errors="replace") as handle:
        handle.seek(0, os.SEEK_END)
        while not stop():
            line = handle.readline()
            if line:
                emit(line.rstrip("\n"))
            else:
                time.sleep(0.2)


def set_kube_api_port(open_: bool, base: Path | None = None, timeout: float = 10.0) -> None:
    """Close (``open_=False``) or reopen the twin's external Kubernetes API port and wait
    until it is so. The cluster-internal port (the worker node's kubectl) stays open."""
    from twin.kube.cluster import KUBE_API_CLOSED

    base = base or config.twin_dir()
    marker = base / KUBE_API_CLOSED
    if open_:
        marker.unlink(missing_ok=True)
    else:
        marker.touch()
    port = config.load_endpoints(base)["kube"]["port"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _port_open(port) == open_:
            return
        time.sleep(0.05)
    state = "open" if _port_open(port) else "closed"
    raise TwinError(
        f"the Kubernetes API port {port} is still {state} after {timeout:g} s; "
        "is the twin up? see 'python -m twin status'"
    )


def _port_open(port: int) -> bool:
    import socket

    try:
        with socket.create_connection((config.HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


# ------------------------------------------------------------------ for benchmarks

POD_LOG_KEEP_LINES = KEEP_LINES  # lines a pod's log keeps in memory


def replace_recorded_history(
    base: Path,
    recordings: int,
    *,
    tasks: int = 1000,
    alerts: int = 2000,
    channel_count: int = 8,
    samples: int = 50,
) -> int:
    """Replace the recorded history of the twin in ``base``: ``recordings`` one-hour
    recordings (with small SEG-Y files), ``tasks`` tasks and ``alerts`` alerts. Returns
    the number of recordings stored. Scale the ``segy-recorder`` to 0 first (a live
    recorder would write into the history meanwhile)."""
    import threading
    from datetime import timedelta

    from pymongo import MongoClient

    from contract import constants
    from twin.segy_recorder.recorder import Recorder, RecorderSettings
    from twin.segy_recorder.schema import ensure_schema

    where, credentials = config.load_endpoints(base), config.load_secrets(base)
    client: MongoClient = MongoClient(
        config.HOST,
        where["mongo"]["port"],
        username=credentials["mongo_user"],
        password=credentials["mongo_password"],
        authSource=constants.MONGO_AUTH_SOURCE,
        serverSelectionTimeoutMS=5000,
        socketTimeoutMS=600_000,
        tz_aware=True,
    )
    try:
        db = client[constants.MONGO_DATABASE]
        for name in ("recordings", "tasks", "alerts"):
            db[name].delete_many({})
        ensure_schema(db)
        settings = RecorderSettings(
            root=config.workload_dir(constants.SEGY_RECORDER_WORKLOAD, base),
            channel_count=channel_count,
            samples=samples,
            history=timedelta(hours=recordings),
            seed_tasks=tasks,
            seed_alerts=alerts,
        )
        Recorder(db, settings, threading.Event()).resume()
        return db.recordings.count_documents({})
    finally:
        client.close()


def recorder_recording(base: Path | None = None) -> bool:
    """True when a live ``segy-recorder`` process of the twin in ``base`` is recording."""
    from contract import constants
    from twin.segy_recorder.probe import recording_in_progress

    return recording_in_progress(config.workload_dir(constants.SEGY_RECORDER_WORKLOAD, base))


def pod_log_follower_step_us(lines: int, rounds: int) -> float:
    """Median microseconds the twin spends to append one line to a pod log of ``lines``
    lines and hand it to a ``follow=true`` follower (the pod monitor holds one per pod)."""
    import asyncio
    import statistics
    import tempfile

    from twin.kube.podlog import PodLog

    with tempfile.TemporaryDirectory() as tmp:
        log = PodLog(Path(tmp) / "pod.log")
        run = log.start_run()

        async def measure() -> float:
            await log.append([b"GET /health 200"] * lines, run)
            times = []
            for _ in range(rounds):
                last = log.next_seq - 1
                start = time.perf_counter()
                await log.append([b"GET /health 200"], run)
                fresh = log.after(last, run)
                times.append(time.perf_counter() - start)
                if len(fresh) != 1:
                    raise RuntimeError(f"the follower got {len(fresh)} lines, not 1")
            return statistics.median(times) * 1e6

        return asyncio.run(measure())
