"""The per-commit slowdown check (robot/performance/slowdown.robot) run again and again next to a
CPU hog: does a loaded machine fool it? Prints each run's verdict and, per endpoint, the
largest factor (its ratio to the control over the baseline ratio) any run saw.

    .venv/bin/python benchmarks/slowdown_under_load.py [--runs 10] [--hog 1] [--out DIR]

The hog is Debian's ``stress-ng --cpu N`` (``apt-get install stress-ng``), started before
the first run and stopped after the last; ``--hog 0`` runs without it. The twin is joined
(or started) once, on a lease of this process. Exit status 1 when any run failed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT / "robot" / "performance" / "slowdown.robot"
LINE = re.compile(
    r"^(?P<endpoint>[A-Z]+ \S+): median (?P<median>[\d.]+) ms against the control's "
    r"(?P<control>[\d.]+) ms \(ratio (?P<ratio>[\d.]+)\); baseline ratio (?P<base>[\d.]+): "
    r"(?P<factor>[\d.]+)x the baseline"
)


def figures(output: Path) -> tuple[str, str, dict[str, dict[str, float]]]:
    """(status, message, {endpoint: figures}) of the slowdown test in ``output``."""
    root = ET.parse(output).getroot()
    test = next(root.iter("test"))
    status = test.find("status")
    found = {}
    for message in test.iter("msg"):
        for line in (message.text or "").splitlines():
            if match := LINE.match(line.strip()):
                found[match["endpoint"]] = {
                    key: float(match[key]) for key in ("median", "control", "ratio", "factor")
                }
    if status is None:
        raise ValueError(f"{output}: the test has no status (the run did not finish)")
    return status.get("status", ""), (status.text or "").strip(), found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--hog", type=int, default=1, help="stress-ng --cpu N (0: no hog)")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "slowdown-under-load")
    args = parser.parse_args()
    joined = subprocess.run(
        [sys.executable, "-m", "twin", "up", "--lease", str(os.getpid())],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if joined.returncode != 0:
        print(f"slowdown: the twin did not start: {joined.stderr.strip()[-300:]}")
        return 2
    hog = None
    if args.hog:
        if not shutil.which("stress-ng"):
            print("slowdown: stress-ng is not installed (apt-get install stress-ng)")
            return 2
        hog = subprocess.Popen(
            ["stress-ng", "--cpu", str(args.hog), "--quiet"], start_new_session=True
        )
        print(f"slowdown: stress-ng --cpu {args.hog} running (pid {hog.pid})")
    worst: dict[str, dict[str, float]] = {}
    failed = 0
    try:
        for number in range(1, args.runs + 1):
            out = args.out / f"run-{number:02d}"
            started = time.monotonic()
            subprocess.run(
                [
                    str(ROOT / ".venv" / "bin" / "robot"),
                    "--outputdir",
                    str(out),
                    "--console",
                    "none",
                    "--parse-include",  # with robot/performance/__init__.robot's settings
                    str(SUITE),
                    str(SUITE.parent),
                ],
                cwd=ROOT,
                timeout=900,
            )
            status, message, found = figures(out / "output.xml")
            failed += status != "PASS"
            top = max(found.items(), key=lambda item: item[1]["factor"], default=("-", {}))
            print(
                f"run {number:2d}: {status} in {time.monotonic() - started:.0f} s; largest "
                f"factor {top[1].get('factor', 0):.1f}x ({top[0]})"
                + (f"; {message.splitlines()[0]}" if status != "PASS" else "")
            )
            for endpoint, values in found.items():
                if values["factor"] >= worst.get(endpoint, {}).get("factor", -1):
                    worst[endpoint] = values
    finally:
        if hog is not None:
            os.killpg(hog.pid, signal.SIGTERM)
            hog.wait(timeout=30)
    print(f"\n{args.runs - failed} of {args.runs} runs passed; the largest factor per endpoint:")
    print(f"{'endpoint':34} {'median ms':>10} {'control ms':>10} {'ratio':>7} {'factor':>7}")
    for endpoint, values in sorted(worst.items()):
        print(
            f"{endpoint:34} {values['median']:>10.1f} {values['control']:>10.1f} "
            f"{values['ratio']:>7.2f} {values['factor']:>6.1f}x"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
