"""Run the regression the way CI does - N pabot shards (``--shard i/N``, destructive tests left
out), then the destructive tests in one serial run - merge them with ``rebot --merge`` and
compare the merged result with one unsharded run: ``make shard-demo``.

    shard_demo.py [--shards 3] [--processes 2] [--unsharded OUTPUT.xml]
                  [--outputdir results/shard-demo] [SUITE ...]        (default: robot/)

The check the CI sharding rests on: every test of the unsharded run appears in the merged
output exactly once, and the pass/fail/skip counts are the same. `nightly` tests are left out
everywhere, as in `make regression`. ``--unsharded`` reuses an unsharded output.xml (for
example `make test`'s results/regression/output.xml) instead of running the suites again.
Prints one line per run and a closing verdict; exits non-zero on any difference.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from robot import rebot
from robot.api import ExecutionResult, ResultVisitor


class _Tests(ResultVisitor):
    def __init__(self) -> None:
        self.names: Counter[str] = Counter()
        self.status: dict[str, str] = {}

    def visit_test(self, test) -> None:
        self.names[test.full_name] += 1
        self.status[test.full_name] = test.status


def tests_of(output: Path) -> _Tests:
    visitor = _Tests()
    ExecutionResult(str(output)).visit(visitor)
    return visitor


def counts(tests: _Tests) -> Counter[str]:
    return Counter(tests.status.values())


def compare(unsharded: Path, shard_outputs: list[str], merged_dir: Path) -> list[str]:
    """Merge the shards (rebot --merge) into ``merged_dir``; the differences from ``unsharded``."""
    with open(os.devnull, "w") as sink:
        rebot(
            *shard_outputs,
            merge=True,
            outputdir=str(merged_dir),
            output="output.xml",
            log="log.html",
            report="report.html",
            stdout=sink,
            stderr=sink,
        )
    whole = tests_of(unsharded)
    merged = tests_of(merged_dir / "output.xml")
    problems = []
    twice = sorted(name for name, n in merged.names.items() if n > 1)
    missing = sorted(set(whole.names) - set(merged.names))
    extra = sorted(set(merged.names) - set(whole.names))
    if twice:
        problems.append(f"{len(twice)} test(s) more than once in the merge, e.g. {twice[0]}")
    if missing:
        problems.append(f"{len(missing)} test(s) missing from the shards, e.g. {missing[0]}")
    if extra:
        problems.append(f"{len(extra)} test(s) only in the shards, e.g. {extra[0]}")
    if counts(merged) != counts(whole):
        problems.append(
            f"counts differ: merged {dict(counts(merged))}, unsharded {dict(counts(whole))}"
        )
    if not whole.names:
        problems.append("the unsharded run ran no test")
    print(
        f"shard-demo: merged {len(shard_outputs)} shards: {sum(merged.names.values())} tests "
        f"({len(merged.names)} distinct) {dict(counts(merged))} -> {merged_dir / 'output.xml'}"
    )
    return problems


def _run(command: list[str], outputdir: Path) -> float:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
    started = time.monotonic()
    with (outputdir.parent / f"{outputdir.name}.console.txt").open("w") as console:
        subprocess.run(command, stdout=console, stderr=subprocess.STDOUT, env=env, timeout=2400)
    if not (outputdir / "output.xml").is_file():
        raise SystemExit(f"shard-demo: {' '.join(command)} wrote no output.xml (see console file)")
    return time.monotonic() - started


def pabot(outputdir: Path, processes: int, suites: list[str], shard: str | None) -> float:
    """One pabot run; a shard (``i/N``) leaves out the destructive tests, as CI's shards do."""
    command = [str(Path(sys.executable).with_name("pabot")), "--processes", str(processes)]
    excludes = ["--exclude", "nightly"]
    if shard:
        command += ["--shard", shard]
        excludes += ["--exclude", "disruptive"]
    command += ["--outputdir", str(outputdir), *excludes, *suites]
    return _run(command, outputdir)


def destructive(outputdir: Path, suites: list[str]) -> float:
    """CI's serial job after the shards: the destructive tests, one at a time."""
    command = [str(Path(sys.executable).with_name("robot")), "--outputdir", str(outputdir),
               "--include", "disruptive", "--exclude", "nightly", *suites]  # fmt: skip
    return _run(command, outputdir)


def _line(label: str, tests: _Tests, seconds: float | None) -> str:
    took = f" in {seconds:.0f}s" if seconds is not None else ""
    return f"shard-demo: {label}: {sum(tests.names.values())} tests {dict(counts(tests))}{took}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="shard_demo.py", description=__doc__)
    parser.add_argument("suites", nargs="*", default=["robot/"])
    parser.add_argument("--shards", type=int, default=3)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--unsharded-processes", type=int, default=4)
    parser.add_argument(
        "--unsharded",
        type=Path,
        help="an existing unsharded output.xml of the same suites (--exclude nightly), "
        "e.g. results/regression/output.xml of `make test`, instead of running it again",
    )
    parser.add_argument("--outputdir", type=Path, default=Path("results/shard-demo"))
    args = parser.parse_args(argv)
    out: Path = args.outputdir
    out.mkdir(parents=True, exist_ok=True)

    if args.unsharded:
        if not args.unsharded.is_file():
            raise SystemExit(f"shard-demo: no such output.xml: {args.unsharded}")
        unsharded = args.unsharded
        print(_line(f"unsharded (from {unsharded})", tests_of(unsharded), None))
    else:
        unsharded = out / "unsharded" / "output.xml"
        seconds = pabot(unsharded.parent, args.unsharded_processes, args.suites, None)
        print(_line("unsharded", tests_of(unsharded), seconds))
    parts = []
    for index in range(1, args.shards + 1):
        directory = out / f"shard-{index}"
        seconds = pabot(directory, args.processes, args.suites, f"{index}/{args.shards}")
        print(_line(f"shard {index}/{args.shards}", tests_of(directory / "output.xml"), seconds))
        parts.append(str(directory / "output.xml"))
    directory = out / "destructive"
    seconds = destructive(directory, args.suites)
    label = "destructive (serial, after the shards)"
    print(_line(label, tests_of(directory / "output.xml"), seconds))
    parts.append(str(directory / "output.xml"))
    problems = compare(unsharded, parts, out / "merged")
    for problem in problems:
        print(f"shard-demo: FAIL: {problem}")
    if not problems:
        print("shard-demo: every test exactly once; same counts as the unsharded run")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
