"""The task ledger: a killed run's tasks are stopped by the next run, and nobody else's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from libraries.focus_api.ledger import TaskLedger

SERVER = "https://127.0.0.1:8443/focus-server"


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_killed_runs_tasks_are_stopped_and_forgotten(tmp_path: Path):
    path = tmp_path / "ledger.json"
    killed = TaskLedger(path, pid=_dead_pid())
    killed.add(SERVER, "t-1")
    killed.add(SERVER, "t-2")
    calls = []
    stopped, kept = TaskLedger(path).stop_leftovers(SERVER, lambda t: calls.append(t) or 200)
    assert calls == ["t-1", "t-2"] and stopped == ["t-1", "t-2"] and kept == []
    assert TaskLedger(path).leftovers(SERVER) == []


def test_tasks_of_live_runs_and_other_servers_are_never_touched(tmp_path: Path):
    path = tmp_path / "ledger.json"
    TaskLedger(path, pid=1).add(SERVER, "still-running-run")  # pid 1 is alive
    TaskLedger(path, pid=_dead_pid()).add("https://127.0.0.1:9999/other", "other-server")
    mine = TaskLedger(path)
    mine.add(SERVER, "this-process")
    stopped, _ = mine.stop_leftovers(SERVER, lambda t: 200)
    assert stopped == []
    assert "still-running-run" in path.read_text() and "other-server" in path.read_text()


def test_a_task_the_server_cannot_stop_stays_for_next_time(tmp_path: Path):
    path = tmp_path / "ledger.json"
    killed = TaskLedger(path, pid=_dead_pid())
    for task in ("gone", "refused", "unreachable"):
        killed.add(SERVER, task)

    def stop(task_id: str) -> int:
        if task_id == "unreachable":
            raise ConnectionError("Focus Server is unreachable")
        return {"gone": 404, "refused": 500}[task_id]

    stopped, kept = TaskLedger(path).stop_leftovers(SERVER, stop)
    assert stopped == []  # 404: already gone, nothing stopped
    assert kept == ["refused: HTTP 500", "unreachable: Focus Server is unreachable"]
    assert [t.task_id for t in TaskLedger(path).leftovers(SERVER)] == ["refused", "unreachable"]


def test_stopped_tasks_leave_the_ledger(tmp_path: Path):
    ledger = TaskLedger(tmp_path / "ledger.json", pid=_dead_pid())
    ledger.add(SERVER, "a")
    ledger.add(SERVER, "b")
    ledger.remove(SERVER, "a")
    assert [t.task_id for t in TaskLedger(tmp_path / "ledger.json").leftovers(SERVER)] == ["b"]


def _add_many(args: tuple[str, int]) -> None:
    path, worker = args
    ledger = TaskLedger(Path(path))
    for n in range(25):
        ledger.add(SERVER, f"w{worker}-{n}")


def test_pabot_processes_writing_at_once_lose_no_entry(tmp_path: Path):
    path = tmp_path / "ledger.json"
    with ProcessPoolExecutor(4) as pool:
        list(pool.map(_add_many, [(str(path), w) for w in range(4)]))
    text = path.read_text()
    assert all(f'"w{w}-{n}"' in text for w in range(4) for n in range(25))


def test_a_torn_file_is_started_again(tmp_path: Path):
    path = tmp_path / "ledger.json"
    path.write_text('[{"server": "x", "task')
    TaskLedger(path).add(SERVER, "t")
    assert '"task_id": "t"' in path.read_text()


def test_an_entry_names_the_test_that_created_it(tmp_path: Path):
    path = tmp_path / "ledger.json"
    TaskLedger(path).add(SERVER, "t-1", "Suites.Api.Capacity.Fill It")
    entry = TaskLedger(path).find(SERVER, ["t-1", "unknown"])["t-1"]
    assert entry.test == "Suites.Api.Capacity.Fill It"
    assert "created by test 'Suites.Api.Capacity.Fill It'" in entry.describe()
    assert "(process " in entry.describe() and "running)" in entry.describe()


def test_a_load_engines_tasks_belong_to_its_robot_process(tmp_path: Path):
    """An ended engine's tasks are its Robot process's to stop (its teardown), not a
    leftover for other processes, until that Robot process ends too."""
    path = tmp_path / "ledger.json"
    engine = TaskLedger(path, pid=_dead_pid(), owner=os.getpid())
    engine.add(SERVER, "from-the-engine", "Suites.Load.Flood")
    robot = TaskLedger(path)
    assert [e.task_id for e in robot.left_by_children(SERVER)] == ["from-the-engine"]
    assert "load engine" in robot.left_by_children(SERVER)[0].describe()
    assert TaskLedger(path, pid=1).left_by_children(SERVER) == []  # not pid 1's child
    assert TaskLedger(path, pid=1).leftovers(SERVER) == []  # its Robot process still runs
    orphan = TaskLedger(path, pid=_dead_pid(), owner=_dead_pid())
    orphan.add(SERVER, "robot-process-gone-too")
    assert [e.task_id for e in TaskLedger(path, pid=1).leftovers(SERVER)] == [
        "robot-process-gone-too"
    ]


def test_entries_of_earlier_releases_are_read(tmp_path: Path):
    path = tmp_path / "ledger.json"
    path.write_text(json.dumps([{"server": SERVER, "task_id": "old", "pid": 1, "created": 1.0}]))
    (entry,) = TaskLedger(path).entries(SERVER)
    assert (entry.task_id, entry.pid, entry.owner, entry.test) == ("old", 1, 1, "")
    assert "a run that did not name its test" in entry.describe()
