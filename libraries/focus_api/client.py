"""A plain HTTPS client of the Focus Server (no Robot Framework imports; pytest drives it).

- one ``requests.Session`` per thread of a connection, TLS verified against a CA bundle;
- a ``(connect, read)`` timeout on every call, or a total deadline when the call gives one;
- a bearer token fetched from ``POST /auth/token``, cached, refreshed once on a ``401``;
- retries by urllib3 ``Retry`` on the session's adapter (as RequestsLibrary does): idempotent
  methods only (never ``POST``), on connection errors, ``502`` and ``503``, with exponential
  backoff, honouring ``Retry-After`` (capped at ``RETRY_AFTER_MAX_S``); never on a read
  timeout, so a slow answer is reported, not resent;
- an unreachable server fails with one clear line.

There is no circuit breaker: every call is bounded by the connect timeout and at most
``max_retries`` retries, so a dead server costs each call a bounded, short time, and a
breaker's open state would make a test that checks recovery see a server that is up
again as still down. `Stop All Tasks` stops at the first unreachable answer instead.

The password is a plain ``str`` here; it is never logged nor put in an exception message.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
import requests.auth
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from libraries.common import redact, request_ids
from libraries.common.effects import no_effect

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({502, 503})
RETRY_AFTER_MAX_S = 5.0
TOKEN_PATH = "/auth/token"
# What a request raises when it fails in transport; `FocusClient._transport_error` turns
# each into one line (SSLError is a ConnectionError).
TRANSPORT_ERRORS = (requests.exceptions.ConnectionError, requests.exceptions.ReadTimeout)

ExchangeHook = Callable[["Exchange"], None]


class FocusApiError(Exception):
    """Base of the client's errors."""


class FocusUnavailable(FocusApiError):
    """The server cannot be reached (connection refused, TLS failure)."""


class FocusTimeout(FocusApiError):
    """The server accepted the connection but did not answer in time."""


class FocusAuthError(FocusApiError):
    """``POST /auth/token`` refused the credentials."""


@dataclass(frozen=True)
class Exchange:
    """One request and its answer, for logging (never holds the Authorization header)."""

    method: str
    url: str
    request_body: Any
    status: int
    response_text: str
    elapsed_s: float


class CappedRetry(Retry):
    """urllib3 ``Retry`` that honours ``Retry-After`` up to ``RETRY_AFTER_MAX_S`` seconds: a
    server asking for minutes must not stall a test run."""

    def get_retry_after(self, response: Any) -> float | None:
        seconds = super().get_retry_after(response)
        return None if seconds is None else min(seconds, RETRY_AFTER_MAX_S)


def retry_policy(max_retries: int, backoff_s: float) -> Retry:
    """The retries of idempotent requests: connection errors, ``502`` and ``503``."""
    return CappedRetry(
        total=max_retries,
        connect=max_retries,
        read=False,  # a read timeout is raised at once: the request may have been processed
        status=max_retries,
        other=0,
        allowed_methods=IDEMPOTENT_METHODS,
        status_forcelist=RETRY_STATUSES,
        backoff_factor=backoff_s,
        respect_retry_after_header=True,
        raise_on_status=False,  # the last answer is returned; the caller checks its status
    )


class TokenManager:
    """Cache a bearer token until shortly before it expires; thread-safe."""

    def __init__(self, fetch: Callable[[], tuple[str, float]], margin_s: float = 5.0) -> None:
        self._fetch = fetch
        self._margin_s = margin_s
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()

    def get(self) -> str:
        with self._lock:
            if self._token is None or time.monotonic() >= self._expires_at:
                token, expires_in = self._fetch()
                self._token = token
                self._expires_at = time.monotonic() + max(expires_in - self._margin_s, 0.0)
            return self._token

    def invalidate(self, token: str) -> None:
        """Forget ``token`` (if it is still the cached one) so the next ``get`` fetches anew."""
        with self._lock:
            if self._token == token:
                self._token = None


MASKED = "Bearer ********"


