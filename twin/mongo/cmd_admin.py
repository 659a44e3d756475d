"""Handshake, authentication and server/database information commands."""

from __future__ import annotations

import datetime
import logging
import os
import resource
import time
from typing import Any

import bson
from bson import Binary, Int64
from mongomock.filtering import filter_applies

from twin.mongo.context import MAX_CONNECTIONS, Context, command
from twin.mongo.errors import (
    AUTHENTICATION_FAILED,
    BAD_VALUE,
    ILLEGAL_OPERATION,
    INVALID_NAMESPACE,
    NAMESPACE_EXISTS,
    NAMESPACE_NOT_FOUND,
    TRANSACTIONS_REFUSED,
    UNAUTHORIZED,
    CommandError,
)
from twin.mongo.scram import ScramConversation
from twin.mongo.wire import MAX_BSON_OBJECT_SIZE, MAX_MESSAGE_SIZE

log = logging.getLogger("twin.mongo")

VERSION = "7.0.0"
MAX_WIRE_VERSION = 21
MAX_WRITE_BATCH_SIZE = 100_000
SESSION_TIMEOUT_MINUTES = 30


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@command("hello", "isMaster", "ismaster", needs_auth=False)
def hello(ctx: Context, cmd: dict[str, Any]) -> dict[str, Any]:
    """The handshake; deliberately without ``topologyVersion`` (no streaming hello)."""
    reply: dict[str, Any] = {
        "helloOk": True,
        "isWritablePrimary": True,
        "ismaster": True,
        "maxBsonObjectSize": MAX_BSON_OBJECT_SIZE,
        "maxMessageSizeBytes": MAX_MESSAGE_SIZE,
        "maxWriteBatchSize": MAX_WRITE_BATCH_SIZE,
        "localTime": _now(),
        "logicalSessionTimeoutMinutes": SESSION_TIMEOUT_MINUTES,
        "connectionId": ctx.session.connection_id,
        "minWireVersion": 0,
        "maxWireVersion": MAX_WIRE_VERSION,
        "readOnly": False,
    }
    if "saslSupportedMechs" in cmd:
        reply["saslSupportedMechs"] = ctx.server.credentials.mechanisms_for(
            str(cmd["saslSupportedMechs"])
        )
    speculative = cmd.get("speculativeAuthenticate")
    if isinstance(speculative, dict) and "saslStart" in speculative:
        db = str(speculative.get("db", ctx.db))
        try:
            started = sasl_start(Context(ctx.server, ctx.session, db), speculative)
        except CommandError:
            pass  # the client falls back to a normal saslStart, which reports the failure
        else:
            ctx.session.conversations[started["conversationId"]].speculative = True
            reply["speculativeAuthenticate"] = started
    reply["ok"] = 1.0
    return reply


@command("saslStart", needs_auth=False)
def sasl_start(ctx: Context, cmd: dict[str, Any]) -> dict[str, Any]:
    """First SCRAM step: client-first in, server-first out."""
    conversation = ScramConversation(ctx.server.credentials, str(cmd.get("mechanism")), ctx.db)
    conversation.skip_empty_exchange = bool((cmd.get("options") or {}).get("skipEmptyExchange"))
    try:
        payload = conversation.start(bytes(cmd.get("payload", b"")))
    except CommandError:
        log.info("conn%d authentication failed: unknown user", ctx.session.connection_id)
        raise
    session = ctx.session
    conversation_id = session.next_conversation
    session.next_conversation += 1
    session.conversations[conversation_id] = conversation
    return {"conversationId": conversation_id, "done": False, "payload": Binary(payload), "ok": 1.0}


@command("saslContinue", needs_auth=False)
def sasl_continue(ctx: Context, cmd: dict[str, Any]) -> dict[str, Any]:
    """Later SCRAM steps: the proof, then (unless skipped) an empty closing exchange."""
    session = ctx.session
    conversation_id = cmd.get("conversationId")
    if not isinstance(conversation_id, int):  # saslStart numbers each conversation
        raise CommandError(AUTHENTICATION_FAILED, "No SASL session state found")
    conversation = session.conversations.get(conversation_id)
    if conversation is None:
        raise CommandError(AUTHENTICATION_FAILED, "No SASL session state found")
    if conversation.done:
        del session.conversations[conversation_id]
        return {"conversationId": conversation_id, "done": True, "payload": Binary(b""), "ok": 1.0}
    try:
        payload = conversation.finish(bytes(cmd.get("payload", b"")))
    except CommandError:
        del session.conversations[conversation_id]
        log.info(
            "conn%d authentication failed for user %r", session.connection_id, conversation.user
        )
        raise
    session.user = conversation.user
    session.mechanism = conversation.mechanism
    log.info(
        "conn%d authenticated as %s@%s (%s%s)",
        session.connection_id,
        conversation.user,
        ctx.db,
        conversation.mechanism,
        ", speculative" if conversation.speculative else "",
    )
    done = conversation.skip_empty_exchange
    if done:
        del session.conversations[conversation_id]
    return {"conversationId": conversation_id, "done": done, "payload": Binary(payload), "ok": 1.0}


