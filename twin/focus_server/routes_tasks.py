"""Task endpoints: configure, metadata, ack, waterfall, dynamic ROI, delete."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from twin.focus_server import recordings, views
from twin.focus_server.errors import ApiError
from twin.focus_server.runtime import Runtime, authorize, runtime
from twin.focus_server.store import as_utc
from twin.focus_server.validation import read_json_object, validate_configure, validate_roi
from twin.grpc_job.protocol import format_time, parse_utc

router = APIRouter(dependencies=[Depends(authorize)])
State = Annotated[Runtime, Depends(runtime)]

_RANGE = {
    "type": "object",
    "required": ["min", "max"],
    "properties": {"min": {"type": "number"}, "max": {"type": "number"}},
}
CONFIGURE_SCHEMA = {
    "type": "object",
    "required": ["timeStatus", "viewType", "nfft", "channels", "frequencyRange"],
    "properties": {
        "timeStatus": {"enum": ["Live", "Historic"]},
        "viewType": {"enum": ["MultiChannel", "SingleChannel", "Waterfall", "ROI"]},
        "nfft": {"type": "integer"},
        "overlap": {"type": "integer"},
        "channels": _RANGE,
        "frequencyRange": _RANGE,
        "startTime": {"type": ["string", "null"], "format": "date-time"},
        "endTime": {"type": ["string", "null"], "format": "date-time"},
    },
}


def _body_doc(schema: dict) -> dict:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


@router.post("/configure", openapi_extra=_body_doc(CONFIGURE_SCHEMA))
async def configure(request: Request, state: State) -> dict:
    """Create a task (waiting) and start its gRPC job."""
    config = validate_configure(await read_json_object(request), datetime.now(UTC))
    if config["timeStatus"] == "Historic":
        start, end = parse_utc(config["startTime"]), parse_utc(config["endTime"])
        if not await asyncio.to_thread(recordings.covers, state.db, start, end):
            raise ApiError(404, "NO_RECORDING", "no recording covers the requested range")
    task = await state.manager.create(config)
    return {"task_id": task["task_id"], "status": task["status"], "stream": task["stream"]}


@router.get("/metadata/{task_id}")
@router.get("/task/{task_id}/metadata")
async def task_metadata(task_id: str, state: State) -> dict:
    """The task's full metadata (contract section 2)."""
    return views.metadata(await state.manager.get(task_id))


@router.get("/ack/{task_id}")
async def ack(task_id: str, state: State) -> dict:
    """The task's status and when it last changed."""
    task = await state.manager.get(task_id)
    updated = format_time(as_utc(task["updated_at"]))
    return {"task_id": task_id, "status": task["status"], "updated_at": updated}


@router.get("/waterfall/{task_id}")
async def waterfall(
    task_id: str, state: State, rows: Annotated[int, Query(ge=1, le=1000)] = 10
) -> dict:
    """The newest ``rows`` waterfall rows (none while the task waits)."""
    task = await state.manager.get(task_id)
    produced = await asyncio.to_thread(views.waterfall, task, rows, time.time())
    return {"task_id": task_id, "rows": produced}


@router.post(
    "/config_task/{task_id}",
    openapi_extra=_body_doc(
        {"type": "object", "properties": {"channels": _RANGE, "frequencyRange": _RANGE}}
    ),
)
async def config_task(task_id: str, request: Request, state: State) -> dict:
    """Dynamic ROI: new channels and/or frequencyRange; answers the new metadata."""
    body = await read_json_object(request)
    task = await state.manager.get(task_id)
    changes = validate_roi(body, task["config"])
    return views.metadata(await state.manager.reconfigure(task_id, changes))


@router.delete("/task/{task_id}")
async def delete_task(task_id: str, state: State) -> dict:
    """Stop the task and its job, freeing its capacity (idempotent)."""
    await state.manager.stop(task_id)
    return {"task_id": task_id, "status": "stopped"}