def _mask(response: requests.Response) -> None:
    """Hide the bearer token of the request(s) behind ``response``: RequestsLibrary logs
    request headers, and a ``PreparedRequest`` keeps the token after it was sent."""
    for each in (*response.history, response):
        request = each.request
        if request is not None and "Authorization" in request.headers:
            request.headers["Authorization"] = MASKED


class BearerAuth(requests.auth.AuthBase):
    """A ``requests`` auth of a connection's user: the cached bearer token (refreshed shortly
    before it expires, :class:`TokenManager`), a fresh one and one resend on a ``401``, a
    request id; the token is masked in the request once the answer is in."""

    def __init__(self, tokens: TokenManager, user: str) -> None:
        self.tokens = tokens
        self.user = user

    def __repr__(self) -> str:  # RequestsLibrary logs the auth object: no token in it
        return f"BearerAuth(user={self.user!r})"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.tokens.get()}"
        if (request_id := request_ids.next_request_id()) and (
            request_ids.HTTP_HEADER not in request.headers
        ):
            request.headers[request_ids.HTTP_HEADER] = request_id
        request.register_hook("response", self._answered)
        return request

    def _answered(self, response: requests.Response, **send: Any) -> requests.Response:
        sent = response.request.headers.get("Authorization", "")
        if isinstance(sent, bytes):  # requests allows bytes header values
            sent = sent.decode("latin-1")
        if response.status_code != 401 or sent == MASKED or getattr(response, "_resent", False):
            _mask(response)
            return response
        self.tokens.invalidate(sent.removeprefix("Bearer "))
        _ = response.content  # read the 401 so its connection can be reused
        response.close()
        again = response.request.copy()
        again.headers["Authorization"] = f"Bearer {self.tokens.get()}"
        answer = response.connection.send(again, **send)
        answer._resent = True  # type: ignore[attr-defined]
        answer.history.append(response)
        answer.request = again
        _mask(answer)
        return answer


class StaticBearer(requests.auth.AuthBase):
    """A ``requests`` auth with one given token (``""``: no Authorization header; ``None``:
    the request's own header, as it is), masked in the request once the answer is in;
    never refreshed."""

    def __init__(self, token: str | None) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "StaticBearer(<token>)" if self._token else "StaticBearer(none)"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if self._token is not None:
            request.headers.pop("Authorization", None)
        if self._token:
            request.headers["Authorization"] = f"Bearer {self._token}"
        if (request_id := request_ids.next_request_id()) and (
            request_ids.HTTP_HEADER not in request.headers
        ):
            request.headers[request_ids.HTTP_HEADER] = request_id
        request.register_hook("response", lambda response, **_send: _mask(response))
        return request


TWIN_HINT = "is the twin up? try 'python -m twin status'"
UNREACHABLE_HINT = "check that it runs and that FOCUS_BASE_URL points at it"


