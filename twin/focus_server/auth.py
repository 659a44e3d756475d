"""Bearer tokens (HMAC-SHA256 signed, with expiry) and the per-token rate limit."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import math
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from twin.focus_server.errors import ApiError, invalid

# A real server's audit log says whose login failed (lockout, fail2ban): so does the twin's.
audit = logging.getLogger("focus_server.audit")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def unauthorized(message: str) -> ApiError:
    return ApiError(401, "UNAUTHORIZED", message, None, {"WWW-Authenticate": "Bearer"})


@dataclass
class TokenSigner:
    """Issues and verifies ``<payload>.<signature>`` tokens."""

    key: bytes
    default_ttl_s: int
    clock: Callable[[], float] = time.time

    def issue(self, subject: str, ttl_s: float | None = None) -> tuple[str, float]:
        """A token for ``subject`` valid ``ttl_s`` seconds (capped to the default, min 1)."""
        ttl = self.default_ttl_s if ttl_s is None else min(max(ttl_s, 1), self.default_ttl_s)
        payload = {"sub": subject, "exp": self.clock() + ttl, "jti": secrets.token_hex(8)}
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        return f"{body}.{self._sign(body)}", ttl

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self.key, body.encode(), hashlib.sha256).digest())

    def verify(self, token: str) -> dict:
        """The token's payload; raises a 401 ApiError when malformed, forged or expired."""
        body, _, signature = token.partition(".")
        if not body or not signature or not hmac.compare_digest(signature, self._sign(body)):
            raise unauthorized("invalid token")
        try:
            payload = json.loads(_unb64(body))
        except (binascii.Error, ValueError):
            raise unauthorized("invalid token") from None
        if not isinstance(payload, dict) or not isinstance(payload.get("exp"), int | float):
            raise unauthorized("invalid token")
        if payload["exp"] <= self.clock():
            raise unauthorized("token expired")
        return payload


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class RateLimiter:
    """A token bucket per key: ``rate`` requests/s sustained, ``burst`` at once."""

    rate: float
    burst: int
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, _Bucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, key: str) -> float:
        """0 when the request may go on, else the seconds to wait before retrying."""
        now = self.clock()
        with self._lock:
            bucket = self._buckets.setdefault(key, _Bucket(float(self.burst), now))
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return 0.0
            return (1 - bucket.tokens) / self.rate


def check_login(
    username: object, password: object, expires_in: object, accounts: Mapping[str, str]
) -> None:
    """A login (``POST /auth/token`` or the UI's session): ``expires_in`` absent or a number of
    seconds >= 1 (else a 400), then the credentials, one account of ``accounts`` (user ->
    password), compared in constant time against every account (else a 401)."""
    if expires_in is not None and (
        isinstance(expires_in, bool) or not isinstance(expires_in, int | float) or expires_in < 1
    ):
        raise invalid("expires_in", "expires_in must be a number of seconds >= 1")
    found = False
    for user, user_password in accounts.items():
        found |= _same(username, user) & _same(password, user_password)
    if not found:
        audit.warning("login refused for user %r", str(username)[:100])
        raise unauthorized("wrong username or password")


def _same(given: object, expected: str) -> bool:
    return isinstance(given, str) and hmac.compare_digest(given.encode(), expected.encode())


def bearer_token(header: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header, or a 401."""
    if not header:
        raise unauthorized("missing Authorization header")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("malformed Authorization header")
    return token.strip()


def rate_limited(wait_s: float) -> ApiError:
    retry = str(max(1, math.ceil(wait_s)))
    return ApiError(429, "RATE_LIMITED", "too many requests", None, {"Retry-After": retry})
