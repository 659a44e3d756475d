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
Each run's Robot outputs are in ``results/prove/<run>/``. Two runs go at a time (``--jobs``),
the longest, the clean one, first: each on its own twin, in its own directory
(``results/prove/twin-1``, ``twin-2``: one per worker process, which leases it). The twins
share one lock directory (``results/prove/locks``; each twin's ``locks`` links to it), so
the runs together behave as one pabot run: a destructive test (an outage, a 200-user
flood) holds the ``system`` lock alone and runs while nothing else of either run does,
and a twin starts or stops only while no destructive test runs (it holds the lock shared).

    python -m scripts.run.prove                        # every bug, two at a time
    python -m scripts.run.prove --bug PZ-13669 --bug PZ-13984 --jobs 1
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import multiprocessing
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from scripts.run.robot_run import run_robot
from twin import control

ROOT = Path(__file__).resolve().parents[2]

CLEAN = "(clean)"
ROBOT_TIMEOUT_S = 20 * 60
# What a test waits for the system lock (libraries/environment.py: start_test).
LOCK_TIMEOUT_S = 15 * 60
LOCK_POLL_S = 0.05


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


# The twin directory of this worker process (one per worker: see _take_slot).
_twin_dir: Path | None = None


def _take_slot(slots: multiprocessing.queues.SimpleQueue) -> None:
    """Pool initializer: the worker process takes a twin directory for its whole life."""
    global _twin_dir
    _twin_dir = slots.get()


def _share_locks(twin_dir: Path, locks: Path) -> None:
    """Point the twin's lock directory (where `Hold Lock` keeps its files) at ``locks``."""
    locks.mkdir(parents=True, exist_ok=True)
    twin_dir.mkdir(parents=True, exist_ok=True)
    link = twin_dir / "locks"
    if link.is_symlink() and link.resolve() == locks.resolve():
        return
    if link.is_symlink() or link.is_file():
        link.unlink()
    elif link.is_dir():
        for stale in link.iterdir():  # lock files of an earlier run: no holder survives it
            stale.unlink()
        link.rmdir()
    link.symlink_to(locks.resolve(), target_is_directory=True)


@contextlib.contextmanager
def _system_shared(locks: Path) -> Iterator[None]:
    """Hold the ``system`` lock shared, as every test does (`Hold Lock`'s two files: pass
    the turnstile, then share ``system.lock``): never while a destructive test holds it."""
    deadline = time.monotonic() + LOCK_TIMEOUT_S
    with (
        open(locks / "system.turnstile", "w") as turnstile,
        open(locks / "system.lock", "w") as lock,
    ):
        for handle, operation in ((turnstile, fcntl.LOCK_EX), (lock, fcntl.LOCK_SH)):
            while True:
                try:
                    fcntl.flock(handle, operation | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise TimeoutError(
                            f"the system lock in {locks} was not free within "
                            f"{LOCK_TIMEOUT_S} s (a destructive test holds it)"
                        ) from None
                    time.sleep(LOCK_POLL_S)
        fcntl.flock(turnstile, fcntl.LOCK_UN)
        yield


def _stop_twin(locks: Path) -> str:
    """Stop this worker's twin (if the lock cannot be had in time, stop it all the same);
    returns what went wrong, or an empty string."""
    problem = ""
    try:
        with _system_shared(locks):
            control.down()
            return ""
    except TimeoutError as error:
        problem = str(error)
    except control.TwinError as error:
        return f"twin did not stop: {error}"
    try:
        control.down()
    except control.TwinError as error:
        problem += f"; twin did not stop: {error}"
    return problem


def _run(name: str, keys: frozenset[str], include: list[str], outdir: Path, env: dict) -> Run:
    """Start a twin with ``keys`` switched on, run the tests tagged ``include``, stop it.

    Runs in a worker process: the environment it sets is its own.
    """
    run = Run(name)
    started = time.monotonic()
    outdir.mkdir(parents=True, exist_ok=True)
    assert _twin_dir is not None, "a worker process without a twin directory"
    env = {
        **env,
        control.BUGS_ENV_VAR: control.bugs_environment_value(keys),
        "FOCUS_TWIN_DIR": str(_twin_dir),
    }
    # The twin this process starts has them.
    os.environ[control.BUGS_ENV_VAR] = env[control.BUGS_ENV_VAR]
    os.environ["FOCUS_TWIN_DIR"] = str(_twin_dir)
    locks = outdir.parent / "locks"
    try:
        _share_locks(_twin_dir, locks)
        with _system_shared(locks):
            control.down()
            control.up(owners=[os.getpid()], timeout=120)
        options = ["--include", "OR".join(include), "--exclude", "nightly"]
        run_robot(options, outdir, env, ROBOT_TIMEOUT_S)
        run.tests, run.failed, run.skipped = _outcome(outdir / "output.xml")
    except (control.TwinError, subprocess.TimeoutExpired, OSError, ET.ParseError) as error:
        run.error = str(error).splitlines()[0]
    finally:
        stopped = _stop_twin(locks)
        run.error = run.error or stopped
    run.seconds = time.monotonic() - started
    return run


def _run_all(
    plan: list[tuple[str, frozenset[str], list[str]]], outdir: Path, env: dict, jobs: int
) -> list[Run]:
    """Every run of ``plan``, ``jobs`` at a time, in the plan's order (the first starts first).

    Each worker process has its own twin directory; a line is printed as each run ends.
    """
    context = multiprocessing.get_context("fork")
    slots = context.SimpleQueue()  # no feeder thread: nothing runs beside the fork
    for index in range(1, jobs + 1):
        slots.put(outdir / f"twin-{index}")
    runs: dict[str, Run] = {}
    with ProcessPoolExecutor(jobs, context, initializer=_take_slot, initargs=(slots,)) as pool:
        futures = {
            pool.submit(_run, name, switched, include, outdir / name.strip("()"), env): name
            for name, switched, include in plan
        }
        for future in as_completed(futures):
            name = futures[future]
            try:
                run = future.result()
            except Exception as error:  # a worker that died: the run is an error, not a pass
                run = Run(name, error=f"the run's worker failed: {error!r}"[:200])
            print(
                f"  {name:<10} {run.tests} tests, {len(run.failed)} failed, {run.seconds:.1f} s",
                flush=True,
            )
            runs[name] = run
    return [runs[name] for name, _, _ in plan]


def _table(runs: list[Run]) -> str:
    clean = next((r for r in runs if r.name == CLEAN), None)
    clean_green = clean is not None and clean.passed
    lines = [f"{'bug':<10} {'tests':>5} {'failed':>6}  {'result':<8} {'seconds':>7}  what went red"]
    for run in runs:
        detail = run.error or "; ".join(run.failed[:3]) + (" ..." if len(run.failed) > 3 else "")
        missed = not run.failed and not run.error
        if run.name != CLEAN and run.name in control.KNOWN_BUGS and missed:
            detail = f"no test failed: {control.KNOWN_BUGS[run.name].deviation}"
        lines.append(
            f"{run.name:<10} {run.tests:>5} {len(run.failed):>6}  "
            f"{run.result(clean_green):<8} {run.seconds:>7.1f}  {detail}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bug", action="append", metavar="PZ-KEY", help="only these bugs")
    parser.add_argument("--outputdir", type=Path, default=ROOT / "results" / "prove")
    parser.add_argument("--jobs", type=int, default=2, help="runs at a time (default 2)")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be 1 or more")
    try:
        keys = sorted(control.parse_bugs(args.bug)) if args.bug else list(control.KNOWN_BUGS)
    except control.UnknownBug as error:
        print(f"prove: {error}", file=sys.stderr)
        return 2
    outdir = args.outputdir.resolve()
    env = {k: v for k, v in os.environ.items() if k not in ("ALLOW_DESTRUCTIVE", "FOCUS_ENV")}
    plan = [(CLEAN, frozenset(), keys)] + [(key, frozenset([key]), [key]) for key in keys]
    jobs = min(args.jobs, len(plan))
    print(
        f"prove: {len(keys)} bug(s), each against its own twin, then none; "
        f"{jobs} at a time ({outdir})"
    )
    runs = _run_all(plan, outdir, env, jobs)
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
