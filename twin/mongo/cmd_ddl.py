"""Collections, their options (validators) and indexes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mongomock.filtering import filter_applies
from pymongo.errors import DuplicateKeyError, OperationFailure

from twin.mongo.context import Context, collection_name, command
from twin.mongo.errors import (
    BAD_VALUE,
    COMMAND_NOT_SUPPORTED,
    DUPLICATE_KEY,
    INDEX_NOT_FOUND,
    NAMESPACE_NOT_FOUND,
    CommandError,
)

# Fields any command may carry that are not options of the command itself.
GENERIC_FIELDS = frozenset(
    {
        "$db",
        "lsid",
        "$clusterTime",
        "txnNumber",
        "autocommit",
        "startTransaction",
        "writeConcern",
        "readConcern",
        "$readPreference",
        "comment",
        "maxTimeMS",
        "apiVersion",
        "apiStrict",
        "apiDeprecationErrors",
    }
)
VALIDATION_OPTIONS = ("validator", "validationLevel", "validationAction")
ID_INDEX = {"v": 2, "key": {"_id": 1}, "name": "_id_"}
INDEX_OPTIONS = ("unique", "sparse", "expireAfterSeconds", "partialFilterExpression")
INDEX_OPTIONS_CONFLICT = 85


def _check_validation_options(options: Mapping[str, Any]) -> None:
    validator = options.get("validator")
    if validator is not None and not isinstance(validator, Mapping):
        raise CommandError(BAD_VALUE, "validator must be a document")
    if validator and not isinstance(validator.get("$jsonSchema", {}), Mapping):
        raise CommandError(BAD_VALUE, "$jsonSchema must be a document")
    if options.get("validationLevel", "strict") not in ("off", "strict", "moderate"):
        raise CommandError(BAD_VALUE, "validationLevel must be off, strict or moderate")
    if options.get("validationAction", "error") not in ("error", "warn"):
        raise CommandError(BAD_VALUE, "validationAction must be error or warn")


def _require_collection(ctx: Context, name: str) -> None:
    if not ctx.store.exists(ctx.db, name):
        raise CommandError(NAMESPACE_NOT_FOUND, f"ns does not exist: {ctx.db}.{name}")


@command("create")
def create(ctx: Context, cmd: dict[str, Any]) -> dict[str, Any]:
    name = collection_name(cmd, "create")
    options = {k: v for k, v in cmd.items() if k != "create" and k not in GENERIC_FIELDS}
    if "viewOn" in options or "timeseries" in options:
        raise CommandError(COMMAND_NOT_SUPPORTED, "views and time series are not in the twin")
    _check_validation_options(options)
    ctx.store.create_collection(ctx.db, name, options)
    return {"ok": 1.0}


@command("collMod")
def coll_mod(ctx: Context, cmd: dict[str, Any]) -> dict[str, Any]:
    name = collection_name(cmd, "collMod")
    _require_collection(ctx, name)
    options = dict(ctx.store.options(ctx.db, name))
    options.update({key: cmd[key] for key in VALIDATION_OPTIONS if key in cmd})
    _check_validation_options(options)
    ctx.store.set_options(ctx.db, name, options)
    return {"ok": 1.0}


@command("drop")
def drop(ctx: Context, cmd: dict[str, Any]) -> dict[str, Any]:
    name = collection_name(cmd, "drop")
    _require_collection(ctx, name)
    indexes = len(ctx.store.raw(ctx.db, name).indexes) + 1
    ctx.store.drop_collection(ctx.db, name)
    return {"nIndexesWas": indexes, "ns": f"{ctx.db}.{name}", "ok": 1.0}


@command("dropDatabase")
def drop_database(ctx: Context, cmd: dict[str, Any]) -> dict[str, Any]:
    ctx.store.drop_database(ctx.db)
    return {"dropped": ctx.db, "ok": 1.0}


@command("listCollections")
def list_collections(ctx: Context, cmd: dict[str, Any]) -> dict[str, Any]:
    entries = []
    for name in ctx.store.collection_names(ctx.db):
        info = {
            "name": name,
            "type": "collection",
            "options": ctx.store.options(ctx.db, name),
            "info": {"readOnly": False},
            "idIndex": ID_INDEX,
        }
        if cmd.get("filter") and not filter_applies(cmd["filter"], info):
            continue
        entries.append({"name": name, "type": "collection"} if cmd.get("nameOnly") else info)
    batch_size = (cmd.get("cursor") or {}).get("batchSize")
    namespace = f"{ctx.db}.$cmd.listCollections"
    return {"cursor": ctx.server.cursors.first_batch(namespace, entries, batch_size), "ok": 1.0}


def _index_count(ctx: Context, name: str) -> int:
    if not ctx.store.exists(ctx.db, name):
        return 0
    return len(ctx.store.raw(ctx.db, name).indexes) + 1


@command("createIndexes")
def create_indexes(ctx: Context, cmd: dict[str, Any]) -> dict[str, Any]:
    name = collection_name(cmd, "createIndexes")
    existed = ctx.store.exists(ctx.db, name)
    before = _index_count(ctx, name)
    for spec in cmd.get("indexes", []):
        keys = list(spec["key"].items())
        if keys == [("_id", 1)]:
            continue
        options = {key: spec[key] for key in (*INDEX_OPTIONS, "name") if key in spec}
        try:
            ctx.store.create_index(ctx.db, name, keys, **options)
        except DuplicateKeyError:
            raise CommandError(
                DUPLICATE_KEY,
                f"E11000 duplicate key error collection: {ctx.db}.{name} "
                f"index: {spec.get('name')}: existing documents have duplicate keys",
            ) from None
        except OperationFailure as error:
            raise CommandError(INDEX_OPTIONS_CONFLICT, str(error)) from None
    return {
        "createdCollectionAutomatically": not existed,
        "numIndexesBefore": before if existed else 1,
        "numIndexesAfter": _index_count(ctx, name),
        "ok": 1.0,
    }


@command("listIndexes")
def list_indexes(ctx: Context, cmd: dict[str, Any]) -> dict[str, Any]:
    name = collection_name(cmd, "listIndexes")
    _require_collection(ctx, name)
    entries = list(ctx.store.collection(ctx.db, name).list_indexes())
    batch_size = (cmd.get("cursor") or {}).get("batchSize")
    namespace = f"{ctx.db}.{name}"
    return {"cursor": ctx.server.cursors.first_batch(namespace, entries, batch_size), "ok": 1.0}


def _index_names(ctx: Context, name: str, index: Any) -> list[str]:
    """Resolve dropIndexes' ``index`` (name, key document, list of names or "*")."""
    indexes = ctx.store.raw(ctx.db, name).indexes
    if index == "*":
        return ["*"]
    if isinstance(index, Mapping):
        wanted = list(index.items())
        names = [n for n, spec in indexes.items() if [tuple(k) for k in spec["key"]] == wanted]
        if not names:
            raise CommandError(INDEX_NOT_FOUND, f"can't find index with key: {dict(index)}")
        return names
    names = [index] if isinstance(index, str) else list(index)
    for index_name in names:
        if index_name == "_id_":
            raise CommandError(BAD_VALUE, "cannot drop _id index")
        if index_name not in indexes:
            raise CommandError(INDEX_NOT_FOUND, f"index not found with name [{index_name}]")
    return names


@command("dropIndexes", "deleteIndexes")
def drop_indexes(ctx: Context, cmd: dict[str, Any]) -> dict[str, Any]:
    name = collection_name(cmd, "dropIndexes" if "dropIndexes" in cmd else "deleteIndexes")
    _require_collection(ctx, name)
    count = _index_count(ctx, name)
    for index_name in _index_names(ctx, name, cmd.get("index")):
        ctx.store.drop_index(ctx.db, name, index_name)
    return {"nIndexesWas": count, "ok": 1.0}
