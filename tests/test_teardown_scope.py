"""Teardowns delete only what the test created: never by the environment's own site id.

On staging and production ``${SITE_ID}`` is a real site. A test whose setup fails before
`Use A Test Site` still runs its teardown; that teardown must delete nothing rather than
every alert of the real site.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT / "tests" / "robot_suites" / "teardown_scope"


def test_alert_teardowns_never_delete_by_the_environments_site(tmp_path: Path):
    run = subprocess.run(
        [sys.executable, "-m", "robot", "--outputdir", str(tmp_path), str(SUITE)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "2 tests, 1 passed, 1 failed" in run.stdout, run.stdout + run.stderr
    deletes = (tmp_path / "deletes.txt").read_text().splitlines()
    assert len(deletes) == 1, deletes
    collection, site = deletes[0].split()
    assert collection == "alerts"
    assert site.startswith("real-site-of-the-environment.") and len(site) > 30
