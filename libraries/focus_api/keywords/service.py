"""Keywords for the service-level endpoints: health, channels, alerts, recordings, raw."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from assertionengine import AssertionOperator, verify_assertion
from robot.api import logger
from robot.api.deco import keyword
from robot.api.types import Secret

from libraries.focus_api.keywords.base import (
    LibraryComponent,
    body_of,
    check_status,
    parse,
)
from libraries.focus_api.models import (
    Alert,
    ChannelsResponse,
    HealthResponse,
    Recording,
    TokenResponse,
    parse_utc,
)
from libraries.safety import destructive


class ServiceKeywords(LibraryComponent):
    """Health, channels, alerts, recordings and `Send Raw Request`."""

    @keyword
    def get_health(
        self, expected_status: int | str = 200, timeout: timedelta | None = None
    ) -> dict:
        """``GET /health`` (no token needed); returns the body, checked against the contract.

        ``expected_status=503`` checks a degraded answer; ``timeout`` is a total deadline
        for the whole answer (e.g. ``2s`` for the PZ-13640 check), not a read timeout.

        | ${health} = | `Get Health` |
        | `Get Health` | expected_status=503 | timeout=2s |
        """
        seconds = timeout.total_seconds() if timeout else None
        response = self.client.health(timeout=seconds)
        check_status(response, expected_status, error_body=False)
        return parse(HealthResponse, body_of(response), "GET /health").model_dump(by_alias=True)

    @keyword
    def get_health_status(
        self,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
    ) -> str:
        """The ``status`` of ``GET /health`` (``ok`` or ``degraded``), with an optional assertion.

        | `Get Health Status` | == | ok |
        | ${status} = | `Get Health Status` |
        """
        body = parse(HealthResponse, body_of(self.client.health()), "GET /health")
        return verify_assertion(
            body.status,
            assertion_operator,
            assertion_expected,
            "Health status",
            message,
        )

    @keyword
    def get_channels(self, expected_status: int | str = 200) -> dict:
        """``GET /channels``: ``lowest_channel``, ``highest_channel`` and ``channels``.

        | ${channels} = | `Get Channels` |
        | Should Be Equal As Integers | ${channels}[highest_channel] | ${SENSORS_RANGE} |
        """
        response = self.client.channels()
        check_status(response, expected_status)
        if response.status_code != 200:
            return body_of(response)
        return parse(ChannelsResponse, body_of(response), "GET /channels").model_dump()

    @keyword
    def get_alerts(
        self,
        since: str | None = None,
        class_id: int | None = None,
        severity: int | None = None,
        limit: int | None = None,
    ) -> list[dict]:
        """``GET /alerts`` with optional filters and page size ``limit`` (the server's
        default page without it); newest first, each checked against the contract.

        | ${alerts} = | `Get Alerts` | class_id=104 | severity=3 |
        | ${page} = | `Get Alerts` | since=${since} | limit=2 |
        """
        response = self.client.alerts(since=since, classId=class_id, severity=severity, limit=limit)
        check_status(response, 200)
        items = _items(body_of(response), "alerts")
        return [
            parse(Alert, item, "an alert of GET /alerts").model_dump(by_alias=True)
            for item in items
        ]

    @keyword
    def alerts_should_be_newest_first(
        self, alerts: list[dict], not_before: str | None = None
    ) -> None:
        """Each alert's ``alertTime`` is at or before the one listed above it (contract: newest
        first); with ``not_before`` (ISO-8601), none is older than that instant.

        | ${alerts} = | `Get Alerts` | since=${since} |
        | `Alerts Should Be Newest First` | ${alerts} |
        """
        times = [parse_utc(str(alert["alertTime"])) for alert in alerts]
        misplaced = [
            f"#{index} {alerts[index]['alertTime']} after #{index - 1} "
            f"{alerts[index - 1]['alertTime']}"
            for index in range(1, len(times))
            if times[index] > times[index - 1]
        ]
        if misplaced:
            raise AssertionError(f"GET /alerts is not newest first: {', '.join(misplaced[:5])}")
        if not_before is not None:
            floor = parse_utc(not_before)
            pairs = zip(alerts, times, strict=True)
            older = [alert["alertId"] for alert, at in pairs if at < floor]
            if older:
                raise AssertionError(
                    f"{len(older)} listed alert(s) older than {not_before}, although newer "
                    f"ones were left out of the page: {older[:5]}"
                )

    @keyword
    def get_recordings(self, start: str | None = None, end: str | None = None) -> list[dict]:
        """``GET /recordings``: the recordings overlapping ``start``..``end`` (ISO-8601 UTC).

        | ${recordings} = | `Get Recordings` | start=${start} | end=${end} |
        """
        response = self.client.recordings(start, end)
        check_status(response, 200)
        items = _items(body_of(response), "recordings")
        return [
            parse(Recording, item, "a recording of GET /recordings").model_dump() for item in items
        ]

    @keyword
    def recordings_should_overlap(self, recordings: list[dict], start: str, end: str) -> None:
        """Each recording of ``recordings`` overlaps ``start``..``end`` (ISO-8601 UTC): it starts
        before ``end`` and, unless still in progress, ends after ``start``.

        | ${recordings} = | `Get Recordings` | start=${start} | end=${end} |
        | `Recordings Should Overlap` | ${recordings} | ${start} | ${end} |
        """
        low, high = parse_utc(start), parse_utc(end)
        outside = [
            f"{item['uuid']} ({item['start_time']}..{item.get('end_time')})"
            for item in recordings
            if not (
                _instant(item["start_time"]) < high
                and (item.get("end_time") is None or _instant(item["end_time"]) > low)
            )
        ]
        if outside:
            raise AssertionError(
                f"{len(outside)} recording(s) listed outside {start}..{end}: {outside[:5]}"
            )

    @keyword("Plain HTTP Should Not Be Served")
    def plain_http_should_not_be_served(self, path: str = "/health") -> str:
        """A plain-HTTP request to the Focus Server's port is refused or redirected to HTTPS,
        never served; returns ``refused`` or ``redirected``.

        | `Plain HTTP Should Not Be Served` | /health |
        """
        url = "http://" + self.client.url(path).removeprefix("https://")
        try:
            response = requests.get(url, timeout=self.client.timeout, allow_redirects=False)
        except requests.exceptions.ConnectionError as error:
            logger.info(f"Plain HTTP to {url} refused: {str(error).splitlines()[0][:200]}")
            return "refused"
        location = response.headers.get("Location", "")
        if response.is_redirect and location.startswith("https://"):
            return "redirected"
        raise AssertionError(
            f"Plain HTTP {url} was served: {response.status_code} {response.text[:200]}"
        )

    @keyword
    def get_short_lived_token(self, lifetime: timedelta = timedelta(seconds=1)) -> Secret:
        """A new token (a `Secret`) of the current connection's user that expires after
        ``lifetime``.

        Asks ``POST /auth/token`` for ``expires_in`` (the twin honours it; the contract
        does not require it). Fails, saying so, when the server grants a longer life:
        use `Get Expired Token`, which waits out whatever life the server grants.

        | ${token} = | `Get Short Lived Token` | lifetime=1s |
        """
        token, expires_in = self._issue_token(lifetime)
        if expires_in > lifetime.total_seconds():
            raise AssertionError(
                f"The server granted a token of {expires_in:g} s, not the {lifetime} asked "
                "for; use 'Get Expired Token', which waits until the token expires"
            )
        return token

    @keyword
    def get_expired_token(self, max_wait: timedelta = timedelta(minutes=5)) -> Secret:
        """A token (a `Secret`) of the current connection's user that has expired.

        Asks for the shortest life (1 s) and waits until the token is past the life the
        server granted, plus half a second. Never skips: when the server grants more than
        ``max_wait``, fails with one line saying so (raise ``max_wait`` for that server).

        | ${token} = | `Get Expired Token` |
        | ${token} = | `Get Expired Token` | max_wait=20 min |
        """
        started = time.monotonic()
        token, expires_in = self._issue_token(timedelta(seconds=1))
        if expires_in > max_wait.total_seconds():
            raise AssertionError(
                f"The server issues tokens of {expires_in:g} s, longer than max_wait "
                f"{max_wait.total_seconds():g} s: cannot get an expired token; pass "
                f"max_wait={expires_in + 5:g}s to wait for one"
            )
        pause = expires_in + 0.5 - (time.monotonic() - started)
        logger.info(f"Waiting {max(pause, 0):.1f} s until a token of {expires_in:g} s expires")
        time.sleep(max(pause, 0))
        return token

    @keyword
    def get_token_with_bad_signature(self) -> Secret:
        """A token of the current user whose signature was altered (a `Secret`): the payload
        is genuine and unexpired, only the signature (after the last ``.``) is wrong, as a
        forged or tampered token would be.

        | ${token} = | `Get Token With Bad Signature` |
        """
        token, _ = self._issue_token(None)
        head, dot, signature = token.value.rpartition(".")
        if not dot or not signature:
            raise AssertionError("The server's token has no '.'-separated signature to alter")
        flipped = "".join("B" if char == "A" else "A" for char in signature)
        return Secret(f"{head}.{flipped}")

    def _issue_token(self, lifetime: timedelta | None) -> tuple[Secret, float]:
        seconds = lifetime.total_seconds() if lifetime is not None else None
        response = self.client.issue_token(expires_in=seconds)
        check_status(response, 200)
        body = parse(TokenResponse, body_of(response), "POST /auth/token")
        return Secret(body.access_token), float(body.expires_in)

    @destructive("flood the server until it rate-limits")
    @keyword
    def send_requests_until_rate_limited(
        self,
        path: str = "/channels",
        max_requests: int = 3000,
        workers: int = 8,
    ) -> dict:
        """With a token of its own (the limit is per token), sends ``GET path`` from
        ``workers`` threads until the server answers ``429``; at most ``max_requests``.

        The ``429`` must carry ``Retry-After`` in whole seconds and the contract's error
        body. Returns ``{"token": Secret, "retry_after": s, "sent": n, "statuses": {...}}``.
        Fails with one line when no ``429`` came. It floods: tag the test ``destructive``.

        | ${limited} = | `Send Requests Until Rate Limited` | max_requests=2000 |
        | Sleep | ${limited}[retry_after] |
        """
        token, _ = self._issue_token(None)
        header = {"Authorization": f"Bearer {token.value}"}
        statuses: dict[int, int] = {}
        limited: list[requests.Response] = []
        sent = 0
        lock = threading.Lock()

        def one() -> None:
            nonlocal sent
            with lock:
                if limited or sent >= max_requests:
                    return
                sent += 1
            response = self.client.request("GET", path, headers=header, retry=False)
            with lock:
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                if response.status_code == 429:
                    limited.append(response)

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for _ in pool.map(lambda _i: one(), range(max_requests)):
                pass
        elapsed = time.monotonic() - started
        logger.info(f"{sent} requests in {elapsed:.2f} s: {statuses}")
        if not limited:
            raise AssertionError(
                f"No 429 after {sent} GET {path} in {elapsed:.1f} s with one token "
                f"(statuses {statuses}): no rate limit, or one above {sent / elapsed:.0f}/s"
            )
        check_status(limited[0], 429, error_code="RATE_LIMITED")
        retry_after = limited[0].headers.get("Retry-After", "")
        if not retry_after.isdigit():
            raise AssertionError(f"429 without a Retry-After of whole seconds: {retry_after!r}")
        return {"token": token, "retry_after": int(retry_after), "sent": sent, "statuses": statuses}

    @keyword
    def send_raw_request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict | None = None,
        token: Secret | str | None = None,
        expected_status: int | str = "any",
        error_code: str | None = None,
        error_field: str | None = None,
    ) -> requests.Response:
        """Send any request, for error-handling tests; returns the ``requests`` response.

        ``body``: a dict or list is sent as JSON; a string is sent as it is, with
        ``Content-Type: application/json`` unless ``headers`` say otherwise (malformed JSON).
        ``token``: ``None`` uses the connection's token, an empty string sends no
        ``Authorization`` header, a `Secret` or any other string is sent as the bearer token.
        A ``401`` is not retried here when ``token`` is given. Error answers are checked
        against the contract's error body; ``error_code``/``error_field`` check its fields.

        | `Send Raw Request` | POST | /configure | {"nfft": | expected_status=400 |
        | `Send Raw Request` | GET | /channels | token=${EMPTY} | expected_status=401 |
        | ${response} = | `Send Raw Request` | GET | /channels | token=not-a-token |
        """
        if isinstance(token, Secret):
            token = token.value
        send_headers = dict(headers or {})
        json_body, data = (body, None) if isinstance(body, dict | list) else (None, body)
        if isinstance(data, str):
            data = data.encode()
            if not any(name.lower() == "content-type" for name in send_headers):
                send_headers["Content-Type"] = "application/json"
        response = self.client.request(
            method, path, json=json_body, data=data, headers=send_headers, token=token
        )
        check_status(response, expected_status, error_code, error_field)
        return response


def _items(body: Any, key: str) -> list:
    """A list body, or the list under ``key`` of an object body."""
    if isinstance(body, dict) and isinstance(body.get(key), list):
        return body[key]
    if isinstance(body, list):
        return body
    raise AssertionError(f"expected a list of {key}, got {str(body)[:300]}")


def _instant(value: str | float) -> datetime:
    """A recording time: ISO-8601 UTC text or epoch seconds."""
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    return parse_utc(value)