@command("logout")
def logout(ctx: Context, cmd: dict[str, Any]) -> dict[str, Any]:
    ctx.session.user = None
    return {"ok": 1.0}


@command("ping", needs_auth=False)
def ping(ctx: Context, cmd: dict[str, Any]) -> dict[str, Any]:
    return {"ok": 1.0}


@command("endSessions", needs_auth=False)
def end_sessions(ctx: Context, cmd: dict[str, Any]) -> dict[str, Any]:
    return {"ok": 1.0}


@command("buildinfo", "buildInfo", needs_auth=False)
def build_info(ctx: Context, cmd: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": VERSION,
        "versionArray": [int(part) for part in VERSION.split(".")] + [0],
        "gitVersion": "twin-mongomock",
        "bits": 64,
        "debug": False,
        "maxBsonObjectSize": MAX_BSON_OBJECT_SIZE,
        "storageEngines": ["mongomock"],
        "modules": [],
        "ok": 1.0,
    }


@command("serverStatus")
def server_status(ctx: Context, cmd: dict[str, Any]) -> dict[str, Any]:
    """The figures the MongoDB keyword library samples (connections, opcounters, uptime)."""
    stats = ctx.server.stats
    uptime = time.monotonic() - stats.started
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    return {
        "host": f"{ctx.server.host}:{ctx.server.port}",
        "version": VERSION,
        "process": "mongod",
        "pid": Int64(os.getpid()),
        "uptime": float(int(uptime)),
        "uptimeMillis": Int64(int(uptime * 1000)),
        "uptimeEstimate": Int64(int(uptime)),
        "localTime": _now(),
        "connections": {
            "current": stats.current,
            "available": MAX_CONNECTIONS - stats.current,
            "totalCreated": stats.total_created,
            "active": stats.current,
        },
        "opcounters": {name: Int64(value) for name, value in stats.opcounters.items()},
        "metrics": {"cursor": {"open": {"total": Int64(len(ctx.server.cursors))}}},
        "mem": {"bits": 64, "resident": rss_mib, "supported": True},
        "storageEngine": {"name": "mongomock", "persistent": ctx.store.durable},
        "ok": 1.0,
    }


def _data_size(ctx: Context, db: str, name: str) -> int:
    return sum(len(bson.encode(doc)) for doc in ctx.store.raw(db, name).documents)


@command("dbStats", "dbstats")
def db_stats(ctx: Context, cmd: dict[str, Any]) -> dict[str, Any]:
    scale = max(int(cmd.get("scale", 1) or 1), 1)
    names = ctx.store.collection_names(ctx.db)
    objects = sum(len(ctx.store.raw(ctx.db, name)) for name in names)
    data_size = sum(_data_size(ctx, ctx.db, name) for name in names)
    indexes = sum(len(ctx.store.raw(ctx.db, name).indexes) + 1 for name in names)
    return {
        "db": ctx.db,
        "collections": len(names),
        "views": 0,
        "objects": objects,
        "avgObjSize": data_size / objects if objects else 0.0,
        "dataSize": data_size / scale,
        "storageSize": data_size / scale,
        "indexes": indexes,
        "indexSize": 0.0,
        "totalSize": data_size / scale,
        "scaleFactor": scale,
        "ok": 1.0,
    }


@command("connectionStatus")
def connection_status(ctx: Context, cmd: dict[str, Any]) -> dict[str, Any]:
    user = ctx.session.user
    auth_db = ctx.server.credentials.auth_db
    return {
        "authInfo": {
            "authenticatedUsers": [{"user": user, "db": auth_db}] if user else [],
            "authenticatedUserRoles": [{"role": "dbOwner", "db": auth_db}] if user else [],
        },
        "ok": 1.0,
    }


