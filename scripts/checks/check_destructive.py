"""Every test that calls a destructive keyword is tagged ``destructive`` itself.

A dry run (nothing is executed, no twin is needed) walks every test with its setup,
teardown and the user keywords it calls; a keyword carrying the keyword tag
``destructive`` (library keywords marked with ``libraries.safety.destructive``, resource
keywords with ``[Tags] destructive``) may only be reached from a test tagged
``destructive``, or from the suite setup or teardown of a suite whose tests all are.
That is what lets the production guard work by tag alone.

    python -m scripts.checks.check_destructive [robot/]

Prints one line per offending test and exits 1; prints a summary and exits 0 when clean.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections import defaultdict
from pathlib import Path

import robot

from libraries.safety import is_destructive

ROOT = Path(__file__).resolve().parents[2]


class DestructiveCalls:
    """Dry-run listener: which destructive keywords each test and suite reaches."""

    ROBOT_LISTENER_API_VERSION = 3

    def __init__(self) -> None:
        self.suites: list = []
        self.test: str | None = None
        self.test_calls: dict[str, set[str]] = defaultdict(set)
        self.suite_calls: dict[str, set[str]] = defaultdict(set)
        self.tests: dict[str, tuple[bool, str]] = {}  # name -> (tagged, where)
        self.suite_tests: dict[str, list[str]] = defaultdict(list)

    def start_suite(self, data, result) -> None:
        self.suites.append(result.full_name)

    def end_suite(self, data, result) -> None:
        self.suites.pop()

    def start_test(self, data, result) -> None:
        self.test = name = result.full_name
        where = f"{data.source}:{data.lineno}" if data.source else name
        self.tests[name] = (is_destructive(data.tags), where)
        for suite in self.suites:
            self.suite_tests[suite].append(name)

    def end_test(self, data, result) -> None:
        self.test = None

    def start_keyword(self, data, result) -> None:
        if not is_destructive(result.tags):
            return
        if self.test is not None:
            self.test_calls[self.test].add(result.full_name)
        elif self.suites:
            self.suite_calls[self.suites[-1]].add(result.full_name)

    def problems(self) -> list[str]:
        found = []
        for test, calls in sorted(self.test_calls.items()):
            tagged, where = self.tests[test]
            if not tagged:
                found.append(
                    f"{where}: test '{test}' calls destructive {', '.join(sorted(calls))} "
                    "but is not tagged 'destructive'"
                )
        for suite, calls in sorted(self.suite_calls.items()):
            untagged = [t for t in self.suite_tests[suite] if not self.tests[t][0]]
            if untagged:
                found.append(
                    f"suite '{suite}': its setup or teardown calls destructive "
                    f"{', '.join(sorted(calls))}, but {len(untagged)} of its tests are not "
                    f"tagged 'destructive' (e.g. '{untagged[0]}')"
                )
        return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=[str(ROOT / "robot")])
    args = parser.parse_args(argv)
    listener = DestructiveCalls()
    console = io.StringIO()
    robot.run(
        *args.paths,
        dryrun=True,
        listener=listener,
        output=None,
        report=None,
        log=None,
        stdout=console,
        stderr=console,
    )
    if not listener.tests:
        print(f"check_destructive: no test found in {' '.join(args.paths)}", file=sys.stderr)
        return 2
    problems = listener.problems()
    for line in problems:
        print(line)
    destructive = sum(1 for tagged, _ in listener.tests.values() if tagged)
    calling = len(listener.test_calls)
    print(
        f"check_destructive: {len(listener.tests)} tests, {destructive} tagged destructive, "
        f"{calling} call destructive keywords, {len(problems)} problem(s)"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
