"""Write Libdoc HTML for every keyword library and resource file (``make docs``)."""

from __future__ import annotations

import sys
from pathlib import Path

from robot.libdoc import libdoc

ROOT = Path(__file__).resolve().parents[1]


def sources() -> list[tuple[str, str]]:
    found = [("libraries.environment.Environment", "Environment")]
    for package in sorted((ROOT / "libraries").iterdir()):
        init = package / "__init__.py"
        if package.is_dir() and init.exists():
            classes = [
                line.split()[1].split("(")[0].rstrip(":")
                for line in init.read_text().splitlines()
                if line.startswith("class ")
            ]
            for name in classes:
                found.append((f"libraries.{package.name}.{name}", name))
    for resource in sorted((ROOT / "resources").glob("*.resource")):
        found.append((str(resource), resource.stem))
    return found


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
