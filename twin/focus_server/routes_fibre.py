"""The fibre's data: its channels, the alerts raised on it and its recordings (token needed)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from contract import constants
from twin.focus_server import alerts, recordings
from twin.focus_server.errors import invalid, not_found
from twin.focus_server.runtime import Runtime, authorize, runtime
from twin.grpc_job.protocol import parse_utc

router = APIRouter(dependencies=[Depends(authorize)])
State = Annotated[Runtime, Depends(runtime)]


@router.get("/channels")
async def channels() -> dict:
    """Every channel of the fibre."""
    return {
        "lowest_channel": 1,
        "highest_channel": constants.SENSORS_RANGE,
        "channels": list(range(1, constants.SENSORS_RANGE + 1)),
    }


def _optional_time(value: str | None, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_utc(value)
    except ValueError:
        raise invalid(field, f"{field} must be an ISO-8601 UTC timestamp") from None


def _choice(value: int | None, field: str, choices: dict) -> int | None:
    if value is not None and value not in choices:
        raise invalid(field, f"{field} must be one of {', '.join(map(str, choices))}")
    return value


@router.get("/alerts")
async def list_alerts(
    state: State,
    since: str | None = None,
    class_id: Annotated[int | None, Query(alias="classId")] = None,
    severity: int | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Stored alerts, newest first, filtered by time, class and severity."""
    found = await asyncio.to_thread(
        alerts.search,
        state.db,
        _optional_time(since, "since"),
        _choice(class_id, "classId", constants.ALERT_CLASSES),
        _choice(severity, "severity", constants.ALERT_SEVERITIES),
        limit,
    )
    return {"alerts": found}


@router.post("/alerts/{alert_id}/ack")
async def acknowledge_alert(alert_id: str, state: State) -> dict:
    """Mark an alert acknowledged."""
    alert = await asyncio.to_thread(alerts.acknowledge, state.db, alert_id)
    if alert is None:
        raise not_found(f"alert {alert_id}")
    return alert


@router.get("/recordings")
async def list_recordings(state: State, start: str | None = None, end: str | None = None) -> dict:
    """Recordings overlapping ``[start, end]`` (either bound optional)."""
    low, high = _optional_time(start, "start"), _optional_time(end, "end")
    if low is not None and high is not None and not low < high:
        raise invalid("start", "need start < end")
    found = await asyncio.to_thread(recordings.overlapping, state.db, low, high)
    return {"recordings": found}
