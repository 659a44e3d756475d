"""Lease mode: a twin started on demand by a test run lives only as long as its owners.

An owner is a process (the robot process, and under pabot the pabot process) that
registered itself in ``owners/``. The supervisor stops the twin once no owner has
been alive for a short grace period, so Ctrl-C, a crash or ``kill -9`` of the run
never leaves a twin behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import time
from collections.abc import Iterator
from pathlib import Path

import psutil

_GRACE_S = 2.0
_empty_since: float | None = None


def owners_dir(base: Path) -> Path:
    path = base / "owners"
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def twin_lock(base: Path, blocking: bool = True) -> Iterator[bool]:
    """The twin directory's lock: held while starting, joining or giving up a twin."""
    base.mkdir(parents=True, exist_ok=True)
    with open(base / ".lock", "w") as handle:
        flags = fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB)
        try:
            fcntl.flock(handle, flags)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _identity(pid: int) -> str:
    """What tells this process from a later one with the same pid: its start time in clock
    ticks since boot (``/proc/<pid>/stat``, field 22), which no clock update moves.
    psutil's ``create_time()`` adds the boot time read from the wall clock, so an NTP step
    or slew on the host shifts it, and an owner would look gone while it runs. Elsewhere
    than Linux: the creation time to the second. Raises ``psutil.NoSuchProcess``."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        if Path("/proc/self/stat").exists():
            raise psutil.NoSuchProcess(pid) from None
        return f"created:{round(psutil.Process(pid).create_time())}"
    return f"ticks:{stat[stat.rindex(')') + 2 :].split()[19]}"


def add_owner(base: Path, pid: int) -> None:
    try:
        identity = _identity(pid)
    except psutil.NoSuchProcess:
        return
    (owners_dir(base) / str(pid)).write_text(identity)


def clear_owners(base: Path) -> None:
    for entry in owners_dir(base).iterdir():
        entry.unlink(missing_ok=True)


# Why each owner was last taken for gone (pid -> reason): the supervisor prints them.
gone_owners: dict[int, str] = {}


def _why_gone(entry: Path) -> str | None:
    """None while the owner runs; otherwise why it counts as gone."""
    try:
        pid = int(entry.name)
        registered = entry.read_text()
        if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
            return "exited (a zombie)"
        now = _identity(pid)
    except ValueError:
        return "not a pid"
    except psutil.NoSuchProcess:
        return "exited"
    except (OSError, psutil.Error) as error:
        return f"unreadable: {type(error).__name__}"
    if now != registered:
        return f"pid reused (registered {registered}, now {now})"
    return None


def live_owners(base: Path) -> list[int]:
    alive = []
    for entry in owners_dir(base).iterdir():
        reason = _why_gone(entry)
        if reason is None:
            alive.append(int(entry.name))
        else:
            gone_owners[int(entry.name) if entry.name.isdigit() else -1] = reason
            entry.unlink(missing_ok=True)
    return alive


def expired(base: Path) -> bool:
    """True once no owner has been alive for the grace period (checked under the lock)."""
    global _empty_since
    with twin_lock(base, blocking=False) as locked:
        if not locked:  # someone is joining right now
            return False
        if live_owners(base):
            _empty_since = None
            return False
        _empty_since = _empty_since or time.monotonic()
        if time.monotonic() - _empty_since < _GRACE_S:
            return False
        # Tell anyone who takes the lock next that this twin is going away.
        stopping_marker(base).touch()
        return True


def stopping_marker(base: Path) -> Path:
    return base / ".stopping"
