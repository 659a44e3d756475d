"""Every test that takes the capacity alone first checks that every slot is free.

Only `Capacity Test Setup` takes ``focus-capacity`` exclusively, and it calls `No Task
Should Be Active` right after: a suite that took the lock by hand would count on a
capacity that a leaked task may hold, and fail at random instead of naming the leak.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CAPACITY = re.compile(r"(\$\{CAPACITY_LOCK\}|focus-capacity)")
EXCLUSIVE = re.compile(r"Hold Exclusive Lock|mode=exclusive", re.IGNORECASE)
FIXTURES = ROOT / "resources" / "fixtures" / "focus_api.resource"


def _steps(path: Path) -> list[tuple[int, str]]:
    """Keyword calls of a Robot file: lines that are not settings, docs or continuations."""
    return [
        (number, line.strip())
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if line.startswith(" ") and not line.strip().startswith(("...", "[Documentation]", "#"))
    ]


def test_only_capacity_test_setup_takes_the_capacity_alone():
    takers = [
        f"{path.relative_to(ROOT)}:{number}: {line}"
        for folder in ("robot", "resources")
        for path in sorted((ROOT / folder).rglob("*.*"))
        if path.suffix in (".robot", ".resource")
        for number, line in _steps(path)
        if CAPACITY.search(line) and EXCLUSIVE.search(line)
    ]
    assert takers == [
        f"{FIXTURES.relative_to(ROOT)}:{_line_of('mode=exclusive')}: "
        "Hold Lock    ${CAPACITY_LOCK}    mode=exclusive    timeout=10 min"
    ]


def _line_of(text: str) -> int:
    lines = FIXTURES.read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if text in line and "CAPACITY_LOCK" in line)


def test_capacity_test_setup_checks_every_slot_is_free_right_after_the_lock():
    text = FIXTURES.read_text()
    body = text.split("\nCapacity Test Setup\n", 1)[1].split("\n\n", 1)[0]
    steps = [
        line.strip() for line in body.splitlines() if not line.strip().startswith(("[", "..."))
    ]
    assert steps[0].startswith("Hold Lock    ${CAPACITY_LOCK}    mode=exclusive")
    assert steps[1].startswith("No Task Should Be Active")
