"""Documents of the seeded history: past recordings, tasks and alerts (contract §4).

Everything here is pure (no I/O): the recorder writes the SEG-Y files and inserts
what these functions return. Randomness comes from a seeded generator so a test can
reproduce a history.
"""

from __future__ import annotations

import random
import uuid as uuid_module
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from contract import constants
from twin.segy_recorder.segyfile import relative_path

HISTORY_RECORDING = timedelta(hours=1)
DELETED_FRACTION = 0.1


@dataclass(frozen=True)
class PlannedRecording:
    """One recording to create: its document, and whether its SEG-Y file must be written."""

    document: dict[str, Any]
    write_file: bool


def recording_document(
    start: datetime, end: datetime | None, channel_count: int, classification: str
) -> dict[str, Any]:
    """A ``recordings`` document with the contract's field names."""
    recording_uuid = str(uuid_module.uuid4())
    return {
        "uuid": recording_uuid,
        "start_time": start,
        "end_time": end,
        "file_path": relative_path(start, recording_uuid),
        "channel_count": channel_count,
        "classification": classification,
        "deleted": classification == "deleted",
    }


def split_range(
    start: datetime, end: datetime, chunk: timedelta
) -> list[tuple[datetime, datetime]]:
    """``[start, end)`` cut into consecutive pieces of at most ``chunk``."""
    pieces, cursor = [], start
    while cursor < end:
        piece_end = min(cursor + chunk, end)
        pieces.append((cursor, piece_end))
        cursor = piece_end
    return pieces


def plan_backfill(
    start: datetime, end: datetime, channel_count: int, seed_history: bool
) -> list[PlannedRecording]:
    """Complete recordings covering ``[start, end)`` without gaps.

    With ``seed_history`` (first start): the oldest tenth are ``deleted`` (their files
    gone, as after a retention clean-up) and one recording in the middle is ``invalid``
    (its file was never completed).
    """
    pieces = split_range(start, end, HISTORY_RECORDING)
    deleted_count = int(len(pieces) * DELETED_FRACTION) if seed_history else 0
    invalid_index = len(pieces) // 2 if seed_history and len(pieces) > 2 else -1
    planned = []
    for index, (piece_start, piece_end) in enumerate(pieces):
        if index < deleted_count:
            classification = "deleted"
        elif index == invalid_index:
            classification = "invalid"
        else:
            classification = "complete"
        document = recording_document(piece_start, piece_end, channel_count, classification)
        planned.append(PlannedRecording(document, classification == "complete"))
    return planned


def _task_config(rng: random.Random, created: datetime) -> dict[str, Any]:
    view_type = rng.choice(constants.VIEW_TYPES)
    low = rng.randint(1, constants.SENSORS_RANGE)
    high = low if view_type == "SingleChannel" else rng.randint(low, constants.SENSORS_RANGE)
    nfft = rng.choice(constants.powers_of_two(*constants.nfft_range(view_type))[:4])
    config: dict[str, Any] = {
        "timeStatus": rng.choice(constants.TIME_STATUSES),
        "viewType": view_type,
        "nfft": nfft,
        "overlap": nfft // 2,
        "channels": {"min": low, "max": high},
        "frequencyRange": {"min": constants.FREQUENCY_MIN, "max": constants.FREQUENCY_MAX // 2},
        "startTime": None,
        "endTime": None,
    }
    if config["timeStatus"] == "Historic":
        config["startTime"] = (created - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        config["endTime"] = (created - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return config


def task_documents(start: datetime, end: datetime, count: int, seed: int) -> list[dict[str, Any]]:
    """Finished tasks created between ``start`` and ``end``."""
    rng = random.Random(seed)
    span = (end - start).total_seconds()
    documents = []
    for _ in range(count):
        created = start + timedelta(seconds=rng.uniform(0, span * 0.95))
        documents.append(
            {
                "task_id": str(uuid_module.UUID(int=rng.getrandbits(128), version=4)),
                "config": _task_config(rng, created),
                "status": rng.choice(("completed", "stopped", "failed")),
                "created_at": created,
                "updated_at": created + timedelta(seconds=rng.uniform(1, 600)),
            }
        )
    return documents


def alert_documents(start: datetime, end: datetime, count: int, seed: int) -> list[dict[str, Any]]:
    """Alerts of the past, as the focus server stores them from the queue."""
    rng = random.Random(seed + 1)
    span = (end - start).total_seconds()
    documents = []
    for _ in range(count):
        alert_time = start + timedelta(seconds=rng.uniform(0, span * 0.99))
        documents.append(
            {
                "alertId": str(uuid_module.UUID(int=rng.getrandbits(128), version=4)),
                "classId": rng.choice(list(constants.ALERT_CLASSES)),
                "severity": rng.choice(list(constants.ALERT_SEVERITIES)),
                "dofM": rng.randint(0, constants.FIBRE_LENGTH_M),
                "alertTime": alert_time,
                "received_at": alert_time + timedelta(milliseconds=rng.randint(5, 80)),
                "acknowledged": rng.random() < 0.6,
                "siteId": constants.SITE_ID,
            }
        )
    return documents
