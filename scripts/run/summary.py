"""Print the closing line of ``make test``: pytest and Robot Framework counts together.

Reads the pytest JUnit XML and Robot's output.xml files given on the command line and
prints ``total: N passed, N failed, N skipped``; exits non-zero if anything failed or
nothing ran. Above it, each failed Robot test is named with its message on one line,
so that a CI log that keeps only its tail still says what went red.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

MAX_NAMED = 20


def failures(path: Path) -> list[str]:
    """``FAIL <full name>: <message>`` for each failed test of a Robot output.xml."""
    from scripts.publishing.results import collect

    lines = []
    for test in collect(path):
        if test.status == "FAIL":
            message = " ".join(test.message.split())
            message = message[:197] + "..." if len(message) > 200 else message
            lines.append(f"  FAIL {test.full_name}: {message}")
    return lines


def counts(root: ET.Element) -> tuple[int, int, int]:
    if root.tag == "robot":
        stat = root.find("./statistics/total/stat")
        if stat is None:
            raise ValueError("output.xml has no statistics/total/stat: not a finished Robot run")
        return int(stat.get("pass", 0)), int(stat.get("fail", 0)), int(stat.get("skip", 0))
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    total = failed = skipped = 0
    for suite in suites:
        total += int(suite.get("tests", 0))
        failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped += int(suite.get("skipped", 0))
    return total - failed - skipped, failed, skipped


def main(paths: list[str]) -> int:
    passed = failed = skipped = 0
    missing = 0
    for name in paths:
        try:
            root = ET.parse(name).getroot()
        except (OSError, ET.ParseError) as error:
            reason = "missing" if isinstance(error, OSError) else f"unreadable ({error})"
            print(f"{name}: {reason}: its stage did not finish; see its output above")
            missing += 1
            continue
        p, f, s = counts(root)
        print(f"{name}: {p} passed, {f} failed, {s} skipped")
        if f and root.tag == "robot":
            named = failures(Path(name))
            print("\n".join(named[:MAX_NAMED]))
            if len(named) > MAX_NAMED:
                print(f"  ... and {len(named) - MAX_NAMED} more: see {Path(name).parent}/log.html")
        passed, failed, skipped = passed + p, failed + f, skipped + s
    print(f"total: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed or missing or not passed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
