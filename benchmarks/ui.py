"""liveView figures, measured in one run against a running twin.

    FOCUS_TWIN_DIR=results/twin .venv/bin/python benchmarks/ui.py [--processes 4] [--skip-suite]

1. The UI suite's wall time: ``pabot --processes N robot/ui`` (target <= 90 s on 2 cores),
   with its pass/fail counts.
2. From a new page to an interactive configure form: the page's own ``performance.now()``
   when the form became usable, over 15 new pages (target < 1 s).
3. From a publish to RabbitMQ to the row in the alerts panel: p50/p95 over 30 alerts
   (target p95 < 2 s).

Each figure is printed with its target and the ratio figure/target (< 1 is within target).
Results go to results/bench-ui/. When the twin is not up it says so in one line, exits 1.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from twin import control

ROOT = Path(__file__).resolve().parents[1]

OUT = ROOT / "results" / "bench-ui"
VENV_BIN = Path(sys.executable).parent
TARGET_SUITE_S = 90.0
TARGET_INTERACTIVE_MS = 1000.0
TARGET_VISIBLE_P95_MS = 2000.0


def counts(output: Path) -> str:
    """``passed/total`` of an output.xml (its top suite's statistics)."""
    total = ET.parse(output).getroot().find("statistics/total/stat")
    passed, failed = int(total.get("pass")), int(total.get("fail"))
    return f"{passed} passed, {failed} failed"


def run_suite(processes: int) -> tuple[float, str]:
    out = OUT / "suite"
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    started = time.perf_counter()
    subprocess.run(
        [str(VENV_BIN / "pabot"), "--processes", str(processes), "--outputdir", str(out),
         "--log", "NONE", "--report", "NONE", "robot/ui"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
    )  # fmt: skip
    return time.perf_counter() - started, counts(out / "output.xml")


def run_timings() -> dict:
    out = OUT / "timings"
    shutil.rmtree(out, ignore_errors=True)
    result = subprocess.run(
        [sys.executable, "-m", "robot", "--outputdir", str(out), "--log", "NONE",
         "--report", "NONE", "--console", "dotted", str(ROOT / "benchmarks" / "ui_timings.robot")],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(
            f"ui_timings.robot failed: see {out / 'output.xml'}\n{result.stdout[-800:]}"
        )
    return json.loads((out / "ui_timings.json").read_text())


def quantile(samples: list[float], share: float) -> float:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[round(share * 100) - 1]


def line(what: str, value: float, unit: str, target: float, extra: str = "") -> str:
    ratio = value / target
    return (
        f"{what:<44} {value:9.1f} {unit:<3} target {target:7.0f} {unit}  ratio {ratio:5.2f}{extra}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--skip-suite", action="store_true", help="only the page timings")
    args = parser.parse_args()
    try:
        control.endpoints()
    except control.TwinNotRunning:
        print(f"the twin is not up in {control.twin_dir()}: start it with 'python -m twin up'")
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    timings = run_timings()
    interactive = timings["page_to_interactive_ms"]
    visible = timings["publish_to_visible_ms"]
    print(f"liveView on {os.cpu_count()} cores")
    if not args.skip_suite:
        wall, outcome = run_suite(args.processes)
        print(line(f"UI suite, pabot --processes {args.processes}", wall, "s", TARGET_SUITE_S,
                   f"  ({outcome})"))  # fmt: skip
    p50, top = statistics.median(interactive), max(interactive)
    print(line("new page -> interactive configure form, p50", p50, "ms", TARGET_INTERACTIVE_MS,
               f"  (n={len(interactive)}, max {top:.0f} ms)"))  # fmt: skip
    p50, p95, top = statistics.median(visible), quantile(visible, 0.95), max(visible)
    print(line("publish -> visible in alerts panel, p50", p50, "ms", TARGET_VISIBLE_P95_MS))
    print(line("publish -> visible in alerts panel, p95", p95, "ms", TARGET_VISIBLE_P95_MS,
               f"  (n={len(visible)}, max {top:.0f} ms)"))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
