"""Watches of the twin's Kubernetes API: a collection's events as a stream of JSON lines."""

from __future__ import annotations

import asyncio
import json
import time

from aiohttp import web

from twin.kube import discovery, selectors, tables
from twin.kube.handling import ApiError, api_version, go_bool, in_namespace, int_param, status
from twin.kube.store import Store, TooOld

BOOKMARK_INTERVAL_S = 2.0
DEFAULT_WATCH_TIMEOUT_S = 1800


async def watch(
    request: web.Request, store: Store, resource: discovery.Resource
) -> web.StreamResponse:
    """Stream the events of ``resource``'s objects (``?watch=true``), as the API server does:
    the current objects as ``ADDED`` (or the events since ``resourceVersion``), then each
    change, with ``BOOKMARK`` events when asked, until ``timeoutSeconds``."""
    requested = request.query.get("resourceVersion", "")
    try:
        since = None if requested in ("", "0") else int(requested)
    except ValueError:
        raise ApiError(400, "BadRequest", f"invalid resourceVersion {requested!r}") from None
    timeout = int_param(request, "timeoutSeconds") or DEFAULT_WATCH_TIMEOUT_S
    bookmarks = go_bool(request.query.get("allowWatchBookmarks"))
    as_table = tables.wants_table(request.headers.get("Accept", ""))
    labels = selectors.parse_labels(request.query.get("labelSelector", ""))
    fields = selectors.parse_fields(request.query.get("fieldSelector", ""))
    namespace = request.match_info.get("ns")
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    try:
        backlog, queue = store.subscribe(since)
    except TooOld as error:
        await response.prepare(request)
        gone = status(410, "Expired", str(error))
        await response.write(_line({"type": "ERROR", "object": gone}))
        await response.write_eof()
        return response
    try:
        initial = [] if since is not None else store.list(resource.kind)
        await response.prepare(request)

        def wanted(obj: dict) -> bool:
            return in_namespace(obj, namespace) and selectors.matches(obj, labels, fields)

        async def send(kind_of_event: str, obj: dict) -> None:
            if as_table:
                obj = tables.to_table(
                    resource.kind, [obj], obj["metadata"]["resourceVersion"], "Object"
                )
            await response.write(_line({"type": kind_of_event, "object": obj}))

        for obj in initial:
            if wanted(obj):
                await send("ADDED", obj)
        for event in backlog:
            if event.kind == resource.kind and wanted(event.object):
                await send(event.type, event.object)
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                event = await asyncio.wait_for(queue.get(), min(left, BOOKMARK_INTERVAL_S))
            except TimeoutError:
                if bookmarks and time.monotonic() < deadline:
                    await response.write(_line(_bookmark(resource.kind, store.rv)))
                continue
            if event is None:  # the server is shutting down
                break
            if event.kind == resource.kind and wanted(event.object):
                await send(event.type, event.object)
        await response.write_eof()
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        store.unsubscribe(queue)
    return response


def _line(event: dict) -> bytes:
    return (json.dumps(event, separators=(",", ":")) + "\n").encode()


def _bookmark(kind: str, rv: int) -> dict:
    return {
        "type": "BOOKMARK",
        "object": {
            "kind": kind,
            "apiVersion": api_version(kind),
            "metadata": {"resourceVersion": str(rv)},
        },
    }
