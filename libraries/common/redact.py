"""The one redactor: everything the suite writes passes through :func:`redact`.

Pod-log excerpts and files, message bodies, exception and failure messages, the sanity
table, Xray attachments and Jira text all go through here (the ``Redaction`` listener,
:mod:`libraries.common.redaction_listener`, applies it to every message of log.html and
output.xml). It replaces with ``***``:

- the configured secrets (every ``Secret`` of the run's environment, registered by
  :func:`libraries.run_environment.activate`), in their plain, URL-encoded
  (``quote``/``quote_plus``), base64 (standard and URL-safe, with or without padding)
  and ``user:password`` (HTTP Basic) forms;
- tokens issued during the run (:func:`remember` -- the Focus client remembers each
  token it is given);
- ``Authorization`` and ``Proxy-Authorization`` values (the scheme stays: ``Bearer ***``),
  ``Cookie`` and ``Set-Cookie`` values (the cookie names stay);
- ``password=``, ``passwd``, ``pwd``, ``secret``, ``token``, ``api_key`` and
  ``client_secret`` values, as ``key=value``, ``key: value`` or JSON ``"key": "value"``;
- the password of any URL with credentials (``mongodb://user:***@host``,
  ``amqps://user:***@host``).

What it does not know it cannot hide: a secret that is not configured, not issued to our
client and not in one of these shapes. ``scripts/checks/check_secrets.py`` looks for every
form after the run, so such a leak is found even then.

No Robot Framework imports: plain Python, used by the libraries, the listener and the
publishing scripts alike.
"""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

MASK = "***"
# Shorter values would mask ordinary words ("test", "1234").
MIN_SECRET_LENGTH = 4

_KEYS = r"(?:password|passwd|pwd|secret|token|api[_-]?key)"
# A key: one of _KEYS, maybe after one short word (client_secret, x-api-key, csrf_token),
# not inside a longer word, and not a path segment ("POST /auth/token: median 4 ms" names
# an endpoint). Bounded, so a long run of letters (base64) stays linear.
_KEY = rf"(?<![A-Za-z0-9/])(?:[A-Za-z]{{1,20}}[_-])?{_KEYS}(?![A-Za-z0-9])"
# "password": "value" / 'token': 'value' (JSON, Python repr): the quoted value.
_QUOTED_PAIR = re.compile(
    rf"""(?P<key>["']?{_KEY}["']?\s*[:=]\s*)(?P<quote>["'])(?P<value>[^"'\r\n]{{0,4096}}?)(?P=quote)""",
    re.IGNORECASE,
)
# password=value, token: value (query strings, headers, log lines): up to a separator.
_BARE_PAIR = re.compile(
    rf"""(?P<key>{_KEY}\s*(?:=|:(?!//))\s*)(?P<value>[^\s"'&,;)}}\]<>]+)""",
    re.IGNORECASE,
)
# Cheap first look: most texts hold none of these words and skip the patterns.
_TRIGGERS = re.compile(r"passw|pwd|secret|token|api.?key|authoriz|cookie|bearer|://", re.I)
_AUTHORIZATION = re.compile(
    r"""(?P<key>\b(?:proxy-)?authorization["']?\s*[:=]\s*["']?)"""
    r"""(?:(?P<scheme>basic|bearer|digest|token|negotiate)\s+)?(?P<value>[^\s"',;}]+)""",
    re.IGNORECASE,
)
_COOKIE_HEADER = re.compile(
    r"""(?P<key>\b(?:set-)?cookie["']?\s*[:=]\s*["']?)"""
    r"""(?P<value>(?:[^=;\s"']+=[^;\s"']*(?:;[ \t]*)?)+)""",
    re.IGNORECASE,
)
_COOKIE_PAIR = re.compile(r"(?P<name>[^=;\s]+)=(?P<value>[^;\s]*)")
_URL_CREDENTIALS = re.compile(
    r"(?P<head>\b[a-z][a-z0-9+.-]*://[^:/@\s\"'<>]*:)(?P<value>[^@\s/\"'<>]+)(?=@)", re.IGNORECASE
)
_BEARER = re.compile(r"(?P<key>\bbearer\s+)(?P<value>[A-Za-z0-9._~+/=-]{8,})", re.IGNORECASE)


