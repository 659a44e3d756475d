"""liveView's cookie session and CSRF rule (contract sections 2 and 5), in-process."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from tests.twin.test_focus_server_support import (
    PASSWORD,
    USER,
    FakeJobBackend,
    health_server,
    live_config,
    make_settings,
    new_db,
    tcp_listener,
)
from twin.focus_server.app import create_app

SESSION = "/liveView/session"


@pytest.fixture(scope="module")
def client():
    with health_server() as port, tcp_listener() as rabbitmq:
        app = create_app(make_settings(new_db(), FakeJobBackend(port), rabbitmq))
        with TestClient(app, base_url="https://testserver") as test_client:
            yield test_client
        assert app.state.internal_errors == 0


def log_in(client: TestClient, **extra) -> dict:
    client.cookies.clear()
    response = client.post(SESSION, json={"username": USER, "password": PASSWORD, **extra})
    assert response.status_code == 200, response.text
    return response.json()


def test_page_and_modules_are_served_without_a_session(client):
    client.cookies.clear()
    page = client.get("/liveView")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "script-src 'self'" in page.headers["content-security-policy"]
    module = client.get("/liveView/static/js/main.js")
    assert module.status_code == 200 and "javascript" in module.headers["content-type"]


def test_login_sets_an_httponly_secure_strict_cookie(client):
    client.cookies.clear()
    response = client.post(SESSION, json={"username": USER, "password": PASSWORD})
    cookie = response.headers["set-cookie"].lower()
    assert response.status_code == 200
    for attribute in ("httponly", "secure", "samesite=strict", "path=/"):
        assert attribute in cookie, cookie
    assert response.json()["csrf_token"] and response.json()["user"] == USER


def test_wrong_password_gets_401_and_no_cookie(client):
    client.cookies.clear()
    response = client.post(SESSION, json={"username": USER, "password": "wrong"})
    assert response.status_code == 401 and "set-cookie" not in response.headers


def test_session_reads_the_api_and_needs_the_csrf_token_to_change_it(client):
    token = log_in(client)["csrf_token"]
    assert client.get("/focus-server/channels").status_code == 200
    refused = client.post("/focus-server/configure", json=live_config())
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "CSRF_REJECTED"
    wrong = client.post(
        "/focus-server/configure", json=live_config(), headers={"X-CSRF-Token": "x" + token}
    )
    assert wrong.status_code == 403
    task = client.post(
        "/focus-server/configure", json=live_config(), headers={"X-CSRF-Token": token}
    )
    assert task.status_code == 200, task.text
    listed = client.get("/focus-server/tasks").json()
    assert task.json()["task_id"] in [item["task_id"] for item in listed["tasks"]]
    assert listed["active"] >= 1 and listed["max_windows"] == 30
    stop = client.delete(f"/focus-server/task/{task.json()['task_id']}")
    assert stop.status_code == 403
    assert (
        client.delete(
            f"/focus-server/task/{task.json()['task_id']}", headers={"X-CSRF-Token": token}
        ).status_code
        == 200
    )


def test_logout_needs_the_token_and_revokes_the_session(client):
    token = log_in(client)["csrf_token"]
    cookie = client.cookies.get("liveview_session")
    assert client.delete(SESSION).status_code == 403
    assert client.delete(SESSION, headers={"X-CSRF-Token": token}).status_code == 200
    client.cookies.set("liveview_session", cookie)
    assert client.get("/focus-server/channels").status_code == 401
    assert client.get(SESSION).status_code == 401


def test_an_expired_session_is_refused(client):
    log_in(client, expires_in=1)
    time.sleep(1.1)
    response = client.get("/focus-server/channels")
    assert response.status_code == 401 and "expired" in response.json()["error"]["message"]


def test_a_bearer_token_is_not_a_session(client):
    client.cookies.clear()
    token = client.post("/focus-server/auth/token", json={"username": USER, "password": PASSWORD})
    client.cookies.set("liveview_session", token.json()["access_token"])
    assert client.get("/focus-server/channels").status_code == 401
