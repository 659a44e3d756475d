"""The task ledger: every task this machine's runs created and have not stopped yet.

`Stop All Tasks` stops what a test created, also when the test failed. A run that is
killed (a CI timeout, a second Ctrl-C, SIGKILL) runs no teardown: its tasks keep running
and hold capacity, on the twin across restarts as on a real cluster. The ledger remembers
them on disk: each entry names the Focus Server, the task, the process that created it
(a Robot process, or a load engine it started: ``owner`` is then the Robot process) and
the test that did. The next connection to that server stops the entries whose process
has ended, so the leftovers of a killed run are cleaned up by the next run, and only
those: tasks of other users, and of runs still going (pabot's other processes), are never
touched. A test that needs the capacity alone names, from the ledger, the test that left
a task running (`No Task Should Be Active`).

A plain JSON file under an exclusive ``flock`` (pabot processes share it). No Robot imports.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from libraries.common.effects import cleans_up
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
class Entry:
    """One task a run on this machine created and has not stopped yet."""

    server: str
    task_id: str
    pid: int  # the process that created it
    created: float  # epoch seconds
    test: str = ""  # the long name of the test (or suite) that created it
    owner: int = 0  # the Robot process of that test (``pid`` unless a child created it)

    def describe(self, now: float | None = None) -> str:
        """``created by test 'S.T' 42 s ago (load engine 123, ended)``."""
        age = max(0.0, (time.time() if now is None else now) - self.created)
        who = f"test '{self.test}'" if self.test else "a run that did not name its test"
        process = "process" if self.owner in (0, self.pid) else "load engine"
        state = "running" if process_alive(self.pid) else "ended"
        return f"created by {who} {age:.0f} s ago ({process} {self.pid}, {state})"


def _entry(record: dict[str, Any]) -> Entry:
    return Entry(
        record["server"],
        record["task_id"],
        int(record["pid"]),
        float(record.get("created", 0.0)),
        str(record.get("test", "")),
        int(record.get("owner") or record["pid"]),
    )


class TaskLedger:
    """The ledger at ``path``, written as process ``pid`` on behalf of Robot process ``owner``.

    A load engine writes with its own ``pid`` and the ``owner`` of the Robot process that
    started it, so that the teardown of that Robot process can stop what the engine left.
    """

    def __init__(
        self, path: Path | None = None, pid: int | None = None, owner: int | None = None
    ) -> None:
        self.path = path or default_path()
        self.pid = pid if pid is not None else os.getpid()
        self.owner = owner if owner is not None else self.pid

    @contextmanager
    def _entries(self) -> Iterator[list[dict[str, Any]]]:
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

    def add(self, server: str, task_id: str, test: str = "") -> None:
        """Remember ``task_id`` on ``server``, created by ``test`` (its long name)."""
        with self._entries() as entries:
            entries.append(
                {
                    "server": server,
                    "task_id": task_id,
                    "pid": self.pid,
                    "created": time.time(),
                    "test": test,
                    "owner": self.owner,
                }
            )

    def remove(self, server: str, task_id: str) -> None:
        with self._entries() as entries:
            entries[:] = [
                e for e in entries if not (e["server"] == server and e["task_id"] == task_id)
            ]

    def entries(self, server: str) -> list[Entry]:
        """Every entry of ``server``: the tasks this machine's runs have not stopped."""
        with self._entries() as entries:
            return [_entry(e) for e in entries if e["server"] == server]

    def find(self, server: str, task_ids: Iterable[str]) -> dict[str, Entry]:
        """The entries of ``task_ids`` on ``server`` (ids the ledger does not know are absent)."""
        wanted = set(task_ids)
        return {e.task_id: e for e in self.entries(server) if e.task_id in wanted}

    def left_by_children(self, server: str) -> list[Entry]:
        """Entries of ``server`` that child processes of this one (load engines) created and
        left behind: their process has ended. This process's teardown stops them."""
        return [
            e
            for e in self.entries(server)
            if e.owner == self.pid and e.pid != self.pid and not process_alive(e.pid)
        ]

    def leftovers(self, server: str) -> list[Entry]:
        """Entries of ``server`` whose creating process has ended, and whose Robot process
        too (a load engine's entries belong to its Robot process while that one runs)."""
        return [
            e
            for e in self.entries(server)
            if e.pid != self.pid
            and not process_alive(e.pid)
            and (e.owner in (0, e.pid) or not process_alive(e.owner))
        ]

    @cleans_up("stops only the tasks this machine's earlier runs created and recorded")
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
