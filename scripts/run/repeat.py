"""Run a suite N times in a row under pabot; stop at the first failure (``make repeat``).

Prints one line per run with its duration and pass/fail counts, then a summary.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _counts(output: Path) -> tuple[int, int, int]:
    stat = ET.parse(output).getroot().find("./statistics/total/stat")
    return int(stat.get("pass")), int(stat.get("fail")), int(stat.get("skip", 0))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("suite", nargs="+")
    parser.add_argument("--times", type=int, default=10)
    parser.add_argument("--processes", type=int, default=4)
    args = parser.parse_args()
    venv = ROOT / ".venv" / "bin"
    durations = []
    for run in range(1, args.times + 1):
        out = ROOT / "results" / "repeat" / f"run-{run:02d}"
        command = [
            str(venv / "pabot"),
            "--processes",
            str(args.processes),
            "--outputdir",
            str(out),
            "--console",
            "dotted",
            *args.suite,
        ]
        started = time.monotonic()
        rc = subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL).returncode
        durations.append(time.monotonic() - started)
        passed, failed, skipped = _counts(out / "output.xml")
        print(
            f"run {run:2d}: {durations[-1]:6.1f}s  "
            f"{passed} passed, {failed} failed, {skipped} skipped",
            flush=True,
        )
        if rc != 0:
            print(f"run {run} failed: see {out / 'log.html'}")
            return 1
    print(f"{args.times} runs in a row passed; mean {sum(durations) / len(durations):.1f}s per run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
