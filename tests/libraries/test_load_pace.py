"""``pace``: each user starts one round of its scenario every ``pace_s`` seconds (Locust's
``constant_pacing``), so the rate asked for is users / pace, not as fast as the answers
come. The light-load response-time test relies on it (2 tasks a second, not about 8).
The server here is a small stand-in that counts the ``/configure`` requests it gets.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from libraries.load.runner import LoadSpec, LoadTarget, run_load
from tests.libraries.http_stand_in import JsonHandler, serving

USERS = 3
DURATION_S = 3.0


class CountingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.lock = threading.Lock()
        self.configures = 0
        self.active: set[str] = set()


class Handler(JsonHandler):
    server: CountingServer

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.endswith("/auth/token"):
            self._answer(200, {"access_token": "pace-token", "token_type": "bearer"})
            return
        task_id = str(uuid.uuid4())
        with self.server.lock:
            self.server.configures += 1
            self.server.active.add(task_id)
        self._answer(200, {"task_id": task_id})

    def do_GET(self) -> None:
        self._answer(200, {"task_id": self.path.rsplit("/", 1)[-1], "status": "running"})

    def do_DELETE(self) -> None:
        task_id = self.path.rsplit("/", 1)[-1]
        with self.server.lock:
            self.server.active.discard(task_id)
        self._answer(200, {"task_id": task_id, "status": "stopped"})


@pytest.fixture
def server() -> Iterator[CountingServer]:
    with serving(CountingServer()) as stand_in:
        yield stand_in


def _run(server: CountingServer, pace_s: float | None) -> dict:
    port = server.server_address[1]
    target = LoadTarget(f"http://127.0.0.1:{port}/focus-server", "pace-user", "pace-password")
    rate = USERS / pace_s if pace_s else float(USERS)
    spec = LoadSpec(
        "tasks", users=USERS, spawn_rate=rate, duration_s=DURATION_S, window_s=1, pace_s=pace_s
    )
    return run_load(spec, target, timeout_s=90)


def test_paced_users_ask_once_per_pace(
    server: CountingServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FOCUS_TASK_LEDGER", str(tmp_path / "ledger.json"))
    stats = _run(server, pace_s=1.0)
    # 3 users, one round a second each, for 3 s (plus the round in hand at the stop).
    most = USERS * (int(DURATION_S) + 1)
    assert USERS <= server.configures <= most, (
        f"{server.configures} configures in {DURATION_S} s from {USERS} users paced at 1 s: "
        f"wanted {USERS}..{most}"
    )
    assert stats["statuses"]["POST /configure"] == {"200": server.configures}
    assert not server.active, f"tasks left running: {sorted(server.active)}"


def test_without_a_pace_the_scenario_keeps_its_own_wait(
    server: CountingServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FOCUS_TASK_LEDGER", str(tmp_path / "ledger.json"))
    _run(server, pace_s=None)
    # tasks waits 0.05-0.15 s between rounds: several rounds a second per user.
    assert server.configures > USERS * (int(DURATION_S) + 1), (
        f"only {server.configures} configures in {DURATION_S} s without a pace"
    )
    assert not server.active


@pytest.mark.parametrize("pace_s", [0.0, -1.0, 4000.0])
def test_a_pace_out_of_range_is_refused(pace_s: float) -> None:
    with pytest.raises(ValueError, match="pace must be"):
        LoadSpec("tasks", pace_s=pace_s).check()
