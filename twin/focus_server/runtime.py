"""The per-application state every route reaches through ``request.app.state.focus``."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from pymongo.database import Database

from twin.focus_server.auth import RateLimiter, TokenSigner, bearer_token, rate_limited
from twin.focus_server.lifecycle import TaskManager
from twin.focus_server.sessions import cookie_session
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
    """FastAPI dependency: a valid, unexpired bearer token within its rate limit.

    Without an ``Authorization`` header, a liveView cookie session (CSRF checked) will do.
    """
    state: Runtime = request.app.state.focus
    header = request.headers.get("authorization")
    session = None if header else cookie_session(request)
    if session is not None:
        wait = state.limiter.take(f"session:{session.get('sid')}")
    else:
        payload = state.signer.verify(bearer_token(header))
        wait = state.limiter.take(str(payload.get("jti")))
    if wait:
        raise rate_limited(wait)
