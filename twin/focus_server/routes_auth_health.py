"""The endpoints a caller reaches without a token: ``POST /auth/token`` and ``GET /health``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from twin.focus_server import VERSION, health
from twin.focus_server.auth import check_login
from twin.focus_server.errors import invalid
from twin.focus_server.runtime import Runtime, runtime
from twin.focus_server.validation import read_json_object

router = APIRouter()
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


@router.post(
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
    settings = state.settings
    check_login(username, password, ttl, settings.accounts())
    token, expires_in = state.signer.issue(username, ttl)
    return {"access_token": token, "token_type": "bearer", "expires_in": expires_in}


@router.get("/health")
async def get_health(state: State) -> JSONResponse:
    """200 when MongoDB and RabbitMQ answer, else 503 ``degraded`` (within 2 s)."""
    deps = await health.dependencies(state.settings.mongo_ping, state.settings.rabbitmq)
    healthy = all(value == "ok" for value in deps.values())
    body = {"status": "ok" if healthy else "degraded", "version": VERSION, "dependencies": deps}
    return JSONResponse(body, status_code=200 if healthy else 503)
