"""HTTP for the publishing scripts: a timeout on every call, retries with backoff on 429 and
5xx (honouring ``Retry-After``), one clear line on failure, and no credential in any text.

Every failure becomes a :class:`PublishError` whose message is one line, already redacted.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests

TIMEOUT = (10.0, 120.0)  # (connect, read) seconds: no call waits for ever
RETRIES = 4  # retries after the first try, on 429, 5xx and connection errors
BACKOFF = 2.0  # seconds before the first retry; doubles each time
MAX_WAIT = 120.0  # the longest single wait, whatever Retry-After asks for
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

HINTS = {
    400: "the server rejected the request",
    401: "the credentials were refused: check the token or API key (they are not shown here)",
    403: "the account lacks permission for this project",
    404: "not found: check the base URL and the issue key",
    413: "the upload is too large",
}


class PublishError(RuntimeError):
    """A one-line, redacted explanation of what went wrong and what to do."""


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret value (at least 4 characters long) replaced by ``***``."""
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def error_text(response: requests.Response) -> str:
    """The error message in an Xray (``{"error": ...}``) or Jira (``errorMessages``) body."""
    try:
        body = response.json()
    except ValueError:
        return " ".join(response.text.split())[:300]
    if isinstance(body, dict):
        parts: list[str] = []
        if isinstance(body.get("error"), str):
            parts.append(body["error"])
        parts += [str(m) for m in body.get("errorMessages") or []]
        errors = body.get("errors")
        if isinstance(errors, dict):
            parts += [f"{k}: {v}" for k, v in errors.items()]
        elif isinstance(errors, list):  # GraphQL
            parts += [str(e.get("message", e)) for e in errors if isinstance(e, dict)]
        if parts:
            return "; ".join(parts)[:300]
    return " ".join(str(body).split())[:300]


def retry_after(response: requests.Response) -> float | None:
    """Seconds asked for by a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class Http:
    """A ``requests`` session bound to one base URL, with the policy above."""

    def __init__(
        self,
        base_url: str,
        *,
        label: str,
        secrets: Iterable[str] = (),
        timeout: tuple[float, float] = TIMEOUT,
        retries: int = RETRIES,
        backoff: float = BACKOFF,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if urlsplit(base_url).scheme not in ("http", "https"):
            raise PublishError(f"{label}: '{base_url}' is not an http(s) URL")
        self.base_url = base_url.rstrip("/")
        self.label = label
        self.secrets = set(secrets)
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep
        self.session = requests.Session()
        self.session.trust_env = False  # no proxy from the environment: straight to base_url
        self.headers: dict[str, str] = {}

    def add_secret(self, value: str) -> None:
        self.secrets.add(value)

    def fail(self, message: str) -> PublishError:
        return PublishError(redact(f"{self.label}: {message}", self.secrets))

    def request(
        self, method: str, path: str, *, expect: Iterable[int] = (200, 201), **kwargs
    ) -> requests.Response:
        url = path if path.startswith(("http://", "https://")) else self.base_url + path
        where = f"{method} {urlsplit(url).path}"
        headers = {**self.headers, **kwargs.pop("headers", {})}
        expect = tuple(expect)
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                response = self.session.request(
                    method, url, headers=headers, timeout=self.timeout, **kwargs
                )
            except requests.Timeout:
                if last:
                    raise self.fail(
                        f"{where} timed out after {attempt + 1} tries "
                        f"(connect {self.timeout[0]:g}s, read {self.timeout[1]:g}s)"
                    ) from None
                self.sleep(self.backoff * 2**attempt)
                continue
            except requests.RequestException as error:
                if last:
                    reason = type(error).__name__
                    raise self.fail(
                        f"{where}: could not reach {urlsplit(url).netloc} after "
                        f"{attempt + 1} tries ({reason}); check the base URL and the network"
                    ) from None
                self.sleep(self.backoff * 2**attempt)
                continue
            if response.status_code in expect:
                return response
            if response.status_code in RETRY_STATUSES and not last:
                asked = retry_after(response)
                wait = asked if asked is not None else self.backoff * 2**attempt
                self.sleep(min(wait, MAX_WAIT))
                continue
            hint = HINTS.get(response.status_code, "")
            if response.status_code in RETRY_STATUSES:
                hint = f"still failing after {attempt + 1} tries; try again later"
            detail = error_text(response)
            message = f"{where} answered HTTP {response.status_code}"
            if detail:
                message += f": {detail}"
            if hint:
                message += f" ({hint})"
            raise self.fail(message)
        raise AssertionError("unreachable")

    def json(self, method: str, path: str, **kwargs):
        response = self.request(method, path, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise self.fail(
                f"{method} {urlsplit(response.url).path} answered something that is not JSON"
            ) from None