class FocusClient:
    """One connection to a Focus Server: base URL, credentials, CA bundle, timeouts."""

    def __init__(
        self,
        base_url: str,
        user: str,
        password: str,
        ca_bundle: str | None = None,
        timeout: float = 10.0,
        connect_timeout: float = 3.05,
        max_retries: int = 2,
        backoff_s: float = 0.2,
        on_exchange: ExchangeHook | None = None,
        unreachable_hint: str | Callable[[], str] = UNREACHABLE_HINT,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.unreachable_hint = unreachable_hint
        self.user = user
        self._password = password
        self.verify: str | bool = ca_bundle or True  # a CA path, or the system store
        self.timeout = (connect_timeout, timeout)
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.on_exchange = on_exchange
        self.tokens = TokenManager(self._fetch_token)
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"FocusClient({self.base_url!r}, user={self.user!r})"

    # -- sessions ----------------------------------------------------------------------
    def _session(self, retry: bool) -> requests.Session:
        """This thread's session: one whose adapter retries (idempotent calls) or not."""
        name = "retrying" if retry else "plain"
        session = getattr(self._local, name, None)
        if session is None:
            session = self.new_session(retry)
            setattr(self._local, name, session)
            with self._sessions_lock:
                self._sessions.append(session)
        return session

    def new_session(self, retry: bool) -> requests.Session:
        session = requests.Session()
        if retry and self.max_retries > 0:
            adapter = HTTPAdapter(max_retries=retry_policy(self.max_retries, self.backoff_s))
            session.mount("https://", adapter)
            session.mount("http://", adapter)
        return session

    def bearer_session(self) -> requests.Session:
        """A new ``requests.Session`` of this connection for requests of one's own (what
        `Open Focus Session` gives RequestsLibrary): the CA bundle, the bearer token
        (:class:`BearerAuth`), the same urllib3 ``Retry`` and, when a call gives none,
        the connection's timeouts. Closed with the connection."""
        session = requests.Session()
        session.auth = self.bearer_auth()
        session.verify = self.verify
        return self.adopt(session)

    def bearer_auth(self) -> BearerAuth:
        """The ``requests`` auth of this connection's user (shares its token cache)."""
        return BearerAuth(self.tokens, self.user)

    def adopt(self, session: requests.Session) -> requests.Session:
        """Mount this connection's CA bundle, ``Retry`` and default timeouts on ``session``
        and close it with the connection; returns it."""
        adapter = _ConnectionAdapter(
            self.verify, self.timeout, max_retries=retry_policy(self.max_retries, self.backoff_s)
        )
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        with self._sessions_lock:
            self._sessions.append(session)
        return session

    def send_with(
        self,
        session: requests.Session,
        method: str,
        path: str,
        *,
        auth: requests.auth.AuthBase | None = None,
        log_body: Any = None,
        **options: Any,
    ) -> requests.Response:
        """One request on ``session`` (see `bearer_session`), with this connection's error
        lines for an unreachable or silent server, and the exchange reported."""
        url, started = self.url(path), time.monotonic()
        method = method.upper()
        try:
            response = session.request(
                method,
                url,
                auth=auth,
                timeout=self.timeout,
                verify=self.verify,
                allow_redirects=False,
                **options,
            )
        except TRANSPORT_ERRORS as error:
            raise self._transport_error(error, method, path, self.timeout[1]) from None
        shown = log_body if log_body is not None else options.get("json", options.get("data"))
        self._report(method, url, shown, response, started)
        return response

    def close(self) -> None:
        """Close every session of this connection (all threads)."""
        with self._sessions_lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()
        self._local = threading.local()

    # -- requests ----------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        json: Any = None,
        data: str | bytes | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, Any] | None = None,
        token: str | None = None,
        authenticate: bool = True,
        retry: bool = True,
        timeout: float | None = None,
    ) -> requests.Response:
        """Send one request and return the response, whatever its status.

        ``token`` overrides the managed token ("" sends no Authorization header), so does
        an ``Authorization`` entry in ``headers``; ``authenticate=False`` sends none.
        A managed token rejected with ``401`` is refreshed once and the request sent once more.
        """
        method = method.upper()
        send_headers = dict(headers or {})
        if (request_id := request_ids.next_request_id()) and not any(
            name.lower() == request_ids.HTTP_HEADER.lower() for name in send_headers
        ):
            send_headers[request_ids.HTTP_HEADER] = request_id
        own_header = any(name.lower() == "authorization" for name in send_headers)
        managed = authenticate and token is None and not own_header
        if managed:
            token = self.tokens.get()
        if authenticate and token and not own_header:
            send_headers["Authorization"] = f"Bearer {token}"
        send = {
            "json": json,
            "data": data,
            "params": params,
            "retry": retry,
            "timeout": timeout,
        }
        response = self._send(method, path, headers=send_headers, **send)
        if managed and response.status_code == 401 and token is not None:  # managed: set above
            self.tokens.invalidate(token)
            send_headers["Authorization"] = f"Bearer {self.tokens.get()}"
            response = self._send(method, path, headers=send_headers, **send)
        return response

    def _send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: str | bytes | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, Any] | None = None,
        retry: bool = True,
        timeout: float | None = None,
        log_body: Any = None,
    ) -> requests.Response:
        """One logical request (retried by the session's adapter); no authentication logic."""
        url = self.url(path)
        retrying = retry and method in IDEMPOTENT_METHODS
        # An explicit timeout is a total deadline for the whole call, retries included:
        # connecting, TLS, sending and reading every byte of the answer (see `_call`).
        deadline = time.monotonic() + timeout if timeout else None
        call_timeout = (timeout, timeout) if timeout else self.timeout
        started = time.monotonic()
        try:
            response = self._call(
                deadline,
                retrying,
                method,
                url,
                json=json,
                data=data,
                params=params,
                headers=headers,
                timeout=call_timeout,
                verify=self.verify,  # per call: REQUESTS_CA_BUNDLE would beat session.verify
                allow_redirects=False,
            )
        except _DeadlinePassed:
            raise FocusTimeout(
                f"Focus Server at {self.base_url} did not answer {method} {path} "
                f"within {timeout} s (total deadline)"
            ) from None
        except TRANSPORT_ERRORS as error:
            raise self._transport_error(error, method, path, call_timeout[1]) from None
        shown = log_body if log_body is not None else (json if json is not None else data)
        self._report(method, url, shown, response, started)
        return response

    def _call(
        self, deadline: float | None, retry: bool, method: str, url: str, **options: Any
    ) -> requests.Response:
        """One HTTP exchange; with a ``deadline`` (a ``time.monotonic()`` instant) it is bounded
        in total, not per socket operation: ``requests`` timeouts bound each connect and
        each read, so a server that trickles its answer byte by byte would never time out.

        The exchange runs on a fresh session in a daemon thread; when the deadline passes,
        the session is closed and the caller gets ``_DeadlinePassed`` at once.
        """
        if deadline is None:
            return self._session(retry).request(method, url, **options)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _DeadlinePassed
        options["timeout"] = (remaining, remaining)
        session = self.new_session(retry)
        outcome: dict[str, Any] = {}

        def run() -> None:
            try:
                outcome["response"] = session.request(method, url, **options)
            except BaseException as error:  # handed to the caller's thread
                outcome["error"] = error

        worker = threading.Thread(target=run, name="focus-deadline", daemon=True)
        worker.start()
        worker.join(remaining)
        session.close()
        if worker.is_alive():
            raise _DeadlinePassed
        if "error" in outcome:
            raise outcome["error"]
        answered: requests.Response = outcome["response"]
        return answered

    def _report(
        self,
        method: str,
        url: str,
        body: Any,
        response: requests.Response,
        started: float,
    ) -> None:
        if self.on_exchange is not None:
            elapsed = time.monotonic() - started
            text = "<token response hidden>" if url.endswith(TOKEN_PATH) else response.text
            self.on_exchange(Exchange(method, url, body, response.status_code, text, elapsed))

    def _transport_error(
        self, error: Exception, method: str, path: str, read_timeout: float
    ) -> FocusApiError:
        """The one line of a request that failed in transport (one of
        :data:`TRANSPORT_ERRORS`): a failed TLS handshake, no answer within
        ``read_timeout`` seconds, or an unreachable server."""
        if isinstance(error, requests.exceptions.SSLError):
            return FocusUnavailable(
                f"TLS handshake with Focus Server at {self.base_url} failed "
                f"(verified against {self.verify}): {_first_line(error)}"
            )
        if isinstance(error, requests.exceptions.ConnectionError):
            return FocusUnavailable(self._unreachable(_connection_reason(error)))
        return FocusTimeout(  # a ReadTimeout
            f"Focus Server at {self.base_url} did not answer {method} {path} "
            f"within {read_timeout} s (read timeout)"
        )

    def _unreachable(self, reason: str) -> str:
        """The one line of an unreachable server; the hint may be computed now (it may ask
        the cluster whether the server's pod is being replaced)."""
        hint = self.unreachable_hint
        if callable(hint):
            try:
                hint = hint()
            except Exception:  # a diagnosis must never hide the real error
                hint = UNREACHABLE_HINT
        return f"Focus Server at {self.base_url} is unreachable ({reason}); {hint}"

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    @no_effect(
        "POST /auth/token issues a token: nothing others see changes (keywords that expect "
        "a refused login declare it)"
    )
    def issue_token(
        self,
        expires_in: float | None = None,
        user: str | None = None,
        password: str | None = None,
    ) -> requests.Response:
        """``POST /auth/token`` with this connection's credentials, or ``user`` and
        ``password`` (``expires_in``: a shorter lifetime, which the twin honours); the
        password is masked in the exchange log."""
        body: dict[str, Any] = {
            "username": self.user if user is None else user,
            "password": self._password if password is None else password,
        }
        if expires_in is not None:
            body["expires_in"] = expires_in
        masked = body | {"password": "***"}
        return self._send("POST", TOKEN_PATH, json=body, retry=False, log_body=masked)

    def _fetch_token(self) -> tuple[str, float]:
        response = self.issue_token()
        if response.status_code == 401:
            raise FocusAuthError(
                f"Focus Server at {self.base_url} refused the credentials of user "
                f"'{self.user}' (401)"
            )
        if response.status_code != 200:
            raise FocusApiError(
                f"POST {TOKEN_PATH} answered {response.status_code}, expected 200: "
                f"{response.text[:200]}"
            )
        body = response.json()
        redact.remember(body["access_token"])  # never in an output (libraries/common/redact.py)
        return body["access_token"], float(body.get("expires_in", 300))

    # -- endpoints ---------------------------------------------------------------------
    def health(self, timeout: float | None = None) -> requests.Response:
        return self.request("GET", "/health", authenticate=False, retry=False, timeout=timeout)

    def channels(self) -> requests.Response:
        return self.request("GET", "/channels")

    def configure(self, payload: dict[str, Any], timeout: float | None = None) -> requests.Response:
        return self.request("POST", "/configure", json=payload, timeout=timeout)

    def metadata(self, task_id: str) -> requests.Response:
        return self.request("GET", f"/metadata/{task_id}")

    def ack(self, task_id: str) -> requests.Response:
        return self.request("GET", f"/ack/{task_id}")

    def waterfall(self, task_id: str, rows: int) -> requests.Response:
        return self.request("GET", f"/waterfall/{task_id}", params={"rows": rows})

    def config_task(self, task_id: str, changes: dict[str, Any]) -> requests.Response:
        return self.request("POST", f"/config_task/{task_id}", json=changes)

    def stop(self, task_id: str) -> requests.Response:
        return self.request("DELETE", f"/task/{task_id}")

    def tasks(self) -> requests.Response:
        """The tasks waiting or running, of every client (the liveView's tasks list)."""
        return self.request("GET", "/tasks")

    def alerts(self, **filters: Any) -> requests.Response:
        params = {name: value for name, value in filters.items() if value is not None}
        return self.request("GET", "/alerts", params=params)

    def recordings(self, start: str | None = None, end: str | None = None) -> requests.Response:
        params = {name: value for name, value in (("start", start), ("end", end)) if value}
        return self.request("GET", "/recordings", params=params)


