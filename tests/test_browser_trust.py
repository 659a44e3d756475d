"""Chromium verifies TLS: it trusts a CA only through the NSS database we build, and a page
whose certificate it cannot verify does not load (no ignoreHTTPSErrors anywhere).

A local HTTPS server on 127.0.0.1 with a certificate from a throw-away CA (trustme), and
Debian's chromium headless (``--dump-dom``) with and without the NSS database.
"""

from __future__ import annotations

import http.server
import os
import shutil
import ssl
import subprocess
import threading
from pathlib import Path

import pytest

from libraries import browser_trust

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PAGE = b"<html><body><p id='marker'>trusted-page-4711</p></body></html>"

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and shutil.which("certutil")),
    reason="needs Debian's chromium and certutil (make setup installs both)",
)


class _Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def https_server(tmp_path: Path):
    import trustme

    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}/", tmp_path / "ca.pem"
    server.shutdown()
    server.server_close()


def _dump(url: str, home: Path, tmp_path: Path) -> str:
    env = {**os.environ, "HOME": str(home)}
    run = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
        + [f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", url],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return run.stdout


def test_chromium_trusts_the_ca_through_the_nss_database(https_server, tmp_path: Path):
    url, ca = https_server
    home = browser_trust.nss_home(ca, tmp_path / "trust")
    assert (home / ".pki" / "nssdb" / "cert9.db").exists()
    assert "trusted-page-4711" in _dump(url, home, tmp_path)


def test_chromium_refuses_a_certificate_it_cannot_verify(https_server, tmp_path: Path):
    url, _ = https_server
    empty_home = tmp_path / "empty-home"
    empty_home.mkdir()
    assert "trusted-page-4711" not in _dump(url, empty_home, tmp_path)


def test_the_nss_database_is_built_once_per_bundle(https_server, tmp_path: Path):
    _, ca = https_server
    first = browser_trust.nss_home(ca, tmp_path / "trust")
    assert browser_trust.nss_home(ca, tmp_path / "trust") == first


def test_a_bundle_without_a_certificate_gets_one_line(tmp_path: Path):
    bundle = tmp_path / "empty.pem"
    bundle.write_text("not a certificate\n")
    with pytest.raises(browser_trust.BrowserTrustError, match="holds no PEM certificate"):
        browser_trust.nss_home(bundle, tmp_path / "trust")


def test_no_suite_or_resource_ignores_https_errors():
    found = [
        str(path.relative_to(ROOT))
        for folder in ("robot", "resources", "benchmarks")
        for path in (ROOT / folder).rglob("*")
        if path.suffix in (".robot", ".resource", ".py")
        and "ignorehttpserrors" in path.read_text().lower()
    ]
    assert found == []
