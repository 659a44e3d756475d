"""The supervisor on stand-in workloads: start, restart on crash, stop, no orphans."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from twin import config, control, processes

FAKES = "tests.twin.fake_workloads:WORKLOADS"


def _state(base: Path) -> dict:
    return json.loads((base / config.STATE_FILE).read_text())


def _wait(predicate, timeout: float = 10.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def _twin_processes(instance: str) -> list[psutil.Process]:
    found = processes.marked_processes(instance)
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if "twin.watchdog" in cmdline and instance in cmdline:
            found.append(proc)
    return found


@pytest.fixture
def fake_twin(tmp_path: Path):
    result = control.up(base=tmp_path, workloads=FAKES, timeout=20)
    assert result.started
    instance = _state(tmp_path)["instance"]
    try:
        yield tmp_path, instance
    finally:
        control.down(base=tmp_path)
        _wait(lambda: not _twin_processes(instance), what="no twin process left")


def test_up_starts_every_workload_ready_with_labels_and_logs(fake_twin):
    base, _ = fake_twin
    pods = {pod["workload"]: pod for pod in _state(base)["pods"]}
    assert set(pods) == {"alpha", "beta"}
    assert all(pod["ready"] and pod["phase"] == "Running" for pod in pods.values())
    assert pods["beta"]["name"] == "beta-0"  # StatefulSet: stable name
    assert pods["alpha"]["name"].startswith("alpha-")
    assert Path(pods["alpha"]["log"]).exists()
    assert control.is_up(base)


def test_second_up_joins_instead_of_starting_again(fake_twin):
    base, instance = fake_twin
    again = control.up(base=base, workloads=FAKES, timeout=20)
    assert not again.started
    assert _state(base)["instance"] == instance


def test_crashed_pod_is_restarted_and_its_group_reaped(fake_twin):
    base, _ = fake_twin
    pid, grandchild = map(int, (base / "alpha.ready").read_text().split())
    (base / "alpha.ready").unlink()
    os.kill(pid, signal.SIGKILL)
    pod = _wait(
        lambda: next(
            (p for p in _state(base)["pods"] if p["workload"] == "alpha" and p["restart_count"]),
            None,
        ),
        what="alpha restarted",
    )
    assert pod["restart_count"] == 1
    _wait(lambda: (base / "alpha.ready").exists(), what="alpha ready again")
    _wait(lambda: not processes.pid_alive(grandchild), what="old grandchild reaped")


def test_down_leaves_no_process_behind(tmp_path: Path):
    control.up(base=tmp_path, workloads=FAKES, timeout=20)
    instance = _state(tmp_path)["instance"]
    assert len(_twin_processes(instance)) >= 5  # supervisor, 2 pods, 2 grandchildren
    assert control.down(base=tmp_path)
    _wait(lambda: not _twin_processes(instance), what="no twin process left")
    assert not control.is_up(tmp_path)


def test_killed_supervisor_is_cleaned_up_by_the_watchdog(tmp_path: Path):
    control.up(base=tmp_path, workloads=FAKES, timeout=20)
    state = _state(tmp_path)
    os.kill(state["supervisor_pid"], signal.SIGKILL)
    _wait(lambda: not _twin_processes(state["instance"]), timeout=10, what="watchdog cleanup")


def test_lease_mode_stops_when_the_last_owner_exits(tmp_path: Path):
    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        control.up(base=tmp_path, owners=[owner.pid], workloads=FAKES, timeout=20)
        instance = _state(tmp_path)["instance"]
        assert _state(tmp_path)["mode"] == "lease"
    finally:
        owner.kill()
        owner.wait()
    _wait(lambda: not _twin_processes(instance), timeout=15, what="leased twin gone")


def test_failing_workload_gives_one_clear_line(tmp_path: Path):
    (tmp_path / "alpha.crash").write_text("")
    with pytest.raises(control.TwinError) as error:
        control.up(base=tmp_path, workloads=FAKES, timeout=30)
    message = str(error.value)
    assert "\n" not in message
    assert "alpha" in message and "exited with code 1" in message
    assert "logs" in message
    assert not control.is_up(tmp_path)


def test_busy_port_is_replaced_by_a_free_one(tmp_path: Path):
    from twin import prepare

    endpoints, _ = prepare.prepare(tmp_path)
    port = endpoints["focus"]["port"]
    import socket

    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", port))
        blocker.listen()
        again, _ = prepare.prepare(tmp_path)
    assert again["focus"]["port"] != port
    assert again["mongo"]["port"] == endpoints["mongo"]["port"]  # stable where free


def test_secrets_file_is_private_and_stable(tmp_path: Path):
    from twin import prepare

    _, first = prepare.prepare(tmp_path)
    _, second = prepare.prepare(tmp_path)
    assert first == second
    assert (tmp_path / config.SECRETS_FILE).stat().st_mode & 0o077 == 0
