"""Readiness of the ``segy-recorder`` workload, for the supervisor's probe.

The recorder writes ``ready.json`` (its pid and the uuid of the recording in progress)
in its data directory each time a live recording starts, and removes it when it starts
up and when it exits. A file left by a killed recorder names a dead pid, so a restarted
pod is not ready until it has resumed and opened its own recording.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from contract import constants
from twin import config

READY_FILE = "ready.json"


def ready_path(root: Path) -> Path:
    return root / READY_FILE


def mark_ready(root: Path, recording_uuid: str) -> None:
    config.write_json(ready_path(root), {"pid": os.getpid(), "recording": recording_uuid})


def clear_ready(root: Path) -> None:
    ready_path(root).unlink(missing_ok=True)


def probe_segy_recorder(endpoints: dict, secrets: dict) -> bool:
    """Ready when a live recorder process has a recording in progress.

    ``endpoints`` and ``secrets`` are unused (the supervisor's probe signature); the twin
    directory comes from ``$FOCUS_TWIN_DIR`` like every workload's.
    """
    return recording_in_progress(config.workload_dir(constants.SEGY_RECORDER_WORKLOAD))


def recording_in_progress(root: Path) -> bool:
    """A live recorder process whose data directory is ``root`` has a recording open."""
    path = ready_path(root)
    try:
        pid = int(json.loads(path.read_text())["pid"])
        os.kill(pid, 0)
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return True
