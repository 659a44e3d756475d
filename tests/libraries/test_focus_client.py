"""FocusClient against a tiny HTTPS stub server on 127.0.0.1 (trustme CA), run in a thread.

Covers: token cache and refresh on 401, urllib3 retries only for idempotent calls (with
backoff, honouring a capped Retry-After), no retry on a read timeout, a dead server's fast
one-line failure, TLS verification.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
import trustme

from libraries.focus_api import client as client_module
from libraries.focus_api.client import (
    Exchange,
    FocusAuthError,
    FocusClient,
    FocusTimeout,
    FocusUnavailable,
)

PASSWORD = "s3cret-pw"
TRICKLE_S = 0.1
Reply = tuple[int, dict, object]


@dataclass
class StubState:
    """What the stub answers and what it saw."""

    routes: dict[tuple[str, str], Callable[[int], Reply]] = field(default_factory=dict)
    seen: list[tuple[str, str, str]] = field(default_factory=list)
    tokens_issued: int = 0
    valid_tokens: set[str] = field(default_factory=set)

    def count(self, method: str, path: str) -> int:
        return sum(1 for m, p, _ in self.seen if (m, p) == (method, path))


def make_handler(state: StubState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep pytest output clean
            pass

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"null")
            path = self.path.split("?")[0]
            state.seen.append((self.command, path, self.headers.get("Authorization", "")))
            if (self.command, path) == ("POST", "/focus-server/auth/token"):
                status, headers, reply = self._token(body)
            elif (
                not path.endswith("/health")
                and self.headers.get("Authorization", "")[7:] not in state.valid_tokens
            ):
                status, headers, reply = 401, {}, {"error": {"code": "UNAUTHORIZED"}}
            else:
                route = state.routes.get((self.command, path), lambda _n: (404, {}, {}))
                status, headers, reply = route(state.count(self.command, path))
            trickle = isinstance(reply, bytes)  # bytes: sent one byte every TRICKLE_S
            data = reply if trickle else json.dumps(reply).encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if not trickle:
                self.wfile.write(data)
                return
            for byte in data:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(TRICKLE_S)

        def _token(self, body: dict) -> Reply:
            if body != {"username": "tester", "password": PASSWORD}:
                return 401, {}, {"error": {"code": "UNAUTHORIZED", "message": "bad credentials"}}
            state.tokens_issued += 1
            token = f"token-{state.tokens_issued}"
            state.valid_tokens.add(token)
            return 200, {}, {"access_token": token, "token_type": "bearer", "expires_in": 300}

        do_GET = do_POST = do_DELETE = _answer

    return Handler


@dataclass
class Stub:
    state: StubState
    base_url: str
    ca_file: str


@pytest.fixture
def ca(tmp_path: Path) -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def stub(ca: trustme.CA, tmp_path: Path) -> Iterator[Stub]:
    state = StubState()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    server.daemon_threads = True
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    try:
        yield Stub(state, f"https://127.0.0.1:{server.server_port}/focus-server", str(ca_file))
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        assert not thread.is_alive()


def client_for(stub: Stub, **options: object) -> FocusClient:
    options = {"backoff_s": 0.01, "timeout": 2.0} | options
    return FocusClient(stub.base_url, "tester", PASSWORD, ca_bundle=stub.ca_file, **options)


def ok(_count: int) -> Reply:
    return 200, {}, {"status": "ok"}


def test_token_is_fetched_once_and_cached(stub: Stub) -> None:
    stub.state.routes[("GET", "/focus-server/channels")] = ok
    client = client_for(stub)
    for _ in range(3):
        assert client.channels().status_code == 200
    assert stub.state.tokens_issued == 1
    assert stub.state.seen[1][2] == "Bearer token-1"
    client.close()


def test_expired_token_is_refreshed_once_and_the_request_retried(stub: Stub) -> None:
    stub.state.routes[("GET", "/focus-server/channels")] = ok
    client = client_for(stub)
    client.channels()
    stub.state.valid_tokens.clear()  # the server forgets (expires) every token
    assert client.channels().status_code == 200
    assert stub.state.tokens_issued == 2
    assert stub.state.count("GET", "/focus-server/channels") == 3
    client.close()


def test_a_second_401_is_returned_not_looped(stub: Stub) -> None:
    stub.state.routes[("GET", "/focus-server/channels")] = lambda _n: (401, {}, {})
    client = client_for(stub)
    assert client.channels().status_code == 401
    assert stub.state.count("GET", "/focus-server/channels") == 2
    client.close()


def test_explicit_token_is_not_refreshed(stub: Stub) -> None:
    client = client_for(stub)
    assert client.request("GET", "/channels", token="forged").status_code == 401
    assert client.request("GET", "/channels", token="").status_code == 401
    assert stub.state.tokens_issued == 0
    assert [auth for _m, _p, auth in stub.state.seen] == ["Bearer forged", ""]
    client.close()


def test_wrong_credentials_fail_without_showing_the_password(stub: Stub) -> None:
    client = FocusClient(stub.base_url, "tester", "wrong-pw", ca_bundle=stub.ca_file)
    with pytest.raises(FocusAuthError, match="refused the credentials of user 'tester'") as error:
        client.channels()
    assert "wrong-pw" not in str(error.value)
    client.close()


def test_exchange_log_hides_password_and_token(stub: Stub) -> None:
    stub.state.routes[("GET", "/focus-server/channels")] = ok
    seen: list[Exchange] = []
    client = client_for(stub, on_exchange=seen.append)
    client.channels()
    logged = repr(seen)
    assert PASSWORD not in logged and "token-1" not in logged
    assert [exchange.status for exchange in seen] == [200, 200]
    client.close()


def flaky(
    status: int, code: str = "UNAVAILABLE", failures: int = 2, headers: dict | None = None
) -> Callable[[int], Reply]:
    def route(count: int) -> Reply:
        if count <= failures:
            return status, headers or {}, {"error": {"code": code, "message": "busy"}}
        return 200, {}, {"status": "ok"}

    return route


@pytest.mark.parametrize("status", [502, 503])
def test_get_is_retried_on_502_and_503(stub: Stub, status: int) -> None:
    stub.state.routes[("GET", "/focus-server/channels")] = flaky(status)
    client = client_for(stub, max_retries=2)
    assert client.channels().status_code == 200
    assert stub.state.count("GET", "/focus-server/channels") == 3
    client.close()


def test_retries_stop_after_max_retries(stub: Stub) -> None:
    stub.state.routes[("GET", "/focus-server/channels")] = flaky(503, failures=99)
    client = client_for(stub, max_retries=2)
    assert client.channels().status_code == 503
    assert stub.state.count("GET", "/focus-server/channels") == 3
    client.close()


def test_retry_after_is_honoured_up_to_a_cap(stub: Stub, monkeypatch) -> None:
    stub.state.routes[("GET", "/focus-server/channels")] = flaky(
        503, failures=1, headers={"Retry-After": "1"}
    )
    client = client_for(stub, max_retries=2)
    client.tokens.get()
    started = time.monotonic()
    assert client.channels().status_code == 200
    assert 1.0 <= time.monotonic() - started < 2.5
    monkeypatch.setattr(client_module, "RETRY_AFTER_MAX_S", 0.3)
    stub.state.routes[("GET", "/focus-server/alerts")] = flaky(
        503, failures=1, headers={"Retry-After": "60"}
    )
    started = time.monotonic()
    assert client.alerts().status_code == 200
    assert 0.3 <= time.monotonic() - started < 2.0
    client.close()


def test_post_is_never_retried(stub: Stub) -> None:
    stub.state.routes[("POST", "/focus-server/configure")] = flaky(503)
    client = client_for(stub, max_retries=3)
    assert client.configure({}).status_code == 503
    assert stub.state.count("POST", "/focus-server/configure") == 1
    client.close()


@pytest.mark.parametrize(
    ("method", "path", "call"),
    [
        ("POST", "/configure", lambda client: client.configure({})),
        ("GET", "/channels", lambda client: client.channels()),
    ],
)
def test_read_timeout_fails_once_and_is_not_resent(stub: Stub, method, path, call) -> None:
    def slow(_count: int) -> Reply:
        time.sleep(1.0)
        return 200, {}, {}

    stub.state.routes[(method, f"/focus-server{path}")] = slow
    client = client_for(stub, timeout=0.3, max_retries=3)
    client.tokens.get()
    started = time.monotonic()
    with pytest.raises(FocusTimeout, match=rf"did not answer {method} {path} within 0.3 s"):
        call(client)
    assert time.monotonic() - started < 0.9
    time.sleep(1.0)  # let the slow handler finish before counting
    assert stub.state.count(method, f"/focus-server{path}") == 1
    client.close()


def test_explicit_timeout_is_a_total_deadline_even_for_a_trickling_answer(stub: Stub) -> None:
    """Each byte comes within the per-read timeout, the whole answer does not: a total
    deadline (not connect + read) must stop the call (the MongoDB-outage "fails fast" check)."""
    stub.state.routes[("POST", "/focus-server/configure")] = lambda _n: (200, {}, b"x" * 40)
    client = client_for(stub)
    client.tokens.get()
    started = time.monotonic()
    with pytest.raises(FocusTimeout, match=r"within 1.0 s \(total deadline\)"):
        client.configure({}, timeout=1.0)
    assert time.monotonic() - started < 1.5
    client.close()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_dead_server_fails_fast_with_one_clear_line() -> None:
    base_url = f"https://127.0.0.1:{closed_port()}/focus-server"
    client = FocusClient(base_url, "tester", PASSWORD, backoff_s=0.05, max_retries=2)
    with pytest.raises(FocusUnavailable) as first:
        client.health()
    message = str(first.value)
    assert message == (
        f"Focus Server at {base_url} is unreachable (connection refused); "
        "check that it runs and that FOCUS_BASE_URL points at it"
    )
    assert "twin" not in message  # a staging run is not told to start the twin
    assert "\n" not in message
    started = time.monotonic()
    for _ in range(20):
        with pytest.raises(FocusUnavailable, match="unreachable"):
            client.channels()  # needs a token: the token POST is refused, never retried
    assert time.monotonic() - started < 2
    client.close()


def test_get_retries_connection_errors_with_backoff() -> None:
    base_url = f"https://127.0.0.1:{closed_port()}/focus-server"
    client = FocusClient(base_url, "tester", PASSWORD, backoff_s=0.1, max_retries=2)
    started = time.monotonic()
    with pytest.raises(FocusUnavailable):
        client.request("GET", "/health", authenticate=False)
    assert time.monotonic() - started >= 0.2  # urllib3: no pause, then 0.1 * 2 s
    client.close()


def test_tls_is_verified_against_the_given_ca(stub: Stub, tmp_path: Path) -> None:
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    client = FocusClient(stub.base_url, "tester", PASSWORD, ca_bundle=str(other))
    with pytest.raises(FocusUnavailable, match="TLS handshake .* failed"):
        client.health()
    assert stub.state.seen == []
    client.close()


def _failure(send: Callable[[], object]) -> str:
    with pytest.raises((FocusUnavailable, FocusTimeout)) as failure:
        send()
    return f"{type(failure.value).__name__}: {failure.value}"


def test_a_session_of_ones_own_fails_with_the_same_lines(stub: Stub, tmp_path: Path) -> None:
    """`send_with` (the session `Open Focus Session` and `Send Raw Request` use) and `request`
    turn a failed TLS handshake, a read timeout and an unreachable server into one line each,
    the same line."""

    def slow(_count: int) -> Reply:
        time.sleep(1.0)
        return 200, {}, {}

    stub.state.routes[("GET", "/focus-server/health")] = slow
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    dead = f"https://127.0.0.1:{closed_port()}/focus-server"
    cases = {
        "tls": (
            FocusClient(stub.base_url, "tester", PASSWORD, ca_bundle=str(other), max_retries=0),
            f"FocusUnavailable: TLS handshake with Focus Server at {stub.base_url} failed "
            f"(verified against {other}): ",
        ),
        "read timeout": (
            client_for(stub, timeout=0.3, max_retries=0),
            f"FocusTimeout: Focus Server at {stub.base_url} did not answer GET /health "
            "within 0.3 s (read timeout)",
        ),
        "unreachable": (
            FocusClient(dead, "tester", PASSWORD, max_retries=0),
            f"FocusUnavailable: Focus Server at {dead} is unreachable (connection refused); "
            "check that it runs and that FOCUS_BASE_URL points at it",
        ),
    }
    for name, (client, expected) in cases.items():
        by_request = _failure(partial(client.request, "GET", "/health", authenticate=False))
        session = client.adopt(requests.Session())
        by_session = _failure(partial(client.send_with, session, "GET", "/health"))
        assert by_request == by_session, name
        assert by_request.startswith(expected), name
        assert "\n" not in by_request, name
        client.close()


def test_own_authorization_header_is_sent_as_is_and_not_refreshed(stub: Stub) -> None:
    client = client_for(stub)
    response = client.request("GET", "/channels", headers={"authorization": "Basic abc"})
    assert response.status_code == 401
    assert stub.state.tokens_issued == 0
    assert [auth for _m, _p, auth in stub.state.seen] == ["Basic abc"]
    client.close()
