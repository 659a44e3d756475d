"""The pod monitor's cost: suite wall time with and without it, in one run, and its memory.

    .venv/bin/python benchmarks/pod_monitor.py [--rounds 2] [SUITE ...]

Starts a twin of its own (a temporary directory, leased to this process), then runs
the same suites ``--rounds`` times with ``--listener libraries.pod_monitor.PodMonitor``
and ``--rounds`` times without, alternating (so drift of the machine hits both alike),
and prints the median wall time of each, the overhead in per cent (target: <= 5 %),
the robot process's peak RSS with and without (the difference is the monitor's peak
memory), and what the monitor held at its peak (lines and characters buffered). For
information: nothing is asserted. Default suites: configure, task lifecycle and valid
alerts, which create tasks (job pods come and go) and make the focus server log.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from twin import control

ROOT = Path(__file__).resolve().parents[1]

DEFAULT_SUITES = (
    "robot/api/configure.robot",
    "robot/api/task_lifecycle.robot",
    "robot/alerts/valid_alerts.robot",
)
LISTENER = "libraries.pod_monitor.PodMonitor"


def run_robot(suites: list[str], out: Path, monitor: bool, env: dict) -> tuple[float, int, int]:
    """(wall seconds, peak RSS in KiB, return code) of one robot run."""
    argv = [sys.executable, "-m", "robot", "--outputdir", str(out), "--console", "dotted"]
    if monitor:
        argv += ["--listener", LISTENER]
    started = time.monotonic()
    # The files are parsed inside robot/, so their folders' __init__.robot settings run.
    argv += [option for suite in suites for option in ("--parse-include", suite)]
    process = subprocess.Popen(
        argv + ["robot"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.monotonic() - started
    return seconds, usage.ru_maxrss, os.waitstatus_to_exitcode(status)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suites", nargs="*", default=list(DEFAULT_SUITES))
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pod-monitor-bench-") as temp:
        base = Path(temp) / "twin"
        env = {**os.environ, "FOCUS_TWIN_DIR": str(base)}
        os.environ["FOCUS_TWIN_DIR"] = str(base)
        print(f"starting a twin in {base} ...", flush=True)
        control.up(base=base, owners=[os.getpid()])
        # A first run warms the twin (first tasks, caches) so neither side pays for it.
        run_robot(args.suites, Path(temp) / "warm-up", False, env)
        runs: dict[bool, list[tuple[float, int, int]]] = {True: [], False: []}
        stats: list[dict] = []
        for round_number in range(args.rounds):
            for monitor in (round_number % 2 == 0, round_number % 2 != 0):
                out = Path(temp) / f"{'with' if monitor else 'without'}-{round_number}"
                result = run_robot(args.suites, out, monitor, env)
                runs[monitor].append(result)
                label = "with   " if monitor else "without"
                print(
                    f"  round {round_number + 1} {label} monitor: {result[0]:6.1f} s "
                    f"(robot rc {result[2]})",
                    flush=True,
                )
                stats_file = out / "pod_monitor_stats.json"
                if monitor and stats_file.exists():
                    stats.append(json.loads(stats_file.read_text()))
        control.down(base=base)
    with_s = statistics.median(r[0] for r in runs[True])
    without_s = statistics.median(r[0] for r in runs[False])
    rss_with = max(r[1] for r in runs[True]) / 1024
    rss_without = max(r[1] for r in runs[False]) / 1024
    print()
    print(f"suites: {' '.join(args.suites)} ({args.rounds} rounds each, alternating)")
    print(f"{'':28}{'median wall time':>18}{'peak RSS of robot':>20}")
    print(f"{'without the pod monitor':28}{without_s:>16.1f} s{rss_without:>17.1f} MiB")
    print(f"{'with the pod monitor':28}{with_s:>16.1f} s{rss_with:>17.1f} MiB")
    overhead = (with_s - without_s) / without_s * 100
    verdict = "within" if overhead <= 5 else "OVER"
    print(f"overhead: {overhead:+.1f} % ({verdict} the 5 % target)")
    print(f"monitor's peak memory (RSS difference): {rss_with - rss_without:+.1f} MiB")
    if stats:
        peak = max(stats, key=lambda s: s["peak_buffered_chars"])
        print(
            f"monitor held at its peak: {peak['peak_buffered_lines']} lines, "
            f"{peak['peak_buffered_chars'] / 1024:.0f} KiB of text; followed "
            f"{peak['pods_followed']} pods, {peak['lines_seen']} lines in {peak['tests']} tests"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
