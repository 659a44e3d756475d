"""Print the closing line of ``make test``: pytest and Robot Framework counts together.

Reads the pytest JUnit XML and Robot's output.xml files given on the command line and
prints ``total: N passed, N failed, N skipped``; exits non-zero if anything failed or
nothing ran.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def counts(path: Path) -> tuple[int, int, int]:
    root = ET.parse(path).getroot()
    if root.tag == "robot":
        stat = root.find("./statistics/total/stat")
        return int(stat.get("pass")), int(stat.get("fail")), int(stat.get("skip", 0))
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
            p, f, s = counts(Path(name))
        except (OSError, ET.ParseError) as error:
            reason = "missing" if isinstance(error, OSError) else f"unreadable ({error})"
            print(f"{name}: {reason}: its stage did not finish; see its output above")
            missing += 1
            continue
        print(f"{name}: {p} passed, {f} failed, {s} skipped")
        passed, failed, skipped = passed + p, failed + f, skipped + s
    print(f"total: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed or missing or not passed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
