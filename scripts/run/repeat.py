"""Run a selection of suites N times in a row under pabot (``make repeat``): the flake hunt.

    python -m scripts.run.repeat --times 5 --exclude nightly robot/performance robot/load
    make repeat SUITE="robot/performance robot/load" N=5 ROBOT_OPTS="--exclude nightly"

Every argument this script does not know goes to pabot as given, in order: Robot and pabot
options (``--exclude nightly``, ``--include smoke``, ``-v ENV:staging``, ``--testlevelsplit``)
and any number of suite folders or files. Each run writes ``results/repeat/run-NN/``
(or under ``--outputdir``). Prints one line per run (its duration and counts, then each
failed test with the first line of its message) and a summary; stops at the first failed
run unless ``--keep-going``. Exit status 0 only when every run passed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from robot.api import ExecutionResult, ResultVisitor

ROOT = Path(__file__).resolve().parents[2]
SHOWN_FAILURES = 10


@dataclass
class RunResult:
    number: int
    seconds: float
    returncode: int
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    failures: list[str] = field(default_factory=list)
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.problem

    def line(self) -> str:
        counts = (
            self.problem
            if self.problem
            else f"{self.passed} passed, {self.failed} failed, {self.skipped} skipped"
        )
        verdict = "PASS" if self.ok else "FAIL"
        return f"run {self.number:2d}: {self.seconds:6.1f}s  {verdict}  {counts}"


def parse_arguments(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(
        description="Run suites N times in a row under pabot; other arguments go to pabot.",
        allow_abbrev=False,  # '--pro' must reach pabot, not become --processes
        usage="%(prog)s [--times N] [--processes P] [--keep-going] [--outputdir DIR] "
        "[pabot/robot options] PATH [PATH ...]",
    )
    parser.add_argument("--times", type=int, default=10, help="how many runs (default 10)")
    parser.add_argument("--processes", type=int, default=4, help="pabot processes (default 4)")
    parser.add_argument(
        "--keep-going", action="store_true", help="run every time even after a failed run"
    )
    parser.add_argument(
        "--outputdir",
        type=Path,
        default=ROOT / "results" / "repeat",
        help="where run-NN/ go (default results/repeat)",
    )
    args, pabot_args = parser.parse_known_args(argv)
    if args.times < 1:
        parser.error(f"--times must be at least 1, got {args.times}")
    if args.processes < 1:
        parser.error(f"--processes must be at least 1, got {args.processes}")
    if not pabot_args or not Path(pabot_args[-1]).exists():
        last = f" ({pabot_args[-1]!r} is not a file or folder)" if pabot_args else ""
        parser.error(f"name the suite folders or files to run last, e.g. robot/api{last}")
    return args, pabot_args


def read_result(output: Path, run: RunResult) -> None:
    """Counts and failed tests of ``output`` (output.xml) into ``run``."""
    if not output.exists():
        run.problem = f"no {output}: pabot did not run (see its messages above)"
        return
    result = ExecutionResult(str(output))
    stats = result.statistics.total
    run.passed, run.failed, run.skipped = stats.passed, stats.failed, stats.skipped
    failures: list[str] = []
    result.suite.visit(_FailedTests(failures))
    run.failures = failures


class _FailedTests(ResultVisitor):
    """Collects ``long name: first line of the message`` of each failed test."""

    def __init__(self, into: list[str]) -> None:
        self.into = into

    def visit_test(self, test) -> None:
        if test.failed:
            message = (test.message or "").strip().splitlines()
            self.into.append(f"{test.full_name}: {message[0] if message else '(no message)'}")


def pabot_command(processes: int, outputdir: Path, pabot_args: list[str]) -> list[str]:
    pabot = shutil.which("pabot", path=str(ROOT / ".venv" / "bin")) or "pabot"
    return [
        pabot,
        "--processes",
        str(processes),
        "--outputdir",
        str(outputdir),
        "--console",
        "dotted",
        *pabot_args,
    ]


def pabot_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for pabot: this interpreter's bin first on PATH, because pabot
    starts ``robot`` from PATH (``python -m scripts.run.repeat`` outside make, with no venv
    activated, otherwise fails in every run with ``robot`` not found)."""
    env = dict(os.environ if base is None else base)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def main(argv: list[str] | None = None) -> int:
    args, pabot_args = parse_arguments(sys.argv[1:] if argv is None else argv)
    print(f"{args.times} run(s) of: pabot --processes {args.processes} {' '.join(pabot_args)}")
    runs: list[RunResult] = []
    for number in range(1, args.times + 1):
        out = args.outputdir / f"run-{number:02d}"
        started = time.monotonic()
        completed = subprocess.run(
            pabot_command(args.processes, out, pabot_args),
            stdout=subprocess.DEVNULL,
            env=pabot_environment(),
            check=False,
        )
        run = RunResult(number, time.monotonic() - started, completed.returncode)
        read_result(out / "output.xml", run)
        if not run.problem and run.returncode != 0 and not run.failed:
            run.problem = f"pabot exited with {run.returncode} (see {out})"
        runs.append(run)
        print(run.line(), flush=True)
        for failure in run.failures[:SHOWN_FAILURES]:
            print(f"         {failure}", flush=True)
        if len(run.failures) > SHOWN_FAILURES:
            print(f"         ... and {len(run.failures) - SHOWN_FAILURES} more: {out / 'log.html'}")
        if not run.ok and not args.keep_going:
            print(
                f"run {number} failed after {number - 1} green run(s) in a row: {out / 'log.html'}"
            )
            return 1
    return summarize(runs)


def summarize(runs: list[RunResult]) -> int:
    seconds = [run.seconds for run in runs]
    failed = [run.number for run in runs if not run.ok]
    timing = (
        f"mean {statistics.mean(seconds):.1f}s, min {min(seconds):.1f}s, max {max(seconds):.1f}s"
    )
    if failed:
        which = ", ".join(map(str, failed))
        print(f"{len(failed)} of {len(runs)} runs failed (runs {which}); {timing}")
        return 1
    print(f"{len(runs)} runs in a row passed; {timing} per run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
