"""``make prove``: the suite catches the seven known bugs it claims to catch.

For each known bug of contract section 6 (:mod:`twin.bugs`) this runs the tests tagged
with its key against a twin that has that bug switched on, and once all those tests
against a twin with no bug. A bug is *caught* when at least one of its tests fails with
the bug on while every test passes on the clean twin. Prints one table:

    bug       tests  failed  result  seconds  what went red
    (clean)      17       0  green     61.2
    PZ-13669      2       1  caught     9.8   SingleChannel Needs Min Equal To Max
    ...

and exits 1 when a bug is missed or the clean run is not green (2 on a usage error).
Each run's Robot outputs are in ``results/prove/<run>/``. The twins live in their own
directory (``results/prove/twin``), one at a time, leased to this process.

    python -m scripts.run.prove                        # every bug
    python -m scripts.run.prove --bug PZ-13669 --bug PZ-13984
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from scripts.run.robot_run import run_robot
from twin import bugs, control

ROOT = Path(__file__).resolve().parents[2]

CLEAN = "(clean)"
ROBOT_TIMEOUT_S = 20 * 60


@dataclass
class Run:
    name: str
    tests: int = 0
    failed: list[str] = field(default_factory=list)
    skipped: int = 0
    seconds: float = 0.0
    error: str = ""

    @property
    def passed(self) -> bool:
        return not self.error and self.tests > 0 and not self.failed

    def result(self, clean_green: bool) -> str:
        if self.error:
            return "error"
        if self.name == CLEAN:
            return "green" if self.passed else "RED"
        if self.tests == 0:
            return "MISSED"  # no test claims the bug
        if self.failed:
            return "caught" if clean_green else "unproven"
        return "MISSED"


def _outcome(output: Path) -> tuple[int, list[str], int]:
    root = ET.parse(output).getroot()
    tests = list(root.iter("test"))
    failed = [t.get("name") for t in tests if t.find("status").get("status") == "FAIL"]
    skipped = sum(1 for t in tests if t.find("status").get("status") == "SKIP")
    return len(tests), failed, skipped


def _run(name: str, keys: frozenset[str], include: list[str], outdir: Path, env: dict) -> Run:
    """Start a twin with ``keys`` switched on, run the tests tagged ``include``, stop it."""
    run = Run(name)
    started = time.monotonic()
    outdir.mkdir(parents=True, exist_ok=True)
    env = {**env, bugs.ENV_VAR: bugs.environment_value(keys)}
    os.environ[bugs.ENV_VAR] = env[bugs.ENV_VAR]  # the twin this process starts has them
    try:
        control.down()
        control.up(owners=[os.getpid()], timeout=120)
        options = ["--include", "OR".join(include), "--exclude", "nightly"]
        run_robot(options, outdir, env, ROBOT_TIMEOUT_S)
        run.tests, run.failed, run.skipped = _outcome(outdir / "output.xml")
    except (control.TwinError, subprocess.TimeoutExpired, OSError, ET.ParseError) as error:
        run.error = str(error).splitlines()[0]
    finally:
        try:
            control.down()
        except control.TwinError as error:
            run.error = run.error or f"twin did not stop: {error}"
    run.seconds = time.monotonic() - started
    return run


def _table(runs: list[Run]) -> str:
    clean = next((r for r in runs if r.name == CLEAN), None)
    clean_green = clean is not None and clean.passed
    lines = [f"{'bug':<10} {'tests':>5} {'failed':>6}  {'result':<8} {'seconds':>7}  what went red"]
    for run in runs:
        detail = run.error or "; ".join(run.failed[:3]) + (" ..." if len(run.failed) > 3 else "")
        if run.name != CLEAN and run.name in bugs.BUGS and not run.failed and not run.error:
            detail = f"no test failed: {bugs.BUGS[run.name].deviation}"
        lines.append(
            f"{run.name:<10} {run.tests:>5} {len(run.failed):>6}  "
            f"{run.result(clean_green):<8} {run.seconds:>7.1f}  {detail}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bug", action="append", metavar="PZ-KEY", help="only these bugs")
    parser.add_argument("--outputdir", type=Path, default=ROOT / "results" / "prove")
    args = parser.parse_args(argv)
    try:
        keys = sorted(bugs.parse(args.bug)) if args.bug else list(bugs.BUGS)
    except bugs.UnknownBug as error:
        print(f"prove: {error}", file=sys.stderr)
        return 2
    outdir = args.outputdir.resolve()
    env = {k: v for k, v in os.environ.items() if k not in ("ALLOW_DESTRUCTIVE", "FOCUS_ENV")}
    env["FOCUS_TWIN_DIR"] = os.environ["FOCUS_TWIN_DIR"] = str(outdir / "twin")
    runs = []
    print(f"prove: {len(keys)} bug(s), each against its own twin, then none ({outdir})")
    for name, switched, include in [(CLEAN, frozenset(), keys)] + [
        (key, frozenset([key]), [key]) for key in keys
    ]:
        run = _run(name, switched, include, outdir / name.strip("()"), env)
        print(f"  {name:<10} {run.tests} tests, {len(run.failed)} failed, {run.seconds:.1f} s")
        runs.append(run)
    print()
    print(_table(runs))
    clean_green = runs[0].passed
    caught = [r for r in runs[1:] if r.result(clean_green) == "caught"]
    print(
        f"\nprove: {len(caught)} of {len(keys)} bugs caught; clean run "
        f"{'green' if clean_green else 'NOT green'}"
    )
    return 0 if clean_green and len(caught) == len(keys) else 1


if __name__ == "__main__":
    sys.exit(main())
