"""The configure flood holds "all at once" on a slow server: a user that stops while
other users' /configure requests are still in flight keeps its slot until they are
answered, so no more than MaxWindows tasks are ever accepted.

Seen in a fresh-clone ``make test`` on a loaded machine: /configure's p95 (17 s) outlived the
flood's 15 s, the first users deleted their tasks at the stop, the late requests took the
freed slots, and 60 tasks were accepted against MaxWindows 30. The server here is a small
stand-in with capacity 3 whose later /configure answers come 3 s after a 1 s run.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from libraries.load.runner import LoadSpec, LoadTarget, run_load
from tests.libraries.http_stand_in import JsonHandler, serving

CAPACITY = 3
USERS = 6
LATE_ANSWER_S = 3.0


class SlowCapacityServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.lock = threading.Lock()
        self.asked = 0
        self.active: set[str] = set()
        self.accepted: list[str] = []


class Handler(JsonHandler):
    server: SlowCapacityServer

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        if self.path.endswith("/auth/token"):
            self._answer(200, {"access_token": "flood-token", "token_type": "bearer"})
            return
        with self.server.lock:
            self.server.asked += 1
            late = self.server.asked > CAPACITY
        if late:
            time.sleep(LATE_ANSWER_S)  # decided after the run has begun to stop
        with self.server.lock:
            if len(self.server.active) < CAPACITY:
                task_id = str(uuid.uuid4())
                self.server.active.add(task_id)
                self.server.accepted.append(task_id)
                self._answer(200, {"task_id": task_id})
                return
        refusal = {"error": {"code": "CAPACITY_EXCEEDED", "message": "no free slot"}}
        self._answer(503, refusal, {"Retry-After": "1"})

    def do_DELETE(self) -> None:
        task_id = self.path.rsplit("/", 1)[-1]
        with self.server.lock:
            self.server.active.discard(task_id)
        self._answer(200, {"task_id": task_id, "status": "stopped"})

    def do_GET(self) -> None:
        task_id = self.path.rsplit("/", 1)[-1]
        with self.server.lock:
            known = task_id in self.server.accepted
            running = task_id in self.server.active
        if not known:
            self._answer(404, {"error": {"code": "NOT_FOUND"}})
        else:
            self._answer(200, {"task_id": task_id, "status": "running" if running else "stopped"})


@pytest.fixture
def server() -> Iterator[SlowCapacityServer]:
    with serving(SlowCapacityServer()) as stand_in:
        yield stand_in


def test_a_stopping_flood_keeps_its_slots_until_every_answer_is_in(
    server: SlowCapacityServer, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("FOCUS_TASK_LEDGER", str(tmp_path / "ledger.json"))
    port = server.server_address[1]
    target = LoadTarget(f"http://127.0.0.1:{port}/focus-server", "flood-user", "flood-password")
    spec = LoadSpec("configure_flood", users=USERS, spawn_rate=USERS, duration_s=1, window_s=1)
    stats = run_load(spec, target, timeout_s=90)
    assert server.asked == USERS, f"{server.asked} of {USERS} users asked"
    assert stats["statuses"]["POST /configure"] == {"200": CAPACITY, "503": USERS - CAPACITY}, (
        f"accepted {len(server.accepted)} tasks against a capacity of {CAPACITY}: a slot freed "
        f"at the stop went to a request still in flight"
    )
    assert not server.active, f"tasks left running: {sorted(server.active)}"
    assert stats["leftover_tasks"] == []
