"""Writes: insert, update, delete, findAndModify — validated, journalled before the reply."""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import bson
from pymongo.errors import DuplicateKeyError, PyMongoError

from twin.mongo.cmd_read import sort_spec
from twin.mongo.context import Context, collection_name, command
from twin.mongo.errors import (
    BAD_VALUE,
    COMMAND_NOT_SUPPORTED,
    DOCUMENT_TOO_LARGE,
    DOCUMENT_VALIDATION_FAILURE,
    DUPLICATE_KEY,
    FAILED_TO_PARSE,
    CommandError,
    write_error,
)
from twin.mongo.query import find_documents
from twin.mongo.schema import validator_errors
from twin.mongo.wire import MAX_BSON_OBJECT_SIZE

log = logging.getLogger("twin.mongo")


def validation_failures(
    ctx: Context, name: str, document: Mapping[str, Any], pre_image: Any = None
) -> list[str]:
    """Why ``document`` may not be stored in ``name`` (empty when it may)."""
    options = ctx.store.options(ctx.db, name)
    validator = options.get("validator")
    if not validator or options.get("validationLevel") == "off":
        return []
    if (
        pre_image is not None
        and options.get("validationLevel") == "moderate"
        and validator_errors(pre_image, validator)
    ):
        return []
    reasons = validator_errors(document, validator)
    if reasons and options.get("validationAction") == "warn":
        log.warning("document in %s.%s fails validation: %s", ctx.db, name, reasons)
        return []
    return reasons


def _invalid(document: Mapping[str, Any], reasons: list[str]) -> CommandError:
    return CommandError(
        DOCUMENT_VALIDATION_FAILURE,
        "Document failed validation",
        errInfo={
            "failingDocumentId": document.get("_id"),
            "details": {"operatorName": "$jsonSchema", "reasons": reasons},
        },
    )


def _as_command_error(error: Exception, namespace: str) -> CommandError:
    """Translate what mongomock raises into the server's error."""
    if isinstance(error, CommandError):
        return error
    if isinstance(error, DuplicateKeyError):
        return CommandError(DUPLICATE_KEY, f"E11000 duplicate key error collection: {namespace}")
    if isinstance(error, NotImplementedError):
        return CommandError(COMMAND_NOT_SUPPORTED, f"not supported by the twin: {error}")
    if isinstance(error, PyMongoError):
        return CommandError(getattr(error, "code", None) or BAD_VALUE, str(error))
    return CommandError(FAILED_TO_PARSE if isinstance(error, ValueError) else BAD_VALUE, str(error))


WRITE_FAILURES = (CommandError, PyMongoError, NotImplementedError, ValueError, TypeError, KeyError)


@dataclass
class UpdateOutcome:
    """What one update statement did."""

    matched: int = 0
    modified: int = 0
    upserted_id: Any = None
    touched: list[Any] = field(default_factory=list)


def _is_replacement(update: Any) -> bool:
    return isinstance(update, Mapping) and not any(key.startswith("$") for key in update)


def apply_update(
    ctx: Context,
    name: str,
    statement: Mapping[str, Any],
    outcome: UpdateOutcome,
    bypass: bool = False,
) -> None:
    """Run one update statement; an invalid post-image is rolled back (code 121)."""
    query, update = statement.get("q") or {}, statement["u"]
    multi, upsert = bool(statement.get("multi")), bool(statement.get("upsert"))
    if statement.get("arrayFilters"):
        raise CommandError(COMMAND_NOT_SUPPORTED, "arrayFilters are not supported by the twin")
    collection = ctx.store.collection(ctx.db, name)
    matches = find_documents(collection, query, {"_id": 1}, [], limit=0 if multi else 1)
    ids = [doc["_id"] for doc in matches]
    validate = not bypass and bool(ctx.store.options(ctx.db, name).get("validator"))
    # Pre-images for a rollback: of an invalid post-image, or of one over the 16 MB limit.
    pre_images = {i: copy.deepcopy(ctx.store.get_document(ctx.db, name, i)) for i in ids}
    outcome.touched = list(ids)
    if ids:
        if _is_replacement(update):
            result = collection.replace_one(query, update)
        elif multi:
            result = collection.update_many(query, update)
        else:
            result = collection.update_one(query, update)
        outcome.matched, outcome.modified = result.matched_count, result.modified_count
    elif upsert:
        method = collection.replace_one if _is_replacement(update) else collection.update_one
        outcome.upserted_id = method(query, update, upsert=True).upserted_id
        outcome.touched.append(outcome.upserted_id)
    for document_id in outcome.touched:
        document = ctx.store.get_document(ctx.db, name, document_id) or {}
        failure = None
        if len(bson.encode(document)) > MAX_BSON_OBJECT_SIZE:
            failure = CommandError(
                DOCUMENT_TOO_LARGE,
                f"Resulting document after update is larger than {MAX_BSON_OBJECT_SIZE}",
            )
        elif validate:
            reasons = validation_failures(ctx, name, document, pre_images.get(document_id))
            if reasons:
                failure = _invalid(document, reasons)
        if failure is not None:
            for rollback_id in outcome.touched:
                ctx.store.put_document(ctx.db, name, rollback_id, pre_images.get(rollback_id))
            outcome.matched = outcome.modified = 0
            outcome.upserted_id = None
            raise failure


