"""The pod monitor's request-id probe against the whole twin: its Focus Server writes the ids
it is sent into its access lines, so the monitor attributes by request id and says so."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.twin

ROOT = Path(__file__).resolve().parents[2]
SUITE = """*** Test Cases ***
First Test
    [Documentation]    Gives the probe's access line time to reach the monitor.
    Sleep    2s

Second Test
    [Documentation]    The verdict is reported at the latest here.
    Sleep    2s
"""


def test_the_twins_access_lines_carry_request_ids(twin, tmp_path):
    suite = tmp_path / "probe.robot"
    suite.write_text(SUITE)
    out = tmp_path / "out"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "robot",
            "--listener",
            "libraries.pod_monitor.PodMonitor",
            "--variablefile",
            str(ROOT / "variables" / "local.py"),
            "--outputdir",
            str(out),
            str(suite),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "FOCUS_TWIN_DIR": str(twin.dir)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    console = run.stdout + run.stderr
    assert run.returncode == 0, console
    assert "attribution by time window only" not in console
    assert "access lines carry request ids" in (out / "output.xml").read_text()
    assert "Attribution" not in (out / "pod_logs" / "summary.txt").read_text()
