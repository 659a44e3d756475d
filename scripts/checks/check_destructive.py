"""Deprecated: the effect check replaced this one (``scripts/checks/check_effects.py``).

The first check only followed keywords already tagged ``destructive``, so an unmarked
keyword that wrote went unseen. ``check_effects`` walks from every keyword to the client
methods that write and checks all three effect classes; this module runs it, for the
callers of one release.

    python -m scripts.checks.check_destructive [robot/]
"""

from __future__ import annotations

import sys

from scripts.checks import check_effects


def main(argv: list[str] | None = None) -> int:
    return check_effects.main(argv)


if __name__ == "__main__":
    sys.exit(main())
