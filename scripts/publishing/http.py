"""HTTP for the publishing scripts: a timeout on every call, retries that are safe, one clear
line on failure, and no credential in any text.

- 429 (rate limit): waits ``Retry-After`` when the answer has one; without it (Xray Cloud
  has answered 429 without the header: XRAYCLOUD-1399) at least 60 s, doubling. Xray Cloud
  counts requests over a 5-minute window, so 30 s of back-off in total is not enough.
- 5xx and lost connections: retried with exponential back-off when the request is
  idempotent. A request that is not (``idempotent=False``: the import, a GraphQL mutation)
  is retried only when it never reached the server (the connection was refused or not
  made); otherwise :class:`MaybeSent` tells the caller, who can check whether the server
  did the work before sending it again.
- Every call is bounded: ``timeout`` per try, and ``deadline`` seconds for all its waits.

Every failure becomes a :class:`PublishError` whose message is one line, already redacted.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests

from libraries.common.redact import redact  # the project's one redactor

TIMEOUT = (10.0, 120.0)  # (connect, read) seconds: no call waits for ever
RETRIES = 5  # retries after the first try
BACKOFF = 2.0  # seconds before the first retry of a 5xx or a lost connection; doubles
MIN_429_WAIT = 60.0  # a 429 without Retry-After waits at least this long, doubling
DEADLINE = 600.0  # all the waits of one call together, whatever Retry-After asks for
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


class MaybeSent(PublishError):
    """A request that is not idempotent may have been done by the server: its answer was
    lost (read timeout, dropped connection) or was a 5xx. Do not simply send it again."""


def _unsent(error: requests.RequestException) -> bool:
    """True when the request cannot have reached the server (no connection was made)."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    if not isinstance(error, requests.ConnectionError):
        return False
    text = repr(error)
    return (
        any(
            marker in text
            for marker in ("NewConnectionError", "NameResolutionError", "Connection refused")
        )
        and "RemoteDisconnected" not in text
    )


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
        deadline: float = DEADLINE,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if urlsplit(base_url).scheme not in ("http", "https"):
            raise PublishError(f"{label}: '{base_url}' is not an http(s) URL")
        self.base_url = base_url.rstrip("/")
        self.label = label
        self.secrets = set(secrets)
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.deadline = deadline
        self.sleep = sleep
        self.clock = clock or time.monotonic
        if clock is None and sleep is not time.sleep:
            # A test's own sleep: the deadline counts what was slept.
            slept = _SleptClock()

            def sleeping(seconds: float) -> None:
                slept.total += seconds
                sleep(seconds)

            self.sleep, self.clock = sleeping, slept
        self.session = requests.Session()
        self.session.trust_env = False  # no proxy from the environment: straight to base_url
        self.headers: dict[str, str] = {}

    def add_secret(self, value: str) -> None:
        self.secrets.add(value)

    def fail(self, message: str) -> PublishError:
        return PublishError(redact(f"{self.label}: {message}", self.secrets))

    def request(
        self,
        method: str,
        path: str,
        *,
        expect: Iterable[int] = (200, 201),
        idempotent: bool | None = None,
        **kwargs,
    ) -> requests.Response:
        url = path if path.startswith(("http://", "https://")) else self.base_url + path
        where = f"{method} {urlsplit(url).path}"
        headers = {**self.headers, **kwargs.pop("headers", {})}
        expect = tuple(expect)
        if idempotent is None:
            idempotent = method in ("GET", "HEAD", "PUT", "DELETE", "OPTIONS")
        started = self.clock()
        waited_for = ""
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                response = self.session.request(
                    method, url, headers=headers, timeout=self.timeout, **kwargs
                )
            except requests.RequestException as error:
                unsent = _unsent(error)
                if isinstance(error, requests.Timeout) and not unsent:
                    what = (
                        f"{where} timed out after {attempt + 1} tries "
                        f"(connect {self.timeout[0]:g}s, read {self.timeout[1]:g}s)"
                    )
                else:
                    what = (
                        f"{where}: could not reach {urlsplit(url).netloc} after "
                        f"{attempt + 1} tries ({type(error).__name__}); check the base URL "
                        "and the network"
                    )
                if not unsent and not idempotent:
                    raise MaybeSent(redact(f"{self.label}: {what}", self.secrets)) from None
                wait = self.backoff * 2**attempt
                if last or not self._may_wait(started, wait):
                    raise self.fail(what) from None
                self.sleep(wait)
                continue
            if response.status_code in expect:
                return response
            status = response.status_code
            if status in RETRY_STATUSES:
                asked = retry_after(response)
                if status == 429:
                    # Refused, so not done: safe to send again, also when not idempotent.
                    wait = asked if asked is not None else MIN_429_WAIT * 2**attempt
                    waited_for = "rate limit (429)"
                elif not idempotent:
                    message = self._message(where, response, attempt, retrying=False)
                    raise MaybeSent(redact(f"{self.label}: {message}", self.secrets))
                else:
                    wait = asked if asked is not None else self.backoff * 2**attempt
                    waited_for = f"HTTP {status}"
                if not last and self._may_wait(started, wait):
                    self.sleep(wait)
                    continue
                raise self.fail(
                    self._message(where, response, attempt, retrying=True, waited=waited_for)
                )
            raise self.fail(self._message(where, response, attempt, retrying=False))
        raise AssertionError("unreachable")

    def _may_wait(self, started: float, wait: float) -> bool:
        return self.clock() - started + wait <= self.deadline

    def _message(
        self, where: str, response, attempt: int, *, retrying: bool, waited: str = ""
    ) -> str:
        status = response.status_code
        hint = HINTS.get(status, "")
        if retrying:
            spent = "" if not waited else f", {waited}"
            hint = (
                f"still failing after {attempt + 1} tries within the {self.deadline:g} s "
                f"deadline{spent}; try again later"
            )
        detail = error_text(response)
        message = f"{where} answered HTTP {status}"
        if detail:
            message += f": {detail}"
        if hint:
            message += f" ({hint})"
        return message

    def json(self, method: str, path: str, **kwargs):
        response = self.request(method, path, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise self.fail(
                f"{method} {urlsplit(response.url).path} answered something that is not JSON"
            ) from None


class _SleptClock:
    """Time as an injected ``sleep`` sees it: the sum of what was slept (tests)."""

    def __init__(self) -> None:
        self.total = 0.0

    def __call__(self) -> float:
        return self.total
