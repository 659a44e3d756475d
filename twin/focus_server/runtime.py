"""The per-application state every route reaches through ``request.app.state.focus``."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from pymongo.database import Database

from twin.focus_server.auth import RateLimiter, TokenSigner, bearer_token, rate_limited
from twin.focus_server.lifecycle import TaskManager
from twin.focus_server.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    db: Database
    manager: TaskManager
    signer: TokenSigner
    limiter: RateLimiter


def runtime(request: Request) -> Runtime:
    """FastAPI dependency: this application's runtime."""
    return request.app.state.focus


async def authorize(request: Request) -> None:
    """FastAPI dependency: a valid, unexpired bearer token within its rate limit."""
    state: Runtime = request.app.state.focus
    payload = state.signer.verify(bearer_token(request.headers.get("authorization")))
    wait = state.limiter.take(str(payload.get("jti")))
    if wait:
        raise rate_limited(wait)
