"""Where the libraries write what a run leaves behind (the task ledger, the load history).

In this checkout (the libraries installed editable by ``make setup``) that is its
``results/``; installed from a wheel in another product's suite, ``results/`` of the working
directory the run starts in: never the installation's own folder.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGES = Path(__file__).resolve().parents[2]


def results_dir() -> Path:
    """``results/`` of the checkout the libraries run from, else of the working directory."""
    if (_PACKAGES / "pyproject.toml").is_file() and (_PACKAGES / "libraries").is_dir():
        return _PACKAGES / "results"
    return Path.cwd() / "results"
