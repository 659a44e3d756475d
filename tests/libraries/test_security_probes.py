"""The Security library's probes: TLS versions against a local TLS server, headers, leaks."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Iterator

import pytest
import trustme

from libraries.security import Security, probes


@contextlib.contextmanager
def tls_server(minimum: ssl.TLSVersion, tmp_path) -> Iterator[tuple[str, str]]:
    """A TLS server on loopback accepting handshakes from ``minimum`` on; yields its URL and
    the file of the CA that signed its certificate."""
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    cert = ca.issue_cert("127.0.0.1")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    context.set_ciphers("ALL:@SECLEVEL=0")
    context.minimum_version = minimum
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                raw, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with contextlib.suppress(OSError), context.wrap_socket(raw, server_side=True):
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{listener.getsockname()[1]}/", str(ca_file)
    finally:
        stop.set()
        listener.close()
        thread.join(5)


def test_a_server_allowing_tls_1_1_is_seen_accepting_it(tmp_path):
    if not probes.client_can_offer("TLSv1.1"):
        pytest.skip("OpenSSL here cannot offer TLS 1.1")
    with tls_server(ssl.TLSVersion.TLSv1, tmp_path) as (url, ca_file):
        outcome = probes.tls_handshake(url, "TLSv1.1", ca_file)
    assert outcome.accepted and outcome.version == "TLSv1.1", outcome


def test_a_server_requiring_tls_1_2_is_seen_refusing_tls_1_1(tmp_path):
    with tls_server(ssl.TLSVersion.TLSv1_2, tmp_path) as (url, ca_file):
        old = probes.tls_handshake(url, "TLSv1.1", ca_file)
        current = probes.tls_handshake(url, "TLSv1.2", ca_file)
    assert not old.accepted and old.error
    assert current.version == "TLSv1.2"


def test_a_certificate_no_trusted_ca_signed_is_refused_without_a_ca_file(tmp_path):
    """Without a CA file the system's store decides: a private CA's server is not trusted."""
    with tls_server(ssl.TLSVersion.TLSv1_2, tmp_path) as (url, _):
        outcome = probes.tls_handshake(url, "TLSv1.2", None)
    assert not outcome.accepted and "CERTIFICATE_VERIFY_FAILED" in (outcome.error or "")


def test_only_https_urls_and_known_versions():
    with pytest.raises(ValueError, match="https://"):
        probes.host_port("http://127.0.0.1:80/")
    with pytest.raises(ValueError, match="unknown TLS version"):
        probes.tls_handshake("https://127.0.0.1:1/", "SSLv3", None)


def test_missing_security_headers():
    good = {
        "strict-transport-security": "max-age=31536000",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }
    assert probes.missing_security_headers(good) == []
    assert probes.missing_security_headers({**good, "Cache-Control": "max-age=60"}) == [
        "Cache-Control: 'max-age=60'"
    ]
    ui = {k: v for k, v in good.items() if k != "Cache-Control"}
    assert probes.missing_security_headers(ui, api=False) == []
    assert probes.missing_security_headers({}, api=False) == [
        "Strict-Transport-Security: absent",
        "X-Content-Type-Options: absent",
    ]


def test_leaks_name_traces_and_secrets_without_quoting_them():
    trace = 'Traceback (most recent call last):\n  File "/app/x.py", line 3'
    assert probes.leaks(trace) == ["a Python traceback"]
    assert probes.leaks('{"error": "E11000 duplicate key"}') == ["a MongoDB error"]
    assert probes.leaks("the password is hunter22", ["hunter22", "abc"]) == ["secret #1"]
    assert probes.leaks('{"error": {"code": "VALIDATION_ERROR"}}', ["hunter22"]) == []


def test_nested_json():
    assert probes.nested_json(2) == "[[]]"
    assert probes.nested_json(1, "channels") == '{"channels": []}'


def test_an_untrusted_certificate_is_not_taken_for_a_refused_version(tmp_path):
    with (
        tls_server(ssl.TLSVersion.TLSv1_2, tmp_path) as (url, _),
        pytest.raises(AssertionError, match="does not trust.*pass ca_bundle"),
    ):
        Security().tls_version_should_be_refused(url, "TLSv1.2")