@command("insert", counter="")
def insert(ctx: Context, cmd: dict[str, Any]) -> dict[str, Any]:
    name = collection_name(cmd, "insert")
    collection = ctx.store.collection(ctx.db, name)
    bypass = bool(cmd.get("bypassDocumentValidation"))
    inserted: list[Any] = []
    errors: list[dict[str, Any]] = []
    try:
        for index, document in enumerate(cmd.get("documents", [])):
            ctx.server.stats.opcounters["insert"] += 1
            try:
                reasons = [] if bypass else validation_failures(ctx, name, document)
                if reasons:
                    raise _invalid(document, reasons)
                collection.insert_one(document)
                inserted.append(document["_id"])
            except WRITE_FAILURES as error:
                failure = _as_command_error(error, f"{ctx.db}.{name}")
                errors.append(write_error(index, failure.code, failure.message, **failure.extra))
                if cmd.get("ordered", True):
                    break
    finally:
        ctx.store.record_documents(ctx.db, name, inserted)
    reply: dict[str, Any] = {"n": len(inserted), "ok": 1.0}
    if errors:
        reply["writeErrors"] = errors
    return reply


@command("update", counter="")
def update(ctx: Context, cmd: dict[str, Any]) -> dict[str, Any]:
    name = collection_name(cmd, "update")
    bypass = bool(cmd.get("bypassDocumentValidation"))
    matched = modified = 0
    upserted: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for index, statement in enumerate(cmd.get("updates", [])):
        ctx.server.stats.opcounters["update"] += 1
        outcome = UpdateOutcome()
        try:
            apply_update(ctx, name, statement, outcome, bypass)
        except WRITE_FAILURES as error:
            failure = _as_command_error(error, f"{ctx.db}.{name}")
            errors.append(write_error(index, failure.code, failure.message, **failure.extra))
        finally:
            ctx.store.record_documents(ctx.db, name, outcome.touched)
        matched += outcome.matched + (outcome.upserted_id is not None)
        modified += outcome.modified
        if outcome.upserted_id is not None:
            upserted.append({"index": index, "_id": outcome.upserted_id})
        if errors and cmd.get("ordered", True):
            break
    reply: dict[str, Any] = {"n": matched, "nModified": modified, "ok": 1.0}
    if upserted:
        reply["upserted"] = upserted
    if errors:
        reply["writeErrors"] = errors
    return reply


@command("delete", counter="")
def delete(ctx: Context, cmd: dict[str, Any]) -> dict[str, Any]:
    name = collection_name(cmd, "delete")
    collection = ctx.store.collection(ctx.db, name)
    deleted = 0
    errors: list[dict[str, Any]] = []
    for index, statement in enumerate(cmd.get("deletes", [])):
        ctx.server.stats.opcounters["delete"] += 1
        try:
            limit = 1 if statement.get("limit", 0) == 1 else 0
            matches = find_documents(collection, statement["q"], {"_id": 1}, [], limit=limit)
            ids = [doc["_id"] for doc in matches]
        except WRITE_FAILURES as error:
            failure = _as_command_error(error, f"{ctx.db}.{name}")
            errors.append(write_error(index, failure.code, failure.message))
            if cmd.get("ordered", True):
                break
            continue
        for document_id in ids:
            ctx.store.put_document(ctx.db, name, document_id, None)
        ctx.store.record_documents(ctx.db, name, ids)
        deleted += len(ids)
    reply: dict[str, Any] = {"n": deleted, "ok": 1.0}
    if errors:
        reply["writeErrors"] = errors
    return reply


@command("findAndModify", "findandmodify")
def find_and_modify(ctx: Context, cmd: dict[str, Any]) -> dict[str, Any]:
    name = collection_name(cmd, "findAndModify" if "findAndModify" in cmd else "findandmodify")
    collection = ctx.store.collection(ctx.db, name)
    query, fields = cmd.get("query") or {}, cmd.get("fields") or None
    sort = sort_spec(cmd.get("sort"))
    found = next(iter(find_documents(collection, query, {"_id": 1}, sort, limit=1)), None)
    before = collection.find_one({"_id": found["_id"]}, fields) if found else None
    if cmd.get("remove"):
        if found is not None:
            ctx.store.put_document(ctx.db, name, found["_id"], None)
            ctx.store.record_documents(ctx.db, name, [found["_id"]])
        return {"lastErrorObject": {"n": int(found is not None)}, "value": before, "ok": 1.0}
    if cmd.get("update") is None:
        raise CommandError(FAILED_TO_PARSE, "Either an update or remove=true must be specified")
    # Pin the sorted choice by _id, keeping the query for positional ($) updates.
    pinned = query if not found or "_id" in query else {**query, "_id": found["_id"]}
    statement = {"q": pinned, "u": cmd["update"]}
    statement.update(upsert=bool(cmd.get("upsert")), arrayFilters=cmd.get("arrayFilters"))
    outcome = UpdateOutcome()
    try:
        apply_update(ctx, name, statement, outcome, bool(cmd.get("bypassDocumentValidation")))
    except WRITE_FAILURES as error:
        raise _as_command_error(error, f"{ctx.db}.{name}") from None
    finally:
        ctx.store.record_documents(ctx.db, name, outcome.touched)
    last: dict[str, Any] = {"n": 1 if found or outcome.upserted_id is not None else 0}
    last["updatedExisting"] = found is not None
    if outcome.upserted_id is not None:
        last["upserted"] = outcome.upserted_id
    target = found["_id"] if found else outcome.upserted_id
    value = before
    if cmd.get("new") and target is not None:
        value = collection.find_one({"_id": target}, fields)
    return {"lastErrorObject": last, "value": value, "ok": 1.0}
