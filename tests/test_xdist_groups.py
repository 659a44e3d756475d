"""``make pytest``'s two workers keep a module that shares a fixture on one worker.

pytest-xdist's ``--dist loadgroup`` groups by the ``xdist_group`` mark that
tests/conftest.py sets; a pytest/xdist pair that drops the group (pytest 9.2 with
xdist 3.8, pytest-xdist issue #1386) spreads the module over both workers and starts
its fixture twice, without failing anything: this test notices.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULE = "tests/twin/test_focus_server_openapi.py"  # 3 tests on one module-scoped app


def test_a_module_with_a_shared_fixture_runs_whole_on_one_worker():
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-n",
            "2",
            "--dist",
            "loadgroup",
            "-v",
            "-p",
            "no:cacheprovider",
            MODULE,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout[-2000:]
    ran = re.findall(r"^\[(gw\d+)\] \[ *\d+%\] PASSED (\S+) *$", done.stdout, re.MULTILINE)
    assert len(ran) == 3, done.stdout[-2000:]
    assert {worker for worker, _ in ran} == {ran[0][0]}, ran
    assert all(test.endswith("@twin/test_focus_server_openapi") for _, test in ran), ran
