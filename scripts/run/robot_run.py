"""Run ``robot`` on the suite in a subprocess, its console into ``<outdir>/console.txt``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_robot(options: list[str], outdir: Path, env: dict, timeout_s: float) -> int:
    """``robot --outputdir OUTDIR --console dotted OPTIONS robot/``; returns its exit code.

    Raises ``subprocess.TimeoutExpired`` when the run takes longer than ``timeout_s``.
    """
    outdir.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "robot", "--outputdir", str(outdir), "--console", "dotted"]
    with open(outdir / "console.txt", "w") as console:
        return subprocess.run(
            [*argv, *options, str(ROOT / "robot")],
            cwd=ROOT,
            env=env,
            stdout=console,
            stderr=subprocess.STDOUT,
            timeout=timeout_s,
            check=False,
        ).returncode
