"""liveView routes: the page, its static modules, the cookie session, and the tasks list.

``GET /liveView`` serves the single page; ``/liveView/static/`` its CSS and JavaScript
modules. ``/liveView/session`` logs in (``POST``), tells the page who is logged in and
its CSRF token (``GET``) and logs out (``DELETE``, CSRF checked). ``GET
/focus-server/tasks`` *(decided)* lists the active tasks and the capacity in use, for
the tasks view; it takes a bearer token or a session like every API endpoint.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from twin.focus_server import API_PREFIX
from twin.focus_server.auth import check_login
from twin.focus_server.errors import invalid
from twin.focus_server.liveview import UI_PREFIX
from twin.focus_server.runtime import Runtime, authorize, runtime
from twin.focus_server.sessions import COOKIE, Sessions, session_expired, sessions_of
from twin.focus_server.store import as_utc
from twin.focus_server.validation import read_json_object
from twin.grpc_job.protocol import format_time

STATIC = Path(__file__).parent / "static"
# The page loads only its own files and talks only to its own server.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}

ui = APIRouter()
api = APIRouter(dependencies=[Depends(authorize)])
State = Annotated[Runtime, Depends(runtime)]


def _session_body(sessions: Sessions, payload: dict) -> dict:
    return {
        "user": payload["sub"],
        "expires_at": payload["exp"],
        "csrf_token": sessions.csrf_token(payload),
    }


@ui.get(UI_PREFIX, include_in_schema=False)
@ui.get(f"{UI_PREFIX}/", include_in_schema=False)
async def page() -> FileResponse:
    """The single page of the UI (login, configure, task, tasks and alerts views)."""
    return FileResponse(STATIC / "index.html", media_type="text/html", headers=PAGE_HEADERS)


@ui.post(f"{UI_PREFIX}/session", include_in_schema=False)
async def log_in(request: Request, state: State) -> JSONResponse:
    """Log in with ``{"username","password"}`` (``expires_in`` may shorten the session)."""
    body = await read_json_object(request)
    username, password = body.get("username"), body.get("password")
    if not username or not password:
        raise invalid("username" if not username else "password", "username and password needed")
    ttl = body.get("expires_in")
    check_login(username, password, ttl, state.settings.accounts())
    sessions = sessions_of(request)
    cookie, payload = sessions.issue(username, ttl)
    response = JSONResponse(_session_body(sessions, payload), headers={"Cache-Control": "no-store"})
    response.set_cookie(COOKIE, cookie, path="/", secure=True, httponly=True, samesite="strict")
    return response


def _current(request: Request) -> dict:
    cookie = request.cookies.get(COOKIE)
    if cookie is None:
        raise session_expired("not logged in")
    return sessions_of(request).verify(cookie)


@ui.get(f"{UI_PREFIX}/session", include_in_schema=False)
async def who_am_i(request: Request) -> JSONResponse:
    """The logged-in user, when the session ends and its CSRF token; 401 without a session."""
    body = _session_body(sessions_of(request), _current(request))
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@ui.delete(f"{UI_PREFIX}/session", include_in_schema=False)
async def log_out(request: Request) -> JSONResponse:
    """Log out: the session is revoked (CSRF checked) and its cookie cleared."""
    sessions = sessions_of(request)
    payload = _current(request)
    sessions.check_csrf(request, payload)
    sessions.revoke(payload)
    response = JSONResponse({"status": "logged out"}, headers={"Cache-Control": "no-store"})
    response.delete_cookie(COOKIE, path="/", secure=True, httponly=True, samesite="strict")
    return response


@api.get("/tasks")
async def list_tasks(state: State) -> dict:
    """The tasks waiting or running, oldest first, and the capacity in use (decided)."""
    tasks = await asyncio.to_thread(state.manager.store.active)
    tasks.sort(key=lambda task: as_utc(task["created_at"]))
    return {
        "tasks": [
            {
                "task_id": task["task_id"],
                "status": task["status"],
                "timeStatus": task["config"]["timeStatus"],
                "viewType": task["config"]["viewType"],
                "created_at": format_time(as_utc(task["created_at"])),
            }
            for task in tasks
        ],
        "active": len(tasks),
        "max_windows": state.settings.max_windows,
    }


def install(app: FastAPI, state: Runtime) -> None:
    """Serve the UI on ``app``; sessions last as long as bearer tokens."""
    app.state.liveview_sessions = Sessions.derived_from(
        state.settings.token_signing_key.encode(), state.settings.token_ttl_s, state.settings.clock
    )
    app.include_router(ui)
    app.include_router(api, prefix=API_PREFIX)
    app.mount(f"{UI_PREFIX}/static", StaticFiles(directory=STATIC), name="liveview-static")
