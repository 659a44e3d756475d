"""ASGI middleware: security headers, the 1 MiB body limit, the one-line access log."""

from __future__ import annotations

import json
import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from twin.request_context import REQUEST_ID, clean

log = logging.getLogger("focus_server.access")


async def _send_json(send: Send, status: int, body: dict) -> None:
    payload = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(payload))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def _too_large(limit: int) -> dict:
    message = f"request body exceeds {limit} bytes"
    return {"error": {"code": "PAYLOAD_TOO_LARGE", "message": message, "field": None}}


# Contract section 2 (decided): every answer; ``Cache-Control: no-store`` on API answers.
SECURITY_HEADERS = (
    (b"strict-transport-security", b"max-age=31536000; includeSubDomains"),
    (b"x-content-type-options", b"nosniff"),
)
NO_STORE = (b"cache-control", b"no-store")


def security_headers(api: bool) -> list[tuple[bytes, bytes]]:
    """The headers every answer carries (``api``: an answer of the REST API)."""
    return [*SECURITY_HEADERS, NO_STORE] if api else list(SECURITY_HEADERS)


class SecurityHeadersMiddleware:
    """Add :data:`SECURITY_HEADERS` to every answer and ``Cache-Control: no-store`` to the
    answers of paths under ``api_prefix`` (a header the route set itself is replaced)."""

    def __init__(self, app: ASGIApp, api_prefix: str) -> None:
        self.app = app
        self.api_prefix = api_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = security_headers(scope["path"].startswith(self.api_prefix))
        names = {name for name, _ in added}

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message = {**message, "headers": kept + added}
            await send(message)

        await self.app(scope, receive, with_headers)


class BodyLimitMiddleware:
    """Answer 413 when Content-Length or the streamed body exceeds ``limit`` bytes.

    The body is read (up to the limit) before the application runs and replayed to it,
    so the application never sees an oversized request.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _send_json(send, 413, _too_large(self.limit))
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await _send_json(send, 413, _too_large(self.limit))
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


class AccessLogMiddleware:
    """Log ``METHOD path status ms`` per request (no query string, no headers)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        rid = clean(dict(scope.get("headers", [])).get(b"x-request-id"))
        token = REQUEST_ID.set(rid)

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            log.info("%s %s %d %.1fms", scope["method"], scope["path"], status, elapsed)
            REQUEST_ID.reset(token)