class _ConnectionAdapter(HTTPAdapter):
    """An adapter that sends with the connection's CA bundle, whatever the caller asks for
    (``requests`` lets ``REQUESTS_CA_BUNDLE`` beat a session's own ``verify`` when a call
    gives none, as RequestsLibrary's session keywords do), and with the connection's
    ``(connect, read)`` timeout when the call gives none."""

    def __init__(self, verify: str | bool, timeout: tuple[float, float], **options: Any) -> None:
        self.connection_verify = verify
        self.default_timeout = timeout
        super().__init__(**options)

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float | None, float | None] | None = None,
        verify: bool | str = True,
        cert: str | tuple[str, str] | None = None,
        proxies: dict[str, str] | None = None,
    ) -> requests.Response:
        return super().send(
            request,
            stream=stream,
            timeout=self.default_timeout if timeout is None else timeout,
            verify=self.connection_verify,  # never weaker: a CA file or True
            cert=cert,
            proxies=proxies,
        )


class _DeadlinePassed(Exception):
    """The total deadline of a call passed (turned into FocusTimeout by the caller)."""


def _connection_reason(error: requests.exceptions.ConnectionError) -> str:
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return "connect timed out"
    text = str(error)
    if "Connection refused" in text or "ConnectionRefusedError" in text:
        return "connection refused"
    if "Connection reset" in text or "RemoteDisconnected" in text:
        return "connection reset"
    return _first_line(error)


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0][:300] if str(error) else type(error).__name__
