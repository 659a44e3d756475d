"""The log endpoint of the twin's Kubernetes API (``GET .../pods/{name}/log``), over the
pods' kept lines (:mod:`twin.kube.podlog`)."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

from aiohttp import web

from twin.kube.handling import ApiError, Cluster, go_bool, int_param, not_found


async def pod_log(request: web.Request, cluster: Cluster) -> web.StreamResponse:
    """``GET .../pods/{name}/log``: the pod's log, whole or followed, as kubectl asks."""
    name = request.match_info["name"]
    found = cluster.pod_log(name)
    if found is None or request.match_info["ns"] != cluster.namespace:
        raise not_found("pods", "", name)
    log, container = found
    asked = request.query.get("container")
    if asked and asked != container:
        raise ApiError(400, "BadRequest", f"container {asked} is not valid for pod {name}")
    previous = go_bool(request.query.get("previous"))
    run = log.run - 1 if previous else log.run
    if previous and run < 0:
        raise ApiError(
            400,
            "BadRequest",
            f'previous terminated container "{container}" in pod "{name}" not found',
        )
    stamps = go_bool(request.query.get("timestamps"))
    since = int_param(request, "sinceSeconds")
    since_time = request.query.get("sinceTime")
    if since_time:
        try:
            moment = dt.datetime.fromisoformat(since_time.replace("Z", "+00:00"))
        except ValueError:
            raise ApiError(
                400, "BadRequest", f"sinceTime: {since_time!r} is not an RFC 3339 time"
            ) from None
        since = max(int(time.time() - moment.timestamp()), 0)
    lines = log.select(run, int_param(request, "tailLines"), since)
    limit = int_param(request, "limitBytes")
    if limit is not None and limit <= 0:
        raise ApiError(400, "BadRequest", "limitBytes: Invalid value: must be greater than 0")
    if not go_bool(request.query.get("follow")) or previous:
        data = "".join(line.render(stamps) for line in lines).encode()
        if limit is not None:
            data = data[:limit]
        return web.Response(body=data, content_type="text/plain")
    response = web.StreamResponse(headers={"Content-Type": "text/plain"})
    await response.prepare(request)
    last = lines[-1].seq if lines else log.next_seq - 1
    budget = limit if limit is not None else -1

    async def write(chunk: bytes) -> bool:
        nonlocal budget
        if budget == 0:
            return False
        if budget > 0:
            chunk = chunk[:budget]
            budget -= len(chunk)
        await response.write(chunk)
        return budget != 0

    try:
        going = True
        for line in lines:
            going = going and await write(line.render(stamps).encode())
        while going:
            fresh = await log.wait_after(last, run, timeout=1.0)
            for line in fresh:
                going = going and await write(line.render(stamps).encode())
                last = line.seq
            if not fresh and not log.is_open(run):
                break
        await response.write_eof()
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    return response
