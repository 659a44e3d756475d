"""The task ledger: a killed run's tasks are stopped by the next run, and nobody else's."""

from __future__ import annotations

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
