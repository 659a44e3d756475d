"""The connection's requests session (`Open Focus Session`, `Send Raw Request`) on the twin."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from libraries.focus_api.client import MASKED, FocusClient
from tests.conftest import RunningTwin

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT / "tests" / "robot_suites" / "focus_session"


@pytest.fixture
def client(twin: RunningTwin) -> Iterator[FocusClient]:
    focus = FocusClient(
        twin.endpoints["focus"]["base_url"],
        twin.secrets["focus_user"],
        twin.secrets["focus_password"],
        ca_bundle=twin.endpoints["ca"],
    )
    try:
        yield focus
    finally:
        focus.close()


def test_the_session_sends_the_token_and_masks_it_afterwards(client: FocusClient) -> None:
    session = client.bearer_session()
    response = session.get(client.url("/channels"))
    assert response.status_code == 200
    assert response.request.headers["Authorization"] == MASKED


def test_a_token_the_server_refuses_is_fetched_again_once(client: FocusClient) -> None:
    session = client.bearer_session()
    client.tokens.get()
    client.tokens._token = "expired-or-forged"  # what the cache holds when the server restarted
    client.tokens._expires_at = time.monotonic() + 300
    response = session.get(client.url("/channels"))
    assert response.status_code == 200
    assert [earlier.status_code for earlier in response.history] == [401]
    assert response.history[0].request.headers["Authorization"] == MASKED
    assert client.tokens.get() != "expired-or-forged"


def test_an_own_authorization_header_is_sent_as_it_is(client: FocusClient) -> None:
    from libraries.focus_api.client import StaticBearer

    session = client.bearer_session()
    response = client.send_with(
        session,
        "GET",
        "/channels",
        auth=StaticBearer(None),
        headers={"Authorization": "Basic Zm9vOmJhcg=="},
    )
    assert response.status_code == 401
    assert not response.history  # a token the caller chose is not refreshed


def test_get_on_session_works_and_no_token_reaches_the_log(
    twin: RunningTwin, tmp_path: Path
) -> None:
    env = {"FOCUS_TWIN_DIR": str(twin.dir), "PATH": str(Path(sys.executable).parent)}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "robot",
            "--outputdir",
            str(tmp_path),
            "--loglevel",
            "TRACE",
            str(SUITE),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**__import__("os").environ, **env},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    output = (tmp_path / "output.xml").read_text()
    assert "GET Request : url=" in output  # RequestsLibrary logged the request headers
    assert "'Authorization': 'Bearer ********'" in output
    token = (tmp_path / "token.txt").read_text().strip()
    assert len(token) > 20 and token not in output
    assert token not in (tmp_path / "log.html").read_text()
