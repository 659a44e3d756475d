"""Run suites as N pabot shards (``--shard i/N``), merge them with ``rebot --merge`` and compare
the merged result with one unsharded run: ``make shard-demo``.

    shard_demo.py [--shards 3] [--processes 2] [--outputdir results/shard-demo] SUITE ...

The check the CI sharding rests on: every test of the unsharded run appears in the merged
output exactly once, and the pass/fail/skip counts are the same. Destructive and nightly tests
are left out (CI runs the destructive ones serially after the shards). Prints one line per
run and a closing verdict; exits non-zero on any difference.
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

EXCLUDES = ["--exclude", "destructive", "--exclude", "nightly"]


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


def pabot(outputdir: Path, processes: int, suites: list[str], shard: str | None) -> float:
    command = [str(Path(sys.executable).with_name("pabot")), "--processes", str(processes)]
    if shard:
        command += ["--shard", shard]
    command += ["--outputdir", str(outputdir), *EXCLUDES, *suites]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
    started = time.monotonic()
    with (outputdir.parent / f"{outputdir.name}.console.txt").open("w") as console:
        subprocess.run(command, stdout=console, stderr=subprocess.STDOUT, env=env, timeout=1800)
    if not (outputdir / "output.xml").is_file():
        raise SystemExit(f"shard-demo: {' '.join(command)} wrote no output.xml (see console file)")
    return time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="shard_demo.py", description=__doc__)
    parser.add_argument("suites", nargs="+")
    parser.add_argument("--shards", type=int, default=3)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--outputdir", type=Path, default=Path("results/shard-demo"))
    args = parser.parse_args(argv)
    out: Path = args.outputdir
    out.mkdir(parents=True, exist_ok=True)

    seconds = pabot(out / "unsharded", args.processes, args.suites, None)
    whole = tests_of(out / "unsharded" / "output.xml")
    print(
        f"shard-demo: unsharded: {sum(whole.names.values())} tests {dict(counts(whole))} "
        f"in {seconds:.0f}s"
    )
    shard_outputs = []
    for index in range(1, args.shards + 1):
        directory = out / f"shard-{index}"
        seconds = pabot(directory, args.processes, args.suites, f"{index}/{args.shards}")
        shard = tests_of(directory / "output.xml")
        print(
            f"shard-demo: shard {index}/{args.shards}: {sum(shard.names.values())} tests "
            f"{dict(counts(shard))} in {seconds:.0f}s"
        )
        shard_outputs.append(str(directory / "output.xml"))
    merged_dir = out / "merged"
    problems = compare(out / "unsharded" / "output.xml", shard_outputs, merged_dir)
    for problem in problems:
        print(f"shard-demo: FAIL: {problem}")
    if not problems:
        print("shard-demo: every test exactly once; same counts as the unsharded run")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
