"""The ``recordings`` collection: a seeded history until the SEG-Y recorder exists.

At start, when the collection is empty, :func:`seed` writes ``SEED_FILES`` small SEG-Y
files (one trace per channel, a few samples each) covering the last two hours in
10-minute files, and one ``complete`` recording document per file.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import segyio
from pymongo.database import Database

from twin.focus_server.store import as_utc
from twin.grpc_job.protocol import format_time
from variables import constants

SEED_FILES = 12
FILE_DURATION = timedelta(minutes=10)
SAMPLES_PER_TRACE = 16


def write_segy(path: Path, channel_count: int) -> None:
    """A minimal SEG-Y file with one trace per channel."""
    spec = segyio.spec()
    spec.format = 5
    spec.samples = list(range(SAMPLES_PER_TRACE))
    spec.tracecount = channel_count
    path.parent.mkdir(parents=True, exist_ok=True)
    with segyio.create(str(path), spec) as handle:
        handle.trace = np.zeros((channel_count, SAMPLES_PER_TRACE), dtype=np.float32)


def seed(db: Database, directory: Path, now: datetime) -> int:
    """Seed the history when ``recordings`` is empty; the number of documents written."""
    collection = db["recordings"]
    if collection.count_documents({}, limit=1):
        return 0
    end = now.replace(second=0, microsecond=0)
    documents = []
    for number in range(SEED_FILES, 0, -1):
        start = end - number * FILE_DURATION
        name = str(uuid.uuid4())
        path = directory / f"{start:%Y%m%dT%H%M%S}-{name}.segy"
        write_segy(path, constants.SENSORS_RANGE)
        documents.append(
            {
                "uuid": name,
                "start_time": start,
                "end_time": start + FILE_DURATION,
                "file_path": str(path),
                "channel_count": constants.SENSORS_RANGE,
                "classification": "complete",
                "deleted": False,
            }
        )
    collection.insert_many(documents)
    return len(documents)


def _overlap_query(start: datetime | None, end: datetime | None) -> dict:
    query: dict = {"deleted": {"$ne": True}}
    if end is not None:
        query["start_time"] = {"$lt": end}
    if start is not None:
        query["$or"] = [{"end_time": {"$gt": start}}, {"end_time": None}]
    return query


def overlapping(db: Database, start: datetime | None, end: datetime | None) -> list[dict]:
    """Live (not deleted) recordings overlapping ``[start, end]``, oldest first."""
    found = db["recordings"].find(_overlap_query(start, end), {"_id": False}).sort("start_time")
    return [_public(document) for document in found]


def covers(db: Database, start: datetime, end: datetime) -> bool:
    """True when some recording overlaps ``[start, end]``."""
    return db["recordings"].count_documents(_overlap_query(start, end), limit=1) > 0


def _public(document: dict) -> dict:
    public = dict(document)
    for key in ("start_time", "end_time"):
        moment = as_utc(public.get(key))
        public[key] = format_time(moment) if moment else None
    return public
