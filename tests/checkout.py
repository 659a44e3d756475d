"""A copy of the checkout as a clean clone has it (plus new files not yet committed)."""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def checkout_files(exclude: str | None = None) -> list[str]:
    """The tracked files and the new ones git does not ignore, relative to the root."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    names = [name for name in listing.split("\0") if name and (ROOT / name).is_file()]
    return [name for name in names if not (exclude and name.startswith(exclude))]


def copy_checkout(target: Path, exclude: str | None = None) -> Path:
    """Copies those files (but the ones under ``exclude``) to ``target``; returns it."""
    target.mkdir(parents=True)
    archive = target.parent / f"{target.name}.tar"
    with tarfile.open(archive, "w") as tar:
        for name in checkout_files(exclude):
            tar.add(ROOT / name, arcname=name)
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    archive.unlink()
    return target
