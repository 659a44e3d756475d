"""The capacity check: which tasks hold slots, who left them, and waiting for freed slots."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from libraries.focus_api import capacity
from libraries.focus_api.ledger import TaskLedger

SERVER = "https://127.0.0.1:8443/focus-server"


@dataclass
class Answer:
    status_code: int
    body: object

    def json(self) -> object:
        return self.body

    @property
    def text(self) -> str:
        return json.dumps(self.body)


@dataclass
class FakeServer:
    """``GET /tasks`` and ``GET /ack`` of a server whose tasks stop after some reads."""

    statuses: dict[str, str]
    stops_after_reads: dict[str, int] = field(default_factory=dict)
    reads: int = 0
    base_url: str = SERVER

    def tasks(self) -> Answer:
        tasks = [
            {"task_id": t, "status": s, "created_at": "2026-12-06T22:59:00Z"}
            for t, s in self.statuses.items()
            if s in ("waiting", "running")
        ]
        return Answer(200, {"tasks": tasks, "active": len(tasks), "max_windows": 30})

    def ack(self, task_id: str) -> Answer:
        self.reads += 1
        if self.stops_after_reads.get(task_id, 0) and self.reads >= self.stops_after_reads[task_id]:
            self.statuses[task_id] = "stopped"
        if task_id not in self.statuses:
            return Answer(404, {"error": {"code": "NOT_FOUND"}})
        return Answer(200, {"task_id": task_id, "status": self.statuses[task_id]})


def test_only_waiting_and_running_tasks_hold_slots():
    server = FakeServer({"a": "running", "b": "waiting", "c": "stopped"})
    assert [(t.task_id, t.status) for t in capacity.active_tasks(server)] == [
        ("a", "running"),
        ("b", "waiting"),
    ]


def test_the_failure_names_each_task_and_the_test_that_left_it(tmp_path: Path):
    ledger = TaskLedger(tmp_path / "ledger.json", pid=os.getpid())
    ledger.add(SERVER, "leaked", "Suites.Performance.Response Times.Every Endpoint")
    active = capacity.active_tasks(FakeServer({"leaked": "running", "stranger": "waiting"}))
    message = capacity.capacity_not_free(
        active, ledger.find(SERVER, ["leaked", "stranger"]), 5.2, "focus-capacity"
    )
    assert message.startswith(
        "The capacity is not free: 2 tasks still waiting or running 5 s after this test "
        "took 'focus-capacity' alone"
    )
    assert (
        "  leaked (running since 2026-12-06T22:59:00Z): created by test "
        "'Suites.Performance.Response Times.Every Endpoint'" in message
    )
    assert (
        "  stranger (waiting since 2026-12-06T22:59:00Z): not in this machine's task ledger"
        in message
    )
    assert message.endswith(
        "Fix the test that left them: Suites.Performance.Response Times.Every Endpoint."
    )


def test_a_teardown_returns_once_the_stopped_tasks_free_their_slots():
    server = FakeServer({"a": "running", "b": "stopped"}, stops_after_reads={"a": 4})
    capacity.wait_until_inactive(server, ["a", "b", "gone"], timeout_s=5, interval_s=0.01)
    assert server.statuses["a"] == "stopped" and server.reads >= 4


def test_a_stopped_task_that_keeps_its_slot_fails_the_teardown_naming_it():
    server = FakeServer({"stuck": "running", "b": "stopped"})
    with pytest.raises(
        AssertionError, match=r"slots of 2 stopped task\(s\).*last seen: stuck running"
    ):
        capacity.wait_until_inactive(server, ["stuck", "b"], timeout_s=0.2, interval_s=0.05)
