"""Plain probes of a server's hardening (no Robot imports): TLS versions, JSON bombs,
security headers and leaks in error bodies. Used by the ``Security`` keyword library."""

from __future__ import annotations

import re
import socket
import ssl
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

TLS_VERSIONS = {
    "TLSv1": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}
# Contract section 2 (decided): every answer; Cache-Control: no-store on API answers.
SECURITY_HEADERS = {
    "Strict-Transport-Security": re.compile(r"max-age=\d+"),
    "X-Content-Type-Options": re.compile(r"^nosniff$", re.IGNORECASE),
}
API_HEADERS = {"Cache-Control": re.compile(r"\bno-store\b", re.IGNORECASE)}
# What a stack trace or an internal error looks like in a body (Python, Java, Node, Go).
LEAK_PATTERNS = {
    "a Python traceback": re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\.py\""),
    "a Java stack trace": re.compile(r"\bat [\w.$]+\([\w]+\.java:\d+\)"),
    "a Node stack trace": re.compile(r"\bat .+\(/[^)]+\.js:\d+:\d+\)"),
    "a Go panic": re.compile(r"goroutine \d+ \[running\]"),
    "a MongoDB error": re.compile(r"pymongo|MongoServerError|E11000", re.IGNORECASE),
}


@dataclass(frozen=True)
class Handshake:
    """The outcome of one TLS handshake: the negotiated version or why it failed."""

    offered: str
    version: str | None
    error: str | None

    @property
    def accepted(self) -> bool:
        return self.version is not None


def host_port(url: str) -> tuple[str, int]:
    """Host and port of an ``https://`` URL (port 443 by default)."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError(f"need an https:// URL, got {url!r}")
    return parts.hostname, parts.port or 443


def tls_handshake(url: str, version: str, ca_file: str | None, timeout: float = 5.0) -> Handshake:
    """Offer exactly TLS ``version`` to the server of ``url``; never sends an HTTP request.

    The client allows old versions and weak ciphers (``@SECLEVEL=0``) so that a refusal
    is the server's, not this client's.
    """
    if version not in TLS_VERSIONS:
        raise ValueError(f"unknown TLS version {version!r}: use one of {', '.join(TLS_VERSIONS)}")
    host, port = host_port(url)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    # The chain is verified against the environment's CA (else the system's store); the
    # hostname is not (a probe by IP).
    if ca_file:
        context.load_verify_locations(ca_file)
    else:
        context.load_default_certs()
    _offer_only(context, version)
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=host) as tls,
        ):
            return Handshake(version, tls.version(), None)
    except (ssl.SSLError, ConnectionError, TimeoutError) as error:
        return Handshake(version, None, f"{type(error).__name__}: {error}")


def _offer_only(context: ssl.SSLContext, version: str) -> None:
    """Make ``context`` offer exactly ``version`` (old ones on purpose: this is a probe)."""
    if TLS_VERSIONS[version] < ssl.TLSVersion.TLSv1_2:
        context.set_ciphers("ALL:@SECLEVEL=0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = context.maximum_version = TLS_VERSIONS[version]


def client_can_offer(version: str) -> bool:
    """Whether this machine's OpenSSL can offer ``version`` at all (probe honesty)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        _offer_only(context, version)
    except (ssl.SSLError, ValueError):
        return False
    return bool(context.get_ciphers())


def nested_json(depth: int, field: str | None = None) -> str:
    """A JSON text of ``depth`` nested arrays, alone or as the value of ``field``."""
    if depth < 1:
        raise ValueError(f"depth must be >= 1, got {depth}")
    inner = "[" * depth + "]" * depth
    return inner if field is None else f'{{"{field}": {inner}}}'


def missing_security_headers(headers: Mapping[str, str], api: bool = True) -> list[str]:
    """Each required header that is absent or wrong, as ``name: what was seen``."""
    lowered = {name.lower(): value for name, value in headers.items()}
    wanted = {**SECURITY_HEADERS, **(API_HEADERS if api else {})}
    problems = []
    for name, pattern in wanted.items():
        value = lowered.get(name.lower())
        if value is None or not pattern.search(value):
            problems.append(f"{name}: {'absent' if value is None else repr(value)}")
    return problems


def leaks(text: str, secrets: Iterable[str] = ()) -> list[str]:
    """What ``text`` gives away: a stack trace, an internal error, or one of ``secrets``
    (named by position, never quoted)."""
    found = [name for name, pattern in LEAK_PATTERNS.items() if pattern.search(text)]
    found += [
        f"secret #{index}"
        for index, secret in enumerate(secrets, 1)
        if secret and len(secret) >= 4 and secret in text
    ]
    return found
