"""MongoDB access of the Focus Server: indexes and the ``tasks`` collection.

Every function is blocking (pymongo); the API calls them through ``asyncio.to_thread``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pymongo import ASCENDING, ReturnDocument
from pymongo.database import Database
from pymongo.errors import OperationFailure

from contract import constants
from twin import bugs

INDEXES: dict[str, list[tuple[list[tuple[str, int]], bool]]] = {
    "tasks": [([("task_id", ASCENDING)], True), ([("status", ASCENDING)], False)],
    "alerts": [([("alertId", ASCENDING)], True), ([("alertTime", ASCENDING)], False)],
    "recordings": [
        ([("uuid", ASCENDING)], True),
        ([("start_time", ASCENDING)], False),
        ([("end_time", ASCENDING)], False),
        ([("start_time", ASCENDING), ("end_time", ASCENDING)], False),
    ],
}


# IndexOptionsConflict, IndexKeySpecsConflict
INDEX_CONFLICT_CODES = (85, 86)


def as_utc(moment: datetime | None) -> datetime | None:
    """MongoDB hands back naive UTC datetimes unless the client is tz-aware."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def ensure_indexes(db: Database) -> list[str]:
    """Create the contract section 4 indexes (idempotent).

    An index that already exists with other options is left alone (MongoDB refuses to
    change it in place); the returned list names those conflicts so they get logged.
    """
    if bugs.is_on("PZ-13983"):
        drop_indexes(db)
        return []
    conflicts = []
    for collection, indexes in INDEXES.items():
        for keys, unique in indexes:
            try:
                db[collection].create_index(keys, unique=unique)
            except OperationFailure as error:
                if error.code not in INDEX_CONFLICT_CODES:
                    raise
                conflicts.append(f"{collection}.{'_'.join(k for k, _ in keys)}: {error}")
    return conflicts


def drop_indexes(db: Database) -> None:
    """Bug PZ-13983 (:mod:`twin.bugs`): the database keeps only its ``_id`` indexes."""
    for collection in INDEXES:
        for name in db[collection].index_information():
            if name != "_id_":
                db[collection].drop_index(name)


class TaskStore:
    """The ``tasks`` collection: one document per task, its status and timestamps."""

    def __init__(self, db: Database) -> None:
        self.collection = db["tasks"]

    def insert(self, document: dict) -> None:
        self.collection.insert_one(dict(document))

    def get(self, task_id: str) -> dict | None:
        return self.collection.find_one({"task_id": task_id}, {"_id": False})

    def count_active(self) -> int:
        """Tasks waiting or running (a projected find on the status index: count_documents
        is an aggregation, much slower on the twin's MongoDB stand-in)."""
        query = {"status": {"$in": list(constants.ACTIVE_TASK_STATUSES)}}
        return sum(1 for _ in self.collection.find(query, {"_id": True}))

    def active(self) -> list[dict]:
        query = {"status": {"$in": list(constants.ACTIVE_TASK_STATUSES)}}
        return list(self.collection.find(query, {"_id": False}))

    def transition(
        self, task_id: str, allowed: tuple[str, ...], status: str, **fields: object
    ) -> dict | None:
        """Move to ``status`` only from one of ``allowed``; the new document, or None."""
        now = datetime.now(UTC)
        updated = self.collection.find_one_and_update(
            {"task_id": task_id, "status": {"$in": list(allowed)}},
            {"$set": {"status": status, "updated_at": now, **fields}},
            return_document=ReturnDocument.AFTER,
        )
        return _without_id(updated)

    def update(self, task_id: str, fields: dict) -> dict | None:
        """Set ``fields`` (dotted paths allowed) and touch ``updated_at``."""
        updated = self.collection.find_one_and_update(
            {"task_id": task_id},
            {"$set": {**fields, "updated_at": datetime.now(UTC)}},
            return_document=ReturnDocument.AFTER,
        )
        return _without_id(updated)


def _without_id(document: dict | None) -> dict | None:
    """Drop ``_id`` (no projection on find_one_and_update: mongomock re-queries with
    the original filter when one is given, and misses a document whose status changed)."""
    if document is not None:
        document.pop("_id", None)
    return document
