"""Keywords for tokens and what the server does with them: short-lived, expired and forged
tokens, the per-token rate limit, and `Send Raw Request` with any token or none."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import requests
from robot.api import logger
from robot.api.deco import keyword
from robot.api.types import Secret

from libraries.common.arguments import plain
from libraries.focus_api.client import StaticBearer
from libraries.focus_api.keywords.base import LibraryComponent, body_of, check_status, parse
from libraries.focus_api.models import TokenResponse
from libraries.safety import disruptive, shared


class AuthKeywords(LibraryComponent):
    """Tokens, the rate limit and raw requests."""

    @keyword
    def get_short_lived_token(self, lifetime: timedelta = timedelta(seconds=1)) -> Secret:
        """A new token (a `Secret`) of the current connection's user that expires after
        ``lifetime``.

        Asks ``POST /auth/token`` for ``expires_in`` (the twin honours it; the contract
        does not require it). Fails, saying so, when the server grants a longer life:
        use `Get Expired Token`, which waits out whatever life the server grants.

        | ${token} = | `Get Short Lived Token` | lifetime=1s |

        Returns a `Secret` (logged as ``<secret>``).
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

        Returns a `Secret` (logged as ``<secret>``).
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

        Returns a `Secret` (logged as ``<secret>``).
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

    @disruptive("flood the server until it rate-limits")
    @keyword
    def send_requests_until_rate_limited(
        self,
        path: str = "/channels",
        max_requests: int = 3000,
        workers: int = 8,
    ) -> dict[str, Any]:
        """With a token of its own (the limit is per token), sends ``GET path`` from
        ``workers`` threads until the server answers ``429``; at most ``max_requests``.

        The ``429`` must carry ``Retry-After`` in whole seconds and the contract's error
        body. Returns ``{"token": Secret, "retry_after": s, "sent": n, "statuses": {...}}``.
        Fails with one line when no ``429`` came. It floods: tag the test ``destructive``.

        | ${limited} = | `Send Requests Until Rate Limited` | max_requests=2000 |
        | Sleep | ${limited}[retry_after] |

        Returns, e.g., ``{"token": <secret>, "retry_after": 1, "sent": 612,
        "statuses": {200: 600, 429: 12}}``.
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

    @shared("send a request of any method to any path")
    @keyword
    def send_raw_request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, Any] | None = None,
        token: Secret | str | None = None,
        expected_status: int | str = "any",
        error_code: str | None = None,
        error_field: str | None = None,
    ) -> requests.Response:
        """Send any request, for error-handling tests; returns the ``requests`` response.

        A thin layer over the connection's session, the one `Open Focus Session` gives
        RequestsLibrary (CA bundle, bearer token, retries): for plain requests a test
        may as well write ``GET On Session    focus    /channels``.

        ``body``: a dict or list is sent as JSON; a string is sent as it is, with
        ``Content-Type: application/json`` unless ``headers`` say otherwise (malformed JSON).
        ``token``: ``None`` uses the connection's token, an empty string sends no
        ``Authorization`` header, a `Secret` or any other string is sent as the bearer token.
        A ``401`` is not retried here when ``token`` is given. Error answers are checked
        against the contract's error body; ``error_code`` and ``error_field`` check its fields.
        A task that a ``POST /configure`` creates (even one expected to be refused) is
        registered for `Stop All Tasks`, as with `Configure Task`: no leak.

        | `Send Raw Request` | POST | /configure | {"nfft": | expected_status=400 |
        | `Send Raw Request` | GET | /channels | token=${EMPTY} | expected_status=401 |
        | ${response} = | `Send Raw Request` | GET | /channels | token=not-a-token |

        Returns a ``requests.Response``: ``${response.status_code}``, ``${response.json()}``,
        ``${response.headers}``.
        """
        client = self.client
        session = self.state.raw_sessions.get(client)
        if session is None:
            session = self.state.raw_sessions[client] = client.bearer_session()
        send_headers = dict(headers or {})
        json_body, data = (body, None) if isinstance(body, dict | list) else (None, body)
        if isinstance(data, str):
            data = data.encode()
            if not any(name.lower() == "content-type" for name in send_headers):
                send_headers["Content-Type"] = "application/json"
        own = None if token is None else StaticBearer(plain(token))
        if any(name.lower() == "authorization" for name in send_headers):
            own = StaticBearer(None)  # the caller's own header is sent as it is
        response = client.send_with(
            session, method, path, auth=own, json=json_body, data=data, headers=send_headers
        )
        self._register_created_task(method, path, response)
        check_status(response, expected_status, error_code, error_field)
        return response

    def _register_created_task(self, method: str, path: str, response: requests.Response) -> None:
        if method.upper() != "POST" or response.status_code != 200:
            return
        if path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] != "configure":
            return
        body = body_of(response)
        if isinstance(body, dict) and "task_id" in body:
            self.register_task(str(body["task_id"]))
