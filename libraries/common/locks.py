"""Reader/writer locks across processes (pabot), each held until the scope that took it ends.

No Robot Framework imports: the ``Environment`` library (:mod:`libraries.environment`)
turns this into `Hold Lock` and releases a scope's locks when its test or suite ends.

A lock ``name`` is two files in a directory the caller chooses (the system under test's:
the twin's directory, or one per environment):

- ``<name>.lock``: held shared (``flock`` ``LOCK_SH``) by readers, exclusive by a writer;
- ``<name>.turnstile``: every holder passes it first, and a writer keeps it until it is
  done, so waiting writers are served before new readers and cannot starve.
"""

from __future__ import annotations

import fcntl
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

from libraries.common.polling import wait_until

POLL_S = 0.05
Mode = Literal["shared", "exclusive"]
_NAME = re.compile(r"[A-Za-z0-9_.-]+")


@dataclass
class HeldLock:
    handle: IO[str]
    turnstile: IO[str] | None
    scope: str

    def release(self) -> None:
        for item in (self.handle, self.turnstile):
            if item is not None:
                fcntl.flock(item, fcntl.LOCK_UN)
                item.close()


class LockManager:
    """The locks this process holds, by name, each tagged with the scope that releases it.

    ``directory`` is called when a lock is first taken (the environment may not be known
    before), and must return an existing directory.
    """

    def __init__(self, directory: Callable[[], Path]) -> None:
        self._directory = directory
        self._held: dict[str, HeldLock] = {}

    def holds(self, name: str) -> bool:
        return name in self._held

    def hold(self, name: str, mode: Mode, timeout_s: float, scope: str) -> bool:
        """Takes ``name`` in ``mode``, waiting up to ``timeout_s`` (``TimeoutError`` says
        which lock). False, without waiting, when this process already holds it."""
        if name in self._held:
            return False
        if not _NAME.fullmatch(name):
            raise ValueError(f"lock names are letters, digits, '.', '_' and '-': {name!r}")
        directory = self._directory()
        deadline = time.monotonic() + timeout_s
        turnstile: IO[str] | None = open(directory / f"{name}.turnstile", "w")  # noqa: SIM115
        handle = open(directory / f"{name}.lock", "w")  # noqa: SIM115
        try:
            _flock(turnstile, fcntl.LOCK_EX, deadline, name)
            operation = fcntl.LOCK_EX if mode == "exclusive" else fcntl.LOCK_SH
            _flock(handle, operation, deadline, name)
        except BaseException:
            for item in (handle, turnstile):
                item.close()
            raise
        if mode == "shared":
            fcntl.flock(turnstile, fcntl.LOCK_UN)
            turnstile.close()
            turnstile = None
        self._held[name] = HeldLock(handle, turnstile, scope)
        return True

    def release(self, name: str) -> None:
        held = self._held.pop(name, None)
        if held:
            held.release()

    def release_scope(self, scope: str) -> None:
        for name in [n for n, held in self._held.items() if held.scope == scope]:
            self.release(name)

    def release_all(self) -> None:
        for name in list(self._held):
            self.release(name)


def _flock(handle: IO[str], operation: int, deadline: float, name: str) -> None:
    def take() -> bool:
        try:
            fcntl.flock(handle, operation | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    wait_until(
        take,
        what=f"lock '{name}' to be free (another test holds it)",
        timeout=max(deadline - time.monotonic(), 0.0),
        interval=POLL_S,
        describe=lambda _: "held by another test",
        error=TimeoutError,
    )
