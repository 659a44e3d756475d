"""The contract's MongoDB indexes and ``$jsonSchema`` validators (focus-contract §4).

Created idempotently: ``create`` with the validator when the collection is missing,
``collMod`` when it exists; ``create_index`` is a no-op for an existing index.
Validators stay within the stand-in's subset (bsonType, required, properties, enum,
minimum, maximum).
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING
from pymongo.database import Database
from pymongo.errors import CollectionInvalid

from contract import constants
from twin import bugs

CLASSIFICATIONS = ["in_progress", "complete", "deleted", "invalid"]

VALIDATORS: dict[str, dict[str, Any]] = {
    "recordings": {
        "bsonType": "object",
        "required": [
            "uuid",
            "start_time",
            "file_path",
            "channel_count",
            "classification",
            "deleted",
        ],
        "properties": {
            "uuid": {"bsonType": "string"},
            "start_time": {"bsonType": "date"},
            "end_time": {"bsonType": ["date", "null"]},
            "file_path": {"bsonType": "string"},
            "channel_count": {"bsonType": "int", "minimum": 1, "maximum": constants.SENSORS_RANGE},
            "classification": {"enum": CLASSIFICATIONS},
            "deleted": {"bsonType": "bool"},
        },
    },
    "tasks": {
        "bsonType": "object",
        "required": ["task_id", "config", "status", "created_at", "updated_at"],
        "properties": {
            "task_id": {"bsonType": "string"},
            "config": {"bsonType": "object"},
            "status": {"enum": list(constants.TASK_STATUSES)},
            "created_at": {"bsonType": "date"},
            "updated_at": {"bsonType": "date"},
        },
    },
    "alerts": {
        "bsonType": "object",
        "required": [
            "alertId",
            "classId",
            "severity",
            "dofM",
            "alertTime",
            "received_at",
            "acknowledged",
        ],
        "properties": {
            "alertId": {"bsonType": "string"},
            "classId": {"enum": list(constants.ALERT_CLASSES)},
            "severity": {"enum": list(constants.ALERT_SEVERITIES)},
            "dofM": {"bsonType": "number", "minimum": 0, "maximum": constants.FIBRE_LENGTH_M},
            "alertTime": {"bsonType": "date"},
            "received_at": {"bsonType": "date"},
            "acknowledged": {"bsonType": "bool"},
        },
    },
}

INDEXES: dict[str, list[tuple[list[str], bool]]] = {
    "recordings": [
        (["uuid"], True),
        (["start_time"], False),
        (["end_time"], False),
        (["start_time", "end_time"], False),
    ],
    "tasks": [(["task_id"], True), (["status"], False)],
    "alerts": [(["alertId"], True), (["alertTime"], False)],
}


def ensure_schema(db: Database) -> None:
    """Create or update every collection's validator, then its indexes."""
    existing = set(db.list_collection_names())
    for name, schema in VALIDATORS.items():
        validator = {"$jsonSchema": schema}
        if name not in existing:
            try:
                db.create_collection(name, validator=validator, validationLevel="strict")
                continue
            except CollectionInvalid:  # another workload created it meanwhile
                pass
        db.command("collMod", name, validator=validator, validationLevel="strict")
    if bugs.is_on("PZ-13983"):  # the bug: no index is ever created
        return
    for name, indexes in INDEXES.items():
        for fields, unique in indexes:
            keys = [(field, ASCENDING) for field in fields]
            db[name].create_index(keys, unique=unique)
