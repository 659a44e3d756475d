"""Write Libdoc HTML for every keyword library and resource file (``make docs``)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from robot.libdoc import libdoc

ROOT = Path(__file__).resolve().parents[1]


def sources() -> list[tuple[str, str]]:
    """Every keyword library the resources import, then every resource file."""
    resources = sorted((ROOT / "resources").glob("*.resource"))
    libraries = set()
    for resource in resources:
        for line in resource.read_text().splitlines():
            match = re.match(r"Library\s+(libraries\.\S+)", line)
            if match:
                libraries.add(match.group(1))
    found = [(name, name.rsplit(".", 1)[-1]) for name in sorted(libraries)]
    return found + [(str(resource), f"{resource.stem}.resource") for resource in resources]


def main(out_dir: str) -> int:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    failures = 0
    for source, name in sources():
        rc = libdoc(source, str(out / f"{name}.html"), quiet=True)
        status = "ok" if rc == 0 else f"FAILED ({rc})"
        print(f"{name:<20} {status}")
        failures += rc != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "docs/keywords"))
