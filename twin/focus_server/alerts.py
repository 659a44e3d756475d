"""Alerts in MongoDB ``alerts``: validation, idempotent storage, listing, acknowledgement.

A RabbitMQ consumer (a later issue) calls :func:`validate` on each message and
:func:`store` on the valid ones; the API calls :func:`search` and :func:`acknowledge`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pymongo import DESCENDING, ReturnDocument
from pymongo.database import Database

from twin.focus_server.store import as_utc
from twin.grpc_job.protocol import format_time, parse_utc
from variables import constants

REQUIRED = ("alertId", "classId", "severity", "dofM", "alertTime")


class InvalidAlert(ValueError):
    """The message is not a valid alert; the text is the reason (for the rejected queue)."""


def validate(message: object) -> dict:
    """The alert document to store, or :class:`InvalidAlert` with the reason."""
    if not isinstance(message, dict):
        raise InvalidAlert("not a JSON object")
    missing = [name for name in REQUIRED if name not in message]
    if missing:
        raise InvalidAlert(f"missing field(s): {', '.join(missing)}")
    if not isinstance(message["alertId"], str) or not message["alertId"]:
        raise InvalidAlert("alertId must be a non-empty string")
    if message["classId"] not in constants.ALERT_CLASSES or isinstance(message["classId"], bool):
        raise InvalidAlert(f"unknown classId {message['classId']!r}")
    if message["severity"] not in constants.ALERT_SEVERITIES or isinstance(
        message["severity"], bool
    ):
        raise InvalidAlert(f"severity {message['severity']!r} out of 1-3")
    dof = message["dofM"]
    if isinstance(dof, bool) or not isinstance(dof, int | float):
        raise InvalidAlert("dofM must be a number")
    if not 0 <= dof <= constants.FIBRE_LENGTH_M:
        raise InvalidAlert(f"dofM {dof} outside 0..{constants.FIBRE_LENGTH_M}")
    try:
        alert_time = parse_utc(str(message["alertTime"]))
    except ValueError:
        raise InvalidAlert("alertTime must be an ISO-8601 UTC timestamp") from None
    return {
        "alertId": message["alertId"],
        "classId": message["classId"],
        "severity": message["severity"],
        "dofM": dof,
        "alertTime": alert_time,
        "siteId": message.get("siteId"),
    }


def store(db: Database, alert: dict) -> bool:
    """Store a validated alert once (by ``alertId``); True when it was new."""
    result = db["alerts"].update_one(
        {"alertId": alert["alertId"]},
        {
            "$setOnInsert": {
                **alert,
                "received_at": datetime.now(UTC),
                "acknowledged": False,
            }
        },
        upsert=True,
    )
    return result.upserted_id is not None


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
