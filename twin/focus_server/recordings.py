"""The ``recordings`` collection, written by the ``segy-recorder`` workload: read-only here."""

from __future__ import annotations

from datetime import datetime

from pymongo.database import Database

from twin.focus_server.store import as_utc
from twin.grpc_job.protocol import format_time


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
