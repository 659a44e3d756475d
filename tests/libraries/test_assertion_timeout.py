"""`Set Assertion Timeout`: the default of every polling getter, with Browser's scopes."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from assertionengine import AssertionOperator

from libraries.common import polling

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT / "tests" / "robot_suites" / "assertion_timeout"


@pytest.fixture(autouse=True)
def _restore_default():
    previous = polling.assertion_timeout()
    yield
    polling.set_assertion_timeout(previous)


def test_a_getter_given_no_timeout_polls_for_the_process_setting():
    polling.set_assertion_timeout(0.3)
    with pytest.raises(AssertionError, match=r"timeout 0.3 s"):
        polling.poll_assertion(lambda: 1, AssertionOperator["=="], 2, "one", interval=0.05)


def test_an_explicit_timeout_wins_and_the_setting_returns_the_previous_one():
    assert polling.set_assertion_timeout(timedelta(seconds=4)) == timedelta(seconds=10)
    with pytest.raises(AssertionError, match=r"timeout 0 s, 1 read\)"):
        polling.poll_assertion(lambda: 1, AssertionOperator["=="], 2, "one", timeout=0)
    with pytest.raises(ValueError, match="must not be negative"):
        polling.set_assertion_timeout(-1)


def test_scopes_end_with_their_test_and_suite(tmp_path: Path):
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "robot",
            "--outputdir",
            str(tmp_path),
            "--pythonpath",
            str(SUITE / "child"),
            str(SUITE),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "8 tests, 8 passed, 0 failed" in run.stdout, run.stdout
