"""Authentication, health, channels, alerts and recordings endpoints."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from twin.focus_server import VERSION, alerts, health, recordings
from twin.focus_server.auth import unauthorized
from twin.focus_server.errors import invalid, not_found
from twin.focus_server.runtime import Runtime, authorize, runtime
from twin.focus_server.validation import read_json_object
from twin.grpc_job.protocol import parse_utc
from variables import constants

public = APIRouter()
protected = APIRouter(dependencies=[Depends(authorize)])
State = Annotated[Runtime, Depends(runtime)]

TOKEN_SCHEMA = {
    "type": "object",
    "required": ["username", "password"],
    "properties": {
        "username": {"type": "string"},
        "password": {"type": "string"},
        "expires_in": {"type": "number", "minimum": 1},
    },
}


def _string(body: dict, field: str) -> str:
    value = body.get(field)
    if not isinstance(value, str):
        raise invalid(field, f"{field} must be a string")
    return value


@public.post(
    "/auth/token",
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": TOKEN_SCHEMA}}}
    },
)
async def issue_token(request: Request, state: State) -> dict:
    """A bearer token for the configured user; ``expires_in`` may shorten it."""
    body = await read_json_object(request)
    username, password = _string(body, "username"), _string(body, "password")
    ttl = body.get("expires_in")
    if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int | float) or ttl < 1):
        raise invalid("expires_in", "expires_in must be a number of seconds >= 1")
    if not state.settings.credentials_ok(username, password):
        raise unauthorized("wrong username or password")
    token, expires_in = state.signer.issue(username, ttl)
    return {"access_token": token, "token_type": "bearer", "expires_in": expires_in}


@public.get("/health")
async def get_health(state: State) -> JSONResponse:
    """200 when MongoDB and RabbitMQ answer, else 503 ``degraded`` (within 2 s)."""
    deps = await health.dependencies(state.settings.mongo_ping, state.settings.rabbitmq)
    healthy = all(value == "ok" for value in deps.values())
    body = {"status": "ok" if healthy else "degraded", "version": VERSION, "dependencies": deps}
    return JSONResponse(body, status_code=200 if healthy else 503)


@protected.get("/channels")
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


@protected.get("/alerts")
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


@protected.post("/alerts/{alert_id}/ack")
async def acknowledge_alert(alert_id: str, state: State) -> dict:
    """Mark an alert acknowledged."""
    alert = await asyncio.to_thread(alerts.acknowledge, state.db, alert_id)
    if alert is None:
        raise not_found(f"alert {alert_id}")
    return alert


@protected.get("/recordings")
async def list_recordings(state: State, start: str | None = None, end: str | None = None) -> dict:
    """Recordings overlapping ``[start, end]`` (either bound optional)."""
    low, high = _optional_time(start, "start"), _optional_time(end, "end")
    if low is not None and high is not None and not low < high:
        raise invalid("start", "need start < end")
    found = await asyncio.to_thread(recordings.overlapping, state.db, low, high)
    return {"recordings": found}
