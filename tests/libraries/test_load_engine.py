"""The load engine against the real twin: the tasks its users create are in the task ledger
under the Robot test while they run, and stopped, slot freed and out of the ledger after."""

from __future__ import annotations

import json
import os
from pathlib import Path

from libraries.focus_api.client import FocusClient
from libraries.load.runner import LoadSpec, LoadTarget, run_load
from tests.conftest import RunningTwin


def test_a_load_runs_tasks_are_in_the_ledger_under_its_test_and_stopped_after(
    twin: RunningTwin, tmp_path: Path, monkeypatch
) -> None:
    ledger = tmp_path / "ledger.json"
    monkeypatch.setenv("FOCUS_TASK_LEDGER", str(ledger))
    focus = twin.endpoints["focus"]
    target = LoadTarget(
        focus["base_url"],
        twin.secrets["focus_user"],
        twin.secrets["focus_password"],
        twin.endpoints["ca"],
    )
    seen: list[list[dict]] = []

    def look(_line: str) -> None:
        seen.append(json.loads(ledger.read_text()) if ledger.exists() else [])

    spec = LoadSpec("configure_flood", users=4, spawn_rate=4, duration_s=4, window_s=1)
    stats = run_load(spec, target, progress=look, test="Suites.Load.Demo Flood")
    assert stats["statuses"]["POST /configure"] == {"200": 4}
    assert stats["leftover_tasks"] == []
    during = max(seen, key=len)
    assert len(during) == 4, seen
    assert {(e["test"], e["owner"]) for e in during} == {("Suites.Load.Demo Flood", os.getpid())}
    assert json.loads(ledger.read_text()) == []
    client = FocusClient(
        focus["base_url"],
        twin.secrets["focus_user"],
        twin.secrets["focus_password"],
        ca_bundle=twin.endpoints["ca"],
    )
    try:
        active = {t["task_id"] for t in client.request("GET", "/tasks").json()["tasks"]}
        assert not active & {e["task_id"] for e in during}
    finally:
        client.close()
