"""A suite file run alone skips its folder's ``__init__.robot``: say so in one line.

The settings every suite of a folder repeats (suite and test setups, the teardowns that
clean up) live in that folder's ``__init__.robot``. ``robot robot/api/configure.robot``
makes the file the top-level suite and Robot Framework does not read the folder's
``__init__.robot`` then, so nothing connects and nothing would clean up. The keywords
that connect and the connection registries call `run_alone_message` and fail with it:
it names the file, the init file that did not run, and the command that runs the file
with it (``robot --parse-include FILE FOLDER``, Robot Framework 6.1+).
"""

from __future__ import annotations

import os
from pathlib import Path


def running_suite_sources() -> list[Path | None]:
    """The sources of the running suite and its parents, innermost first (empty outside a
    Robot run)."""
    try:
        from robot.running.context import EXECUTION_CONTEXTS
    except ImportError:  # pragma: no cover - Robot is a dependency
        return []
    current = EXECUTION_CONTEXTS.current
    suite = getattr(current, "suite", None)
    sources: list[Path | None] = []
    while suite is not None:
        source = getattr(suite, "source", None)
        sources.append(Path(source) if source else None)
        suite = getattr(suite, "parent", None)
    return sources


def run_alone_message(sources: list[Path | None] | None = None) -> str | None:
    """One line when the running suite is a file whose folder has an ``__init__.robot``
    that is not among its parents (run alone, or several files given together), else
    ``None``. ``sources``: the suite's and its parents' sources, innermost first."""
    sources = running_suite_sources() if sources is None else sources
    if not sources or sources[0] is None or sources[0].is_dir():
        return None
    source = sources[0]
    init = source.parent / "__init__.robot"
    if not init.is_file() or source.parent in sources[1:]:
        return None
    folder, name = _shown(source.parent), source.name
    root = _shown(_outermost_suite_folder(source.parent))
    return (
        f"{_shown(source)} was run without its folder, so {_shown(init)} (the suite and "
        f"test setups and the teardowns that clean up) did not run: run it as "
        f"'robot --parse-include {name} {root}' (or 'robot {folder}')"
    )


def _outermost_suite_folder(folder: Path) -> Path:
    """The highest folder up from ``folder`` that still has an ``__init__.robot`` chain."""
    while (folder.parent / "__init__.robot").is_file():
        folder = folder.parent
    return folder


def _shown(path: Path) -> str:
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive
        return str(path)
    return str(path) if relative.startswith("..") else relative
