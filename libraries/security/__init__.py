"""Security: keywords that probe the hardening rules of contract section 2.

TLS versions, JSON nesting bombs, security headers and leaks in error bodies. The
probes are plain functions in ``libraries/security/probes.py``; requests go through
``FocusApi``'s `Send Raw Request`, whose response these keywords inspect.
"""

from __future__ import annotations

from typing import Any

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
