"""Alerts in MongoDB ``alerts``: listing and acknowledgement for the API.

The alerts are validated and stored by the RabbitMQ consumer,
``twin/focus_server/alerts_consumer.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pymongo import DESCENDING, ReturnDocument
from pymongo.database import Database

from twin.focus_server.store import as_utc
from twin.grpc_job.protocol import format_time


def search(
    db: Database,
    since: datetime | None,
    class_id: int | None,
    severity: int | None,
    limit: int,
) -> list[dict]:
    """Alerts matching the filters, newest ``alertTime`` first."""
    query: dict = {}
    if since is not None:
        query["alertTime"] = {"$gte": since}
    if class_id is not None:
        query["classId"] = class_id
    if severity is not None:
        query["severity"] = severity
    found = db["alerts"].find(query, {"_id": False}).sort("alertTime", DESCENDING).limit(limit)
    return [_public(document) for document in found]


def acknowledge(db: Database, alert_id: str) -> dict | None:
    """Mark an alert acknowledged; the updated alert, or None when unknown."""
    updated = db["alerts"].find_one_and_update(
        {"alertId": alert_id},
        {"$set": {"acknowledged": True, "acknowledged_at": datetime.now(UTC)}},
        projection={"_id": False},
        return_document=ReturnDocument.AFTER,
    )
    return _public(updated) if updated else None


def _public(document: dict) -> dict:
    public = dict(document)
    for key in ("alertTime", "received_at", "acknowledged_at"):
        if isinstance(public.get(key), datetime):
            public[key] = format_time(as_utc(public[key]))
    return public