def _masked(match: re.Match[str], group: str = "value") -> str:
    start, end = match.span(group)
    whole_start = match.start()
    text = match.group(0)
    value = match.group(group)
    if not value or value == MASK or set(value) <= {"*"}:
        return text
    return text[: start - whole_start] + MASK + text[end - whole_start :]


def _mask_cookies(match: re.Match[str]) -> str:
    pairs = _COOKIE_PAIR.sub(lambda pair: f"{pair.group('name')}={MASK}", match.group("value"))
    return match.group("key") + pairs


def encoded_forms(value: str) -> set[str]:
    """``value`` as it may appear in an output: plain, URL-encoded, base64 (standard and
    URL-safe, padded or not)."""
    if not value:
        return set()
    raw = value.encode("utf-8")
    forms = {value, quote(value, safe=""), quote(value), quote_plus(value)}
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        text = encode(raw).decode("ascii")
        forms |= {text, text.rstrip("=")}
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


class Redactor:
    """Known values (and their encoded forms) plus the shapes above, replaced by ``***``.

    Thread-safe: the pod monitor's followers and the test thread share it.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._ordered: tuple[str, ...] = ()
        for value in secrets:
            self.add(value)

    def add(self, value: object, user: str | None = None) -> None:
        """Hides ``value`` (a ``Secret`` is unwrapped) in every form; with ``user``, also
        the HTTP Basic form ``base64(user:value)``."""
        text = _plain(value)
        if not text or len(text) < MIN_SECRET_LENGTH:
            return
        forms = encoded_forms(text)
        if user:
            forms |= encoded_forms(f"{user}:{text}") - {f"{user}:{text}"}
        with self._lock:
            if forms <= self._values:
                return
            self._values |= forms
            self._ordered = tuple(sorted(self._values, key=len, reverse=True))

    def known(self) -> tuple[str, ...]:
        """Every value it hides (longest first): for the leak check, never for output."""
        return self._ordered

    def redact(self, text: object, extra: Iterable[str] = ()) -> str:
        """``text`` with every known value, ``extra`` and every secret-shaped value masked."""
        result = text if isinstance(text, str) else str(text)
        if not result:
            return result
        values = self._ordered
        more = {form for value in extra for form in encoded_forms(_plain(value))}
        if more:
            values = tuple(sorted(set(values) | more, key=len, reverse=True))
        for value in values:
            if value in result:
                result = result.replace(value, MASK)
        if not _TRIGGERS.search(result):
            return result
        result = _AUTHORIZATION.sub(_masked, result)
        result = _COOKIE_HEADER.sub(_mask_cookies, result)
        result = _URL_CREDENTIALS.sub(_masked, result)
        result = _QUOTED_PAIR.sub(_masked, result)
        result = _BARE_PAIR.sub(_masked, result)
        return _BEARER.sub(_masked, result)

    def clear(self) -> None:
        with self._lock:
            self._values, self._ordered = set(), ()


def _plain(value: object) -> str:
    """A ``Secret``'s value (duck-typed: no Robot import), else ``str(value)``."""
    if value is None:
        return ""
    inner = getattr(value, "value", value)
    return inner if isinstance(inner, str) else str(inner)


# The run's redactor: one per process.
REDACTOR = Redactor()


def register(value: object, user: str | None = None) -> None:
    """Hides a configured secret from every output of this process (see :class:`Redactor`)."""
    REDACTOR.add(value, user)


def remember(token: object) -> None:
    """Hides a token issued during the run (a login's bearer token, a session cookie)."""
    REDACTOR.add(token)


def redact(text: object, secrets: Iterable[str] = ()) -> str:
    """``text`` as the suite may write it: see the module's documentation. ``secrets`` are
    more values to hide, in every form, for this call only."""
    return REDACTOR.redact(text, secrets)
