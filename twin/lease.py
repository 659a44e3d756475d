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


def add_owner(base: Path, pid: int) -> None:
    try:
        created = psutil.Process(pid).create_time()
    except psutil.NoSuchProcess:
        return
    (owners_dir(base) / str(pid)).write_text(repr(created))


def clear_owners(base: Path) -> None:
    for entry in owners_dir(base).iterdir():
        entry.unlink(missing_ok=True)


def _owner_alive(entry: Path) -> bool:
    try:
        process = psutil.Process(int(entry.name))
        return abs(process.create_time() - float(entry.read_text())) < 0.01 and (
            process.status() != psutil.STATUS_ZOMBIE
        )
    except (ValueError, OSError, psutil.NoSuchProcess):
        return False


def live_owners(base: Path) -> list[int]:
    alive = []
    for entry in owners_dir(base).iterdir():
        if _owner_alive(entry):
            alive.append(int(entry.name))
        else:
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
