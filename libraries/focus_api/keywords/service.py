"""Keywords for the service-level endpoints: health, channels, alerts, recordings, raw."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import requests
from assertionengine import AssertionOperator, verify_assertion
from robot.api import SkipExecution, logger
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
)


class ServiceKeywords(LibraryComponent):
    """Health, channels, alerts, recordings and `Send Raw Request`."""

    @keyword
    def get_health(
        self, expected_status: int | str = 200, timeout: timedelta | None = None
    ) -> dict:
        """``GET /health`` (no token needed); returns the body, checked against the contract.

        ``expected_status=503`` checks a degraded answer; ``timeout`` overrides the
        connection's read timeout (e.g. ``2s`` for the PZ-13640 check).

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
    ) -> list[dict]:
        """``GET /alerts`` with optional filters; newest first, each checked against the contract.

        | ${alerts} = | `Get Alerts` | class_id=104 | severity=3 |
        """
        response = self.client.alerts(since=since, classId=class_id, severity=severity)
        check_status(response, 200)
        items = _items(body_of(response), "alerts")
        return [
            parse(Alert, item, "an alert of GET /alerts").model_dump(by_alias=True)
            for item in items
        ]

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
        does not require it): the test is skipped when the server grants a longer life.

        | ${token} = | `Get Short Lived Token` | lifetime=1s |
        """
        response = self.client.issue_token(expires_in=lifetime.total_seconds())
        check_status(response, 200)
        body = parse(TokenResponse, body_of(response), "POST /auth/token")
        if body.expires_in > lifetime.total_seconds():
            raise SkipExecution(
                f"The server does not issue short-lived tokens (expires_in {body.expires_in} s)"
            )
        return Secret(body.access_token)

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
