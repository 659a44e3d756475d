"""Process helpers: the marker every twin process carries, and reaping by group or marker.

Every pod is started with ``FOCUS_TWIN_INSTANCE=<id>`` in its environment, which
all its descendants inherit (RabbitMQ's Erlang VM and epmd included). Whatever
happens to the supervisor, the twin's processes can be found by that marker and
nothing else is ever touched.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import time
from pathlib import Path

import psutil

from twin import config

MARKER = "FOCUS_TWIN_INSTANCE"


def pod_environment(base: Path, instance: str, pod_name: str, marked: bool = True) -> dict:
    """The environment of a pod: the caller's, plus where the twin is and the marker."""
    env = dict(os.environ)
    env["FOCUS_TWIN_DIR"] = str(base)
    env["TWIN_POD_NAME"] = pod_name
    env["PYTHONUNBUFFERED"] = "1"
    pythonpath = [str(config.REPO_ROOT)] + [p for p in env.get("PYTHONPATH", "").split(":") if p]
    env["PYTHONPATH"] = ":".join(dict.fromkeys(pythonpath))
    if marked:
        env[MARKER] = instance
    else:
        env.pop(MARKER, None)
    return env


def signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


async def kill_group(pgid: int) -> None:
    """SIGKILL whatever is left in a process group once its leader has gone."""
    signal_group(pgid, signal.SIGKILL)
    await asyncio.sleep(0)


def marker_argument(instance: str) -> str:
    """The marker as it appears in the command line of a process that overwrites its own
    environment with its process title (sshd's setproctitle): ``FOCUS_TWIN_INSTANCE=<id>``."""
    return f"{MARKER}={instance}"


def marked_processes(instance: str, exclude: set[int] | None = None) -> list[psutil.Process]:
    """Every live process whose environment carries this twin instance's marker, or whose
    command line does (:func:`marker_argument`)."""
    exclude = exclude or set()
    found = []
    token = re.compile(re.escape(marker_argument(instance)) + r"(?![\w-])")
    for proc in psutil.process_iter(["pid"]):
        if proc.pid in exclude or proc.pid == os.getpid():
            continue
        try:
            command = " ".join(proc.cmdline())
            marked = proc.environ().get(MARKER) == instance or bool(token.search(command))
            if marked and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def kill_marked(instance: str, exclude: set[int] | None = None, grace: float = 3.0) -> int:
    """SIGTERM, then SIGKILL after ``grace``, every process of this twin instance."""
    victims = marked_processes(instance, exclude)
    for proc in victims:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            proc.terminate()
    _, alive = psutil.wait_procs(victims, timeout=grace)
    for proc in alive:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            proc.kill()
    psutil.wait_procs(alive, timeout=grace)
    return len(victims)


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def stop_watchdog(pid: int | None) -> None:
    if pid is not None and pid_alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)


def wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.05)
    return not pid_alive(pid)
