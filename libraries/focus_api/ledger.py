"""The task ledger: every task this machine's runs created and have not stopped yet.

`Stop All Tasks` stops what a test created, also when the test failed. A run that is
killed (a CI timeout, a second Ctrl-C, SIGKILL) runs no teardown: its tasks keep running
and hold capacity, on the twin across restarts as on a real cluster. The ledger remembers
them on disk: each entry names the Focus Server, the task and the process that created it.
The next connection to that server stops the entries whose process has ended, so the
leftovers of a killed run are cleaned up by the next run, and only those: tasks of other
users, and of runs still going (pabot's other processes), are never touched.

A plain JSON file under an exclusive ``flock`` (pabot processes share it). No Robot imports.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from libraries.common.paths import results_dir


def default_path() -> Path:
    """``$FOCUS_TASK_LEDGER``, else ``results/task-ledger.json`` of the project."""
    return Path(os.environ.get("FOCUS_TASK_LEDGER") or results_dir() / "task-ledger.json")


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


@dataclass(frozen=True)
class Leftover:
    server: str
    task_id: str
    pid: int
    created: float


class TaskLedger:
    def __init__(self, path: Path | None = None, pid: int | None = None) -> None:
        self.path = path or default_path()
        self.pid = pid if pid is not None else os.getpid()

    @contextmanager
    def _entries(self) -> Iterator[list[dict]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.seek(0)
            text = handle.read()
            try:
                entries = json.loads(text) if text.strip() else []
            except json.JSONDecodeError:
                entries = []  # a torn file from a killed writer: start again
            before = list(entries)
            yield entries
            if entries != before:
                handle.seek(0)
                handle.truncate()
                handle.write(json.dumps(entries))
                handle.flush()

    def add(self, server: str, task_id: str) -> None:
        with self._entries() as entries:
            entries.append(
                {"server": server, "task_id": task_id, "pid": self.pid, "created": time.time()}
            )

    def remove(self, server: str, task_id: str) -> None:
        with self._entries() as entries:
            entries[:] = [
                e for e in entries if not (e["server"] == server and e["task_id"] == task_id)
            ]

    def leftovers(self, server: str) -> list[Leftover]:
        """Entries of ``server`` whose creating process has ended."""
        with self._entries() as entries:
            return [
                Leftover(e["server"], e["task_id"], e["pid"], e["created"])
                for e in entries
                if e["server"] == server and e["pid"] != self.pid and not process_alive(e["pid"])
            ]

    def stop_leftovers(
        self, server: str, stop: Callable[[str], int]
    ) -> tuple[list[str], list[str]]:
        """Stop the leftovers of ``server`` with ``stop(task_id) -> HTTP status``.

        An entry leaves the ledger once the server says the task is gone (``200``, ``404``,
        ``409``). Returns the stopped ids and the ``id: reason`` of those that stay.
        """
        stopped, kept = [], []
        for leftover in self.leftovers(server):
            try:
                status = stop(leftover.task_id)
            except Exception as error:  # unreachable: try again next time
                kept.append(f"{leftover.task_id}: {error}")
                continue
            if status in (200, 404, 409):
                self.remove(server, leftover.task_id)
                if status == 200:
                    stopped.append(leftover.task_id)
            else:
                kept.append(f"{leftover.task_id}: HTTP {status}")
        return stopped, kept
