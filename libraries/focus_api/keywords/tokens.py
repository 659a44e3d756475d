"""Keywords that check the per-token rate limit from outside: one token flooded, another probed."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from robot.api import logger
from robot.api.deco import keyword
from robot.api.types import Secret

from libraries.focus_api.keywords.base import LibraryComponent, body_of, check_status, parse
from libraries.focus_api.models import TokenResponse
from libraries.safety import disruptive, shared


class TokenKeywords(LibraryComponent):
    """`Get Token For User`, `Token Should Be Refused For User` and `Other Token Should Be
    Served During A Flood`."""

    @keyword
    def get_token_for_user(self, user: str, password: Secret) -> Secret:
        """A new bearer token (a `Secret`) of ``user``: every call issues another token, also
        for the connection's own user.

        | ${token} = | `Get Token For User` | ${FOCUS_USER} | ${FOCUS_PASSWORD} |
        """
        response = self.client.issue_token(user=user, password=password.value)
        check_status(response, 200)
        body = parse(TokenResponse, body_of(response), "POST /auth/token")
        return Secret(body.access_token)

    @shared("log in with credentials the server must refuse (a failed login)")
    @keyword
    def token_should_be_refused_for_user(self, user: str, password: Secret) -> None:
        """``POST /auth/token`` as ``user`` with ``password`` (a `Secret`, masked in the log)
        answers ``401 UNAUTHORIZED`` and issues no token.

        | `Token Should Be Refused For User` | someone-else | ${FOCUS_PASSWORD} |
        """
        response = self.client.issue_token(user=user, password=password.value)
        check_status(response, 401, error_code="UNAUTHORIZED")

    @disruptive("flood the server until it rate-limits")
    @keyword
    def other_token_should_be_served_during_a_flood(
        self,
        token: Secret,
        path: str = "/channels",
        window: timedelta = timedelta(seconds=1.5),
        probe_interval: timedelta = timedelta(milliseconds=50),
        max_wait: timedelta = timedelta(seconds=30),
        workers: int = 8,
    ) -> dict[str, Any]:
        """Floods ``GET path`` with a new token of the connection's user until the server
        answers ``429``; then, for ``window`` while the flood goes on (longer, up to
        ``max_wait``, until the flood has met a ``429`` meanwhile), sends the same request
        every ``probe_interval`` with ``token``. Every one of those must be served (200),
        and the flooded token must keep getting ``429`` meanwhile (else the check proves
        nothing and fails saying so). The limit is then per token: not per user (when
        ``token`` is the same user's), per address or for the whole server.

        Returns the figures: ``{"flood": {status: n}, "flood_limited_in_window": n,
        "probes": {status: n}}``. It floods: tag the test ``destructive``.

        | ${other} = | `Get Token For User` | ${FOCUS_USER} | ${FOCUS_PASSWORD} |
        | `Other Token Should Be Served During A Flood` | ${other} |
        """
        flood_token, _ = self._new_token()
        flood_header = {"Authorization": f"Bearer {flood_token}"}
        probe_header = {"Authorization": f"Bearer {token.value}"}
        stop = threading.Event()
        limited = threading.Event()
        lock = threading.Lock()
        flood: dict[int, int] = {}
        limited_at: list[float] = []

        def flood_worker() -> None:
            while not stop.is_set():
                response = self.client.request("GET", path, headers=flood_header, retry=False)
                with lock:
                    flood[response.status_code] = flood.get(response.status_code, 0) + 1
                    if response.status_code == 429:
                        limited_at.append(time.monotonic())
                        limited.set()

        probes: dict[int, int] = {}
        with ThreadPoolExecutor(max_workers=workers) as pool:
            running = [pool.submit(flood_worker) for _ in range(workers)]
            try:
                if not limited.wait(max_wait.total_seconds()):
                    raise AssertionError(
                        f"No 429 within {max_wait.total_seconds():g} s of flooding GET {path} "
                        f"with one token ({flood}): no rate limit to check the scope of"
                    )
                window_start = time.monotonic()
                while True:
                    response = self.client.request("GET", path, headers=probe_header, retry=False)
                    probes[response.status_code] = probes.get(response.status_code, 0) + 1
                    time.sleep(probe_interval.total_seconds())
                    elapsed = time.monotonic() - window_start
                    with lock:
                        seen = any(moment >= window_start for moment in limited_at)
                    # At least ``window``; longer while the flood has not been limited
                    # during it (a busy machine floods more slowly), up to ``max_wait``.
                    if elapsed >= window.total_seconds() and (
                        seen or elapsed >= max_wait.total_seconds()
                    ):
                        break
                window_end = time.monotonic()
            finally:
                stop.set()
                for future in running:
                    future.result()
        in_window = sum(1 for moment in limited_at if window_start <= moment <= window_end)
        figures = {"flood": flood, "flood_limited_in_window": in_window, "probes": probes}
        logger.info(f"Flood of GET {path} with one token, probes with another: {figures}")
        if not in_window:
            raise AssertionError(
                f"The flooded token got no 429 while the other token was probed ({figures}): "
                "the flood did not keep it limited, so the probes prove nothing"
            )
        refused = sum(count for status, count in probes.items() if status != 200)
        if refused:
            raise AssertionError(
                f"{refused} of {sum(probes.values())} requests with the other token were not "
                f"served while one token was flooded (probes {probes}, the flood got "
                f"{in_window} 429s meanwhile): the rate limit is not per token"
            )
        return figures

    def _new_token(self) -> tuple[str, float]:
        response = self.client.issue_token()
        check_status(response, 200)
        body = parse(TokenResponse, body_of(response), "POST /auth/token")
        return body.access_token, float(body.expires_in)
