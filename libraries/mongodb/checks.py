"""Data-quality checks over documents already read from MongoDB (pure: no pymongo calls).

Recording classification rule (focus-contract §4): ``deleted`` when ``deleted: true``;
``in_progress`` without ``end_time``; ``complete`` when ``end_time > start_time`` and the
SEG-Y file is present; ``invalid`` otherwise.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import segyio
from bson import json_util

LIVE_CLASSIFICATIONS = ("complete", "in_progress")


def as_utc(value: datetime) -> datetime:
    """BSON datetimes read without ``tz_aware`` are naive UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def resolve(root: str | Path, file_path: str) -> Path:
    """A recording's file: ``file_path`` itself when absolute, else under ``root``."""
    path = Path(file_path)
    return path if path.is_absolute() else Path(root) / path


def expected_classification(recording: Mapping[str, Any], root: str | Path) -> str:
    """What the contract's rule says the recording's classification is."""
    if recording.get("deleted") is True:
        return "deleted"
    end, start = recording.get("end_time"), recording.get("start_time")
    if end is None:
        return "in_progress"
    file_path = recording.get("file_path")
    if (
        isinstance(start, datetime)
        and isinstance(end, datetime)
        and as_utc(end) > as_utc(start)
        and isinstance(file_path, str)
        and resolve(root, file_path).is_file()
    ):
        return "complete"
    return "invalid"


@dataclass(frozen=True)
class Interval:
    """A live recording's time range (``in_progress`` ones end at ``now``)."""

    uuid: str
    start: datetime
    end: datetime


def live_intervals(recordings: Iterable[Mapping[str, Any]], now: datetime) -> list[Interval]:
    """Intervals of the recordings that hold data (not deleted, complete or in progress)."""
    intervals = []
    for recording in recordings:
        if recording.get("deleted") is True:
            continue
        if recording.get("classification") not in LIVE_CLASSIFICATIONS:
            continue
        end = recording.get("end_time")
        start = as_utc(recording["start_time"])
        intervals.append(
            Interval(str(recording["uuid"]), start, as_utc(end) if end else max(now, start))
        )
    return sorted(intervals, key=lambda interval: (interval.start, interval.end))


def overlapping_pairs(intervals: list[Interval]) -> list[tuple[str, str]]:
    """Pairs of uuids whose ranges overlap (touching end to start is not overlap)."""
    pairs = []
    active: list[Interval] = []
    for interval in intervals:
        active = [other for other in active if other.end > interval.start]
        pairs += [(other.uuid, interval.uuid) for other in active]
        active.append(interval)
    return pairs


def gaps(
    recordings: Iterable[Mapping[str, Any]], now: datetime, tolerance: timedelta
) -> list[tuple[datetime, datetime]]:
    """Stretches longer than ``tolerance`` that no recording (of any classification) covers,
    between the first recording's start and ``now``."""
    spans = []
    for recording in recordings:
        start = as_utc(recording["start_time"])
        end = recording.get("end_time")
        spans.append((start, as_utc(end) if end else max(now, start)))
    spans.sort()
    found, covered_until = [], None
    for start, end in spans:
        if covered_until is not None and start - covered_until > tolerance:
            found.append((covered_until, start))
        covered_until = end if covered_until is None else max(covered_until, end)
    if covered_until is not None and now - covered_until > tolerance:
        found.append((covered_until, now))
    return found


def segy_problem(path: Path, channel_count: int) -> str | None:
    """Why the SEG-Y file is not a whole recording of ``channel_count`` traces (or ``None``)."""
    if not path.is_file():
        return f"{path}: file is missing"
    try:
        with segyio.open(str(path), ignore_geometry=True) as handle:
            samples = handle.bin[segyio.BinField.Samples]
            interval = handle.bin[segyio.BinField.Interval]
            if samples <= 0 or interval <= 0:
                return f"{path}: binary header has {samples} samples at {interval} us"
            if handle.tracecount != channel_count:
                return f"{path}: {handle.tracecount} traces, channel_count is {channel_count}"
            handle.header[handle.tracecount - 1]
    except (OSError, RuntimeError, ValueError) as error:
        return f"{path}: not readable as SEG-Y ({error})"
    return None


SEGY_SUFFIXES = (".sgy", ".segy")


def segy_files(root: str | Path) -> list[Path]:
    """The SEG-Y files under ``root``, at any depth (a writer's ``.part`` files are not)."""
    return [
        path
        for path in sorted(Path(root).rglob("*"))
        if path.suffix.lower() in SEGY_SUFFIXES and path.is_file()
    ]


def files_without_one_recording(
    files: Iterable[Path], recordings: Iterable[Mapping[str, Any]], root: str | Path
) -> list[str]:
    """Each file that is not the ``file_path`` of exactly one recording, and why."""
    owners: dict[Path, list[str]] = {}
    for recording in recordings:
        file_path = recording.get("file_path")
        if isinstance(file_path, str):
            path = resolve(root, file_path).resolve()
            owners.setdefault(path, []).append(str(recording.get("uuid")))
    problems = []
    for path in files:
        found = owners.get(path.resolve(), [])
        if len(found) != 1:
            what = "no recording" if not found else f"{len(found)} recordings ({', '.join(found)})"
            problems.append(f"{path}: {what}")
    return problems


def duplicates(values: Iterable[Any]) -> dict[Any, int]:
    """Values that occur more than once, with their counts."""
    return {value: count for value, count in Counter(values).items() if count > 1}


def in_future(document: Mapping[str, Any], fields: Iterable[str], now: datetime) -> list[str]:
    """The date fields of ``document`` later than ``now``."""
    return [
        name
        for name in fields
        if isinstance(document.get(name), datetime) and as_utc(document[name]) > now
    ]


def checksum(documents: Iterable[Mapping[str, Any]], exclude: Iterable[str] = ()) -> str:
    """An order-independent SHA-256 of the documents (each in canonical extended JSON)."""
    skipped = set(exclude)
    digests = sorted(
        hashlib.sha256(
            json_util.dumps(
                {key: value for key, value in document.items() if key not in skipped},
                sort_keys=True,
                json_options=json_util.CANONICAL_JSON_OPTIONS,
            ).encode()
        ).hexdigest()
        for document in documents
    )
    return hashlib.sha256("\n".join(digests).encode()).hexdigest()
