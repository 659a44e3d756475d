"""No tracked file holds a merge-conflict marker (``make lint``).

    python -m scripts.checks.check_conflict_markers

Looks at every file git tracks (text files; binary ones are skipped) for a line that
starts with ``<<<<<<<``, ``|||||||`` or ``>>>>>>>`` followed by a space or the line's end:
what git writes around a conflict. A lone ``=======`` is also a Markdown heading
underline, so it is only reported inside such a block. Prints one line per marker and a
closing count; exits 1 when any is found.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_MARKER = re.compile(r"^(<{7}|\|{7}|={7}|>{7})(?: |$)")


def tracked_files(root: Path) -> list[str]:
    listing = subprocess.run(
        ["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True
    ).stdout
    return [name for name in listing.decode().split("\0") if name]


def markers(text: str) -> list[tuple[int, str]]:
    """(line number, line) of each conflict marker; ``=======`` only between the others."""
    found, inside = [], False
    for number, line in enumerate(text.splitlines(), 1):
        match = _MARKER.match(line)
        if not match:
            continue
        sign = match.group(1)[0]
        if sign == "<":
            inside = True
        elif sign == "=" and not inside:
            continue
        elif sign == ">":
            inside = False
        found.append((number, line))
    return found


def main(root: Path = ROOT) -> int:
    names = tracked_files(root)
    problems, read = [], 0
    for name in names:
        path = root / name
        if not path.is_file():  # deleted in the work tree, not yet in the index
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:  # binary (images, archives)
            continue
        read += 1
        for number, line in markers(data.decode("utf-8", errors="replace")):
            problems.append(f"{name}:{number}: conflict marker {line[:40]!r}")
    for problem in problems:
        print(problem)
    print(
        f"check_conflict_markers: {read} tracked text files checked, {len(problems)} markers"
        + ("" if not problems else " (resolve the merge: keep both sides' intent)")
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
