"""Run ``robot`` (or pabot) on suites in a subprocess, the console into ``<outdir>/console.txt``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_robot(
    options: list[str],
    outdir: Path,
    env: dict,
    timeout_s: float,
    suites: list[str] | None = None,
    processes: int = 1,
) -> int:
    """``robot --outputdir OUTDIR --console dotted OPTIONS SUITES`` (``robot/`` unless given;
    pabot with ``processes`` > 1); returns its exit code.

    Raises ``subprocess.TimeoutExpired`` when the run takes longer than ``timeout_s``.
    """
    outdir.mkdir(parents=True, exist_ok=True)
    runner = ["-m", "robot"]
    if processes > 1:
        runner = ["-m", "pabot.pabot", "--processes", str(processes)]
    argv = [sys.executable, *runner, "--outputdir", str(outdir), "--console", "dotted"]
    with open(outdir / "console.txt", "w") as console:
        return subprocess.run(
            [*argv, *options, *(suites or [str(ROOT / "robot")])],
            cwd=ROOT,
            env=env,
            stdout=console,
            stderr=subprocess.STDOUT,
            timeout=timeout_s,
            check=False,
        ).returncode
