"""Queries: find, cursors, aggregate, count, distinct."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mongomock import aggregate as mongomock_aggregate

from twin.mongo import indexes
from twin.mongo.context import Context, collection_name, command
from twin.mongo.errors import COMMAND_NOT_SUPPORTED, CommandError
from twin.mongo.query import find_documents

# What pymongo's count_documents sends after its $match (and optional $skip/$limit).
_COUNT_GROUP = {"$group": {"_id": 1, "n": {"$sum": 1}}}


def sort_spec(sort: Mapping[str, Any] | None) -> list[tuple[str, Any]]:
    """A sort document as mongomock's list of pairs (``$natural`` is insertion order)."""
    if not sort:
        return []
    pairs = [(key, value) for key, value in sort.items() if key != "$natural"]
    if any(isinstance(value, Mapping) for _, value in pairs):
        raise CommandError(COMMAND_NOT_SUPPORTED, "$meta sort is not supported by the twin")
    return pairs


@command("find", counter="query")
def find(ctx: Context, cmd: dict[str, Any]) -> dict[str, Any]:
    name = collection_name(cmd, "find")
    limit = int(cmd.get("limit") or 0)
    single_batch = bool(cmd.get("singleBatch")) or limit < 0
    documents = find_documents(
        ctx.store.collection(ctx.db, name),
        cmd.get("filter") or {},
        cmd.get("projection") or None,
        sort_spec(cmd.get("sort")),
        skip=int(cmd.get("skip") or 0),
        limit=abs(limit),
    )
    batch_size = cmd.get("batchSize")
    if single_batch:
        batch_size = abs(limit) or batch_size
    result = ctx.server.cursors.first_batch(
        f"{ctx.db}.{name}", documents, batch_size, single_batch=single_batch
    )
    return {"cursor": result, "ok": 1.0}


@command("getMore", counter="getmore")
def get_more(ctx: Context, cmd: dict[str, Any]) -> dict[str, Any]:
    batch = ctx.server.cursors.next_batch(int(cmd["getMore"]), cmd.get("batchSize"))
    return {"cursor": batch, "ok": 1.0}


@command("killCursors")
def kill_cursors(ctx: Context, cmd: dict[str, Any]) -> dict[str, Any]:
    killed, not_found = ctx.server.cursors.kill(cmd.get("cursors", []))
    return {
        "cursorsKilled": killed,
        "cursorsNotFound": not_found,
        "cursorsAlive": [],
        "cursorsUnknown": [],
        "ok": 1.0,
    }


def _output_collection(ctx: Context, pipeline: list[dict[str, Any]]) -> str | None:
    """The collection a trailing ``$out``/``$merge`` stage writes, if any."""
    last = pipeline[-1] if pipeline else {}
    target = last.get("$out", last.get("$merge"))
    if target is None:
        return None
    if isinstance(target, Mapping):
        if target.get("db", ctx.db) != ctx.db:
            raise CommandError(COMMAND_NOT_SUPPORTED, "$out to another database is not supported")
        target = target.get("coll", target.get("into"))
    return str(target)


@command("aggregate")
def aggregate(ctx: Context, cmd: dict[str, Any]) -> dict[str, Any]:
    target = cmd["aggregate"]
    if not isinstance(target, str) or cmd.get("explain"):
        raise CommandError(
            COMMAND_NOT_SUPPORTED, "database aggregation and explain are not supported"
        )
    pipeline = list(cmd.get("pipeline") or [])
    documents = run_pipeline(ctx, target, pipeline)
    output = _output_collection(ctx, pipeline)
    if output is not None:
        ctx.store.record_collection(ctx.db, output)
        documents = []
    batch_size = (cmd.get("cursor") or {}).get("batchSize")
    return {
        "cursor": ctx.server.cursors.first_batch(f"{ctx.db}.{target}", documents, batch_size),
        "ok": 1.0,
    }


def _match_count(ctx: Context, name: str, query: Any) -> int:
    """How many documents match ``query``: from the store's size or an index when it can."""
    if not ctx.store.exists(ctx.db, name):
        return 0
    raw = ctx.store.raw(ctx.db, name)
    if not query:
        return len(raw)
    exact = indexes.exact_count(raw, query)
    if exact is not None:
        return exact
    return len(list(ctx.store.collection(ctx.db, name)._iter_documents(query)))


def run_pipeline(ctx: Context, name: str, pipeline: list[dict[str, Any]]) -> list[Any]:
    """Run an aggregation; a leading ``$match`` selects through indexes before any copy."""
    if pipeline and "$collStats" in pipeline[0]:
        from twin.mongo.cmd_admin import coll_stats_stage

        return coll_stats_stage(ctx, name, pipeline)
    collection = ctx.store.collection(ctx.db, name)
    if not pipeline or list(pipeline[0]) != ["$match"]:
        return list(collection.aggregate(pipeline))
    query, rest = pipeline[0]["$match"], pipeline[1:]
    if rest == [_COUNT_GROUP]:
        total = _match_count(ctx, name, query)
        return [{"_id": 1, "n": total}] if total else []
    documents = find_documents(collection, query, None, [])
    if not rest:
        return documents
    return list(mongomock_aggregate.process_pipeline(documents, collection.database, rest, None))


@command("count")
def count(ctx: Context, cmd: dict[str, Any]) -> dict[str, Any]:
    name = collection_name(cmd, "count")
    query = cmd.get("query") or {}
    skip, limit = int(cmd.get("skip") or 0), abs(int(cmd.get("limit") or 0))
    if not skip and not limit:
        return {"n": _match_count(ctx, name, query), "ok": 1.0}
    matches = find_documents(ctx.store.collection(ctx.db, name), query, {"_id": 1}, [], skip, limit)
    return {"n": len(matches), "ok": 1.0}


@command("distinct")
def distinct(ctx: Context, cmd: dict[str, Any]) -> dict[str, Any]:
    name = collection_name(cmd, "distinct")
    values = ctx.store.collection(ctx.db, name).distinct(str(cmd["key"]), cmd.get("query") or None)
    return {"values": values, "ok": 1.0}
