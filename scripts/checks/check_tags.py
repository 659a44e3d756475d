"""Check the tagging rules of every Robot test (part of ``make lint``).

Usage: check_tags.py [PATH ...] (default ``robot``). Each test must have exactly one level tag
(``smoke``, ``regression`` or ``nightly``) and a ``[Documentation]`` (Xray shows it as the test's
description). Prints one line per offending test (file, test, what is wrong and how to fix it),
then a summary line; exits 1 when any test breaks a rule.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from robot.api import TestSuiteBuilder
from robot.running import TestCase, TestSuite

ROOT = Path(__file__).resolve().parents[2]
LEVEL_TAGS = ("smoke", "regression", "nightly")


def tests_of(suite: TestSuite) -> Iterator[TestCase]:
    yield from suite.tests
    for child in suite.suites:
        yield from tests_of(child)


def problems_of(test: TestCase) -> list[str]:
    problems = []
    levels = [tag for tag in test.tags if tag.lower() in LEVEL_TAGS]
    if len(levels) != 1:
        found = ", ".join(levels) or "none"
        problems.append(
            f"needs exactly one level tag of {'/'.join(LEVEL_TAGS)} (has: {found}); "
            "set it in [Tags] or the suite's Test Tags"
        )
    if not test.doc.strip():
        problems.append("has no [Documentation]; say in one line what behaviour it checks")
    return problems


def check(paths: list[Path]) -> int:
    suite = TestSuiteBuilder(included_extensions=("robot",)).build(*paths)
    count = bad = 0
    for test in tests_of(suite):
        count += 1
        for problem in problems_of(test):
            bad += 1
            source = Path(test.source or "").resolve()
            where = source.relative_to(ROOT) if source.is_relative_to(ROOT) else source
            print(f"{where}: '{test.name}' {problem}")
    print(f"check_tags: {count} tests checked, {bad} problems")
    return 1 if bad else 0


if __name__ == "__main__":
    args = [Path(arg) for arg in sys.argv[1:]] or [ROOT / "robot"]
    sys.exit(check(args))
