"""Security: keywords that probe the hardening rules of contract section 2.

TLS versions, JSON nesting bombs, security headers and leaks in error bodies. The
probes are plain functions in ``libraries/security/probes.py``; requests go through
``FocusApi``'s `Send Raw Request`, whose response these keywords inspect.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlencode

import requests
from robot.api import SkipExecution, logger
from robot.api.deco import keyword, library
from robot.api.types import Secret

from libraries.common.arguments import plain
from libraries.security import probes

__all__ = ["Security"]


@library(scope="GLOBAL", auto_keywords=False)
class Security:
    """Keywords for the transport and input hardening of the Focus Server.

    = Examples =

    | `TLS Version Should Be Refused` | ${FOCUS_BASE_URL} | TLSv1.1 | ca_bundle=${CA_BUNDLE} |
    | ${body} = | `Build Nested JSON` | 1000 | field=channels |
    | ${response} = | Send Raw Request | GET | /channels |
    | `Response Should Carry Security Headers` | ${response} |
    | `Error Body Should Not Leak` | ${response} | ${FOCUS_PASSWORD} |
    """

    @keyword
    def tls_version_should_be_refused(
        self, url: str, version: str, ca_bundle: str | None = None
    ) -> str:
        """The server of ``url`` refuses a handshake offering only TLS ``version``; returns
        the handshake's error. Skips when this machine's OpenSSL cannot offer ``version``.

        | `TLS Version Should Be Refused` | ${FOCUS_BASE_URL} | TLSv1.1 | ca_bundle=${CA_BUNDLE} |
        """
        if not probes.client_can_offer(version):
            raise SkipExecution(f"this machine's OpenSSL cannot offer {version}")
        outcome = probes.tls_handshake(url, version, ca_bundle)
        host, port = probes.host_port(url)
        if (outcome.error or "").startswith("SSLCertVerificationError"):
            raise AssertionError(
                f"{host}:{port} offered a certificate this probe does not trust, so a refusal of "
                f"{version} cannot be told apart: pass ca_bundle ({outcome.error})"
            )
        if outcome.accepted:
            raise AssertionError(
                f"{host}:{port} accepted a {version} handshake (negotiated {outcome.version}); "
                "the contract allows TLS 1.2 or newer only"
            )
        logger.info(f"{host}:{port} refused {version}: {outcome.error}")
        return outcome.error or ""

    @keyword
    def tls_version_should_be_accepted(
        self, url: str, version: str, ca_bundle: str | None = None
    ) -> str:
        """The server of ``url`` completes a handshake offering only TLS ``version``
        (the control that makes `TLS Version Should Be Refused` meaningful).

        | `TLS Version Should Be Accepted` | ${FOCUS_BASE_URL} | TLSv1.2 | ca_bundle=${CA_BUNDLE} |
        """
        outcome = probes.tls_handshake(url, version, ca_bundle)
        host, port = probes.host_port(url)
        if not outcome.accepted:
            raise AssertionError(f"{host}:{port} refused a {version} handshake: {outcome.error}")
        logger.info(f"{host}:{port} negotiated {outcome.version}")
        return outcome.version or ""

    @keyword("Build Nested JSON")
    def build_nested_json(self, depth: int, field: str | None = None) -> str:
        """A JSON text of ``depth`` nested arrays, as the value of ``field`` when given.

        | ${body} = | `Build Nested JSON` | 1000 | field=channels |
        """
        return probes.nested_json(depth, field)

    @keyword("Build JSON Nested Exactly")
    def build_json_nested_exactly(self, levels: int, field: str) -> str:
        """A JSON object whose nesting depth, the object itself counted, is exactly
        ``levels``: ``{"field": [[...]]}`` with ``levels - 1`` arrays.

        | ${body} = | `Build JSON Nested Exactly` | ${MAX_JSON_DEPTH} | field=colour |
        """
        if levels < 2:
            raise ValueError(f"an object holding an array is 2 levels deep at least, got {levels}")
        return probes.nested_json(levels - 1, field)

    @keyword("Build JSON Text")
    def build_json_text(
        self, value: Any, raw_field: str | None = None, raw_value: str | None = None
    ) -> str:
        """``value`` (a dict, list, number, string) as JSON text, for a body sent as it is.
        With ``raw_field``, that field of the dict ``value`` holds the raw JSON text
        ``raw_value`` instead: a number no parser keeps (``1e999``), an escaped NUL, text
        that is not valid JSON.

        | ${text} = | `Build JSON Text` | ${payload} |
        | ${text} = | `Build JSON Text` | ${payload} | raw_field=nfft | raw_value=1e999 |
        """
        if raw_field is None:
            return json.dumps(value)
        if not isinstance(value, dict) or raw_value is None:
            raise ValueError("raw_field needs a dict value and a raw_value")
        marker = "__RAW_VALUE__"
        text = json.dumps({**value, raw_field: marker})
        return text.replace(json.dumps(marker), raw_value, 1)

    @keyword("Parse JSON Text")
    def parse_json_text(self, text: str) -> Any:
        """The value of the JSON ``text`` (``{"$gt": 0}`` becomes a dict).

        | ${operator} = | `Parse JSON Text` | {"$gt": 0} |
        """
        return json.loads(text)

    @keyword
    def encode_query_parameter(self, name: str, value: str) -> str:
        """``name=value`` URL-encoded for a query string (``{"$ne": 1}`` is sent as text).

        | ${query} = | `Encode Query Parameter` | severity | {"$ne": 1} |
        | Send Raw Request | GET | /alerts?${query} |
        """
        return urlencode({name: value})

    @keyword
    def encode_path_segment(self, text: str) -> str:
        """``text`` URL-encoded as one path segment (``/`` too): ``../x`` becomes ``..%2Fx``.

        | ${id} = | `Encode Path Segment` | ../../etc/passwd |
        """
        return quote(text, safe="")

    @keyword
    def build_oversized_json(self, size: int, field: str = "pad") -> str:
        """A JSON object whose ``field`` is a string of ``size`` characters: a body larger than
        ``size`` bytes.

        | ${body} = | `Build Oversized JSON` | ${MAX_BODY_BYTES} |
        """
        return json.dumps({field: "x" * size})

    @keyword
    def build_json_of_size(self, size: int, field: str = "pad") -> str:
        """A JSON object of exactly ``size`` bytes: one field ``field`` holding a string
        that fills it (``{"pad": "xxx...x"}``).

        | ${body} = | `Build JSON Of Size` | ${MAX_BODY_BYTES} |
        """
        overhead = len(json.dumps({field: ""}).encode())
        if size < overhead:
            raise ValueError(f"a JSON object with field {field!r} needs {overhead} bytes at least")
        body = json.dumps({field: "x" * (size - overhead)})
        return body

    @keyword
    def fetch_page(
        self, url: str, ca_bundle: str | None = None, timeout: timedelta = timedelta(seconds=10)
    ) -> Any:
        """``GET url`` with no credential (a page or file of the web UI, for its headers);
        TLS is verified against ``ca_bundle`` (``None``: the system store). Returns the
        ``requests`` response, whatever its status.

        | ${page} = | `Fetch Page` | ${FOCUS_UI_URL} | ca_bundle=${CA_BUNDLE} |
        """
        with requests.Session() as session:
            session.trust_env = False  # REQUESTS_CA_BUNDLE would beat verify (requests #3829)
            response = session.get(url, verify=ca_bundle or True, timeout=timeout.total_seconds())
        logger.info(f"GET {url}: {response.status_code}")
        return response

    @keyword
    def response_should_carry_security_headers(self, response: Any, api: bool = True) -> None:
        """``response`` carries ``Strict-Transport-Security`` and ``X-Content-Type-Options:
        nosniff``, and for an API answer (``api=True``) ``Cache-Control: no-store``.

        | ${response} = | Send Raw Request | GET | /health |
        | `Response Should Carry Security Headers` | ${response} |
        """
        problems = probes.missing_security_headers(response.headers, api)
        where = f"{response.request.method} {response.url} ({response.status_code})"
        if problems:
            raise AssertionError(f"{where} lacks security headers: {'; '.join(problems)}")
        logger.info(f"{where} carries every security header")

    @keyword
    def error_body_should_not_leak(self, response: Any, *secrets: Secret | str) -> None:
        """The body of ``response`` holds no stack trace, no internal error text and none of
        ``secrets`` (a `Secret` or a string; a leak is named by position, never shown).

        | `Error Body Should Not Leak` | ${response} | ${FOCUS_PASSWORD} | ${token} |
        """
        found = probes.leaks(response.text, [plain(secret) for secret in secrets])
        where = f"{response.request.method} {response.url} ({response.status_code})"
        if found:
            raise AssertionError(f"The body of {where} leaks {', '.join(found)}")
