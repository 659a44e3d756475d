"""The Xray publisher against a stub Jira on loopback (Server/DC mode)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from scripts import xray_import

received: list[dict] = []


class _StubJira(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        received.append({"path": self.path, "auth": self.headers["Authorization"], "body": body})
        answer = json.dumps({"testExecIssue": {"key": "PZ-99999"}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def stub_jira(monkeypatch: pytest.MonkeyPatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StubJira)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("XRAY_BASE_URL", f"http://127.0.0.1:{server.server_port}")
    monkeypatch.setenv("XRAY_TOKEN", "pat-123")
    monkeypatch.setenv("XRAY_PROJECT_KEY", "PZ")
    monkeypatch.setenv("XRAY_TEST_PLAN", "PZ-14024")
    received.clear()
    yield
    server.shutdown()
    server.server_close()


def test_output_xml_is_posted_with_project_and_plan(stub_jira, tmp_path: Path):
    output = tmp_path / "output.xml"
    output.write_text("<robot/>")
    assert xray_import.import_results(output) == "PZ-99999"
    (request,) = received
    assert request["path"].startswith("/rest/raven/2.0/import/execution/robot?")
    assert "projectKey=PZ" in request["path"] and "testPlanKey=PZ-14024" in request["path"]
    assert request["auth"] == "Bearer pat-123"
    assert request["body"] == b"<robot/>"


def test_missing_credentials_are_named(monkeypatch: pytest.MonkeyPatch):
    for name in ("XRAY_BASE_URL", "XRAY_CLIENT_ID", "XRAY_CLIENT_SECRET", "XRAY_PROJECT_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RuntimeError, match="XRAY_PROJECT_KEY, XRAY_CLIENT_ID, XRAY_CLIENT_SECRET"):
        xray_import.import_results(Path("unused.xml"))