@command("listDatabases")
def list_databases(ctx: Context, cmd: dict[str, Any]) -> dict[str, Any]:
    entries: list[dict[str, Any]] = []
    for db in ctx.store.database_names():
        size = sum(_data_size(ctx, db, name) for name in ctx.store.collection_names(db))
        entry = {"name": db, "sizeOnDisk": float(size), "empty": size == 0}
        if cmd.get("filter") and not filter_applies(cmd["filter"], entry):
            continue
        entries.append({"name": db} if cmd.get("nameOnly") else entry)
    total = sum(entry.get("sizeOnDisk", 0.0) for entry in entries)
    return {"databases": entries, "totalSize": total, "totalSizeMb": int(total) >> 20, "ok": 1.0}


def _storage_stats(ctx: Context, name: str, scale: int) -> dict[str, Any]:
    raw = ctx.store.raw(ctx.db, name)
    count = len(raw)
    size = _data_size(ctx, ctx.db, name)
    names = ["_id_", *raw.indexes]
    index_sizes = {index: 0 for index in names}
    return {
        "ns": f"{ctx.db}.{name}",
        "size": size // scale,
        "count": count,
        "avgObjSize": size // count if count else 0,
        "numOrphanDocs": 0,
        "storageSize": size // scale,
        "freeStorageSize": 0,
        "capped": False,
        "nindexes": len(names),
        "indexBuilds": [],
        "totalIndexSize": 0,
        "totalSize": size // scale,
        "indexSizes": index_sizes,
        "scaleFactor": scale,
    }


@command("collStats")
def coll_stats(ctx: Context, cmd: dict[str, Any]) -> dict[str, Any]:
    name = str(cmd["collStats"])
    if not ctx.store.exists(ctx.db, name):
        raise CommandError(NAMESPACE_NOT_FOUND, f"Collection [{ctx.db}.{name}] not found.")
    scale = max(int(cmd.get("scale", 1) or 1), 1)
    return {**_storage_stats(ctx, name, scale), "ok": 1.0}


def coll_stats_stage(ctx: Context, name: str, pipeline: list[dict[str, Any]]) -> list[Any]:
    """The ``$collStats`` aggregation stage (it must come first, and comes alone here)."""
    if len(pipeline) > 1:
        raise CommandError(
            BAD_VALUE, "the twin runs $collStats only as the only stage of a pipeline"
        )
    options = pipeline[0]["$collStats"] or {}
    answer: dict[str, Any] = {
        "ns": f"{ctx.db}.{name}",
        "host": f"{ctx.server.host}:{ctx.server.port}",
        "localTime": _now(),
    }
    exists = ctx.store.exists(ctx.db, name)
    if "storageStats" in options:
        if not exists:
            raise CommandError(
                NAMESPACE_NOT_FOUND,
                "Unable to retrieve storageStats in $collStats stage :: caused by :: "
                f"Collection [{ctx.db}.{name}] not found.",
            )
        scale = max(int((options["storageStats"] or {}).get("scale", 1) or 1), 1)
        answer["storageStats"] = _storage_stats(ctx, name, scale)
    if "count" in options:
        answer["count"] = len(ctx.store.raw(ctx.db, name)) if exists else 0
    if "latencyStats" in options:
        zero = {"latency": 0, "ops": 0}
        answer["latencyStats"] = {
            "reads": zero,
            "writes": zero,
            "commands": zero,
            "transactions": zero,
        }
    return [answer]


@command("renameCollection")
def rename_collection(ctx: Context, cmd: dict[str, Any]) -> dict[str, Any]:
    if ctx.db != "admin":
        raise CommandError(
            UNAUTHORIZED, "renameCollection may only be run against the admin database."
        )
    source, target = str(cmd["renameCollection"]), str(cmd.get("to") or "")
    if "." not in source or "." not in target:
        raise CommandError(INVALID_NAMESPACE, f"Invalid target namespace: {target}")
    source_db, source_name = source.split(".", 1)
    target_db, target_name = target.split(".", 1)
    if not ctx.store.exists(source_db, source_name):
        raise CommandError(NAMESPACE_NOT_FOUND, f"Source collection {source} does not exist")
    if source == target:
        raise CommandError(ILLEGAL_OPERATION, "Can't rename a collection to itself")
    if ctx.store.exists(target_db, target_name) and not cmd.get("dropTarget"):
        raise CommandError(NAMESPACE_EXISTS, "target namespace exists")
    ctx.store.rename_collection(source_db, source_name, target_db, target_name)
    return {"ok": 1.0}


@command("commitTransaction", "abortTransaction")
def transaction_end(ctx: Context, cmd: dict[str, Any]) -> dict[str, Any]:
    raise CommandError(ILLEGAL_OPERATION, TRANSACTIONS_REFUSED)
