"""The lease's owner check: an owner counts as alive by what no clock update moves.

psutil's ``create_time()`` is the boot time (read from the wall clock) plus the start
ticks, so an NTP step or slew on the host moves it; the lease compared it to 0.01 s and a
running owner could look gone, which stopped a leased twin in the middle of its run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from twin import lease


def test_a_running_owner_stays_alive_when_the_wall_clock_moves(tmp_path: Path, monkeypatch):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lease.add_owner(tmp_path, child.pid)
        assert lease.live_owners(tmp_path) == [child.pid]
        real = psutil.boot_time()
        monkeypatch.setattr(psutil, "boot_time", lambda: real + 1.0)  # the clock stepped 1 s
        monkeypatch.setattr(psutil._pslinux, "boot_time", lambda: real + 1.0, raising=False)
        assert lease.live_owners(tmp_path) == [child.pid], lease.gone_owners
    finally:
        child.kill()
        child.wait(timeout=10)


@pytest.mark.parametrize(
    ("registered", "reason"),
    [("ticks:1", "pid reused"), ("ticks:", "pid reused"), (None, "exited")],
)
def test_an_owner_is_gone_when_its_pid_is_another_process_or_none(tmp_path, registered, reason):
    if registered is None:
        child = subprocess.Popen([sys.executable, "-c", "pass"])
        child.wait(timeout=10)
        pid = child.pid
        (lease.owners_dir(tmp_path) / str(pid)).write_text("ticks:1")
    else:
        pid = psutil.Process().pid  # alive, but not the process that registered
        (lease.owners_dir(tmp_path) / str(pid)).write_text(registered)
    assert lease.live_owners(tmp_path) == []
    assert lease.gone_owners[pid].startswith(reason)
    assert not (lease.owners_dir(tmp_path) / str(pid)).exists()
