"""Cookie sessions of the liveView UI and their CSRF tokens.

A session is a signed cookie ``<payload>.<signature>`` (HMAC-SHA256 with a key derived
from the server's token key, so a bearer token is never a valid session and the other
way round). Its CSRF token is derived from the session id; the page reads it from
``GET /liveView/session`` and sends it as ``X-CSRF-Token`` on every state-changing
request, else ``403``. Logout revokes the session id until the session would have expired.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import Request

from twin.focus_server.errors import ApiError

COOKIE = "liveview_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def session_expired(message: str) -> ApiError:
    return ApiError(401, "SESSION_EXPIRED", message)


def csrf_refused(message: str) -> ApiError:
    return ApiError(403, "CSRF_REJECTED", message)


@dataclass
class Sessions:
    """Issues, verifies and revokes cookie sessions."""

    key: bytes
    default_ttl_s: int
    clock: Callable[[], float] = time.time
    _revoked: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def derived_from(cls, token_key: bytes, ttl_s: int, clock: Callable[[], float]) -> Sessions:
        key = hmac.new(token_key, b"liveview-session", hashlib.sha256).digest()
        return cls(key, ttl_s, clock)

    def _mac(self, purpose: str, text: str) -> str:
        return _b64(hmac.new(self.key, f"{purpose}:{text}".encode(), hashlib.sha256).digest())

    def issue(self, subject: str, ttl_s: float | None = None) -> tuple[str, dict]:
        """A new session cookie value and its payload (``ttl_s`` capped to the default)."""
        ttl = self.default_ttl_s if ttl_s is None else min(max(ttl_s, 1), self.default_ttl_s)
        payload = {"sub": subject, "exp": self.clock() + ttl, "sid": secrets.token_hex(16)}
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        return f"{body}.{self._mac('session', body)}", payload

    def verify(self, cookie: str) -> dict:
        """The session's payload; a 401 when forged, expired or logged out."""
        body, _, signature = cookie.partition(".")
        if not body or not hmac.compare_digest(signature, self._mac("session", body)):
            raise session_expired("invalid session: log in again")
        try:
            payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except (binascii.Error, ValueError):
            raise session_expired("invalid session: log in again") from None
        if not isinstance(payload, dict) or not isinstance(payload.get("exp"), int | float):
            raise session_expired("invalid session: log in again")
        if payload["exp"] <= self.clock():
            raise session_expired("session expired: log in again")
        with self._lock:
            if payload.get("sid") in self._revoked:
                raise session_expired("logged out: log in again")
        return payload

    def csrf_token(self, payload: dict) -> str:
        return self._mac("csrf", str(payload.get("sid")))

    def check_csrf(self, request: Request, payload: dict) -> None:
        """State-changing requests must carry the session's CSRF token, else 403."""
        if request.method in SAFE_METHODS:
            return
        given = request.headers.get(CSRF_HEADER)
        if not given:
            raise csrf_refused(f"missing {CSRF_HEADER} header on a {request.method} request")
        if not hmac.compare_digest(given.encode(), self.csrf_token(payload).encode()):
            raise csrf_refused(f"wrong {CSRF_HEADER} header")

    def revoke(self, payload: dict) -> None:
        now = self.clock()
        with self._lock:
            self._revoked = {sid: exp for sid, exp in self._revoked.items() if exp > now}
            self._revoked[str(payload.get("sid"))] = float(payload["exp"])


def sessions_of(request: Request) -> Sessions:
    return request.app.state.liveview_sessions


def cookie_session(request: Request) -> dict | None:
    """The request's verified session (CSRF checked), or None when it has no session cookie."""
    cookie = request.cookies.get(COOKIE)
    if cookie is None:
        return None
    sessions = sessions_of(request)
    payload = sessions.verify(cookie)
    sessions.check_csrf(request, payload)
    return payload
