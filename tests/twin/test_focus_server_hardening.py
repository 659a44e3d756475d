"""The twin's Focus Server against the contract's hardening rules (section 2, decided):
JSON nesting, content type, security headers, TLS 1.2+, no leak in error bodies."""

from __future__ import annotations

import json

import pytest

from contract import constants
from tests.twin.test_focus_server import (  # noqa: F401 (fixtures)
    error_of,
    health_port,
    seeded_recordings,
    shared_api,
)
from tests.twin.test_focus_server_support import live_config
from twin.focus_server.validation import is_json_type, json_depth

JSON = {"Content-Type": "application/json"}


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def test_json_depth_skips_strings_and_escapes():
    assert json_depth(b"{}") == 1
    assert json_depth(b'{"a": "[[[[\\"{{"}') == 1
    assert json_depth(b'[[{"a": [1]}]]') == 4
    assert json_depth(b"1") == 0


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "application/problem+json",
        "APPLICATION/JSON",
    ],
)
def test_json_media_types(content_type):
    assert is_json_type(content_type)


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/jsonx",
    ],
)
def test_other_media_types(content_type):
    assert not is_json_type(content_type)


@pytest.mark.parametrize("path", ["/configure", "/config_task/any-task", "/auth/token"])
def test_json_nested_beyond_64_levels_is_a_400(shared_api, path):  # noqa: F811
    body = b'{"channels": ' + nested(1000) + b"}"
    error = error_of(shared_api.post(path, content=body, headers=JSON), 400)
    assert "nested deeper than 64" in error["message"]


def test_json_nested_64_levels_is_parsed(shared_api):  # noqa: F811
    body = b'{"colour": ' + nested(constants.MAX_JSON_DEPTH - 1) + b"}"
    error = error_of(shared_api.post("/configure", content=body, headers=JSON), 400)
    assert error["field"] == "colour"  # parsed, then refused as an unknown field


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
@pytest.mark.parametrize("path", ["/configure", "/config_task/any-task", "/auth/token"])
def test_a_body_not_declared_json_is_a_415(shared_api, path, content_type):  # noqa: F811
    headers = {"Content-Type": content_type} if content_type else {}
    body = json.dumps(live_config()).encode()
    response = shared_api.post(path, content=body, headers=headers)
    assert error_of(response, 415)["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert shared_api.get("/channels").status_code == 200


def test_huge_numbers_and_nul_bytes_are_400s(shared_api):  # noqa: F811
    for raw in (
        b'{"nfft": 1e999}',
        b'{"nfft": ' + b"9" * 5000 + b"}",
        json.dumps(live_config(nfft=2**80)).encode(),
        json.dumps(live_config(viewType="Multi\u0000Channel")).encode(),
    ):
        response = shared_api.post("/configure", content=raw, headers=JSON)
        assert response.status_code == 400, (raw[:60], response.text)


@pytest.mark.parametrize(
    ("method", "path", "api"),
    [
        ("GET", "/focus-server/health", True),
        ("GET", "/focus-server/channels", True),
        ("GET", "/focus-server/nowhere", True),
        ("GET", "/elsewhere", False),
    ],
)
def test_every_answer_carries_the_security_headers(shared_api, method, path, api):  # noqa: F811
    headers = {"Authorization": f"Bearer {shared_api.token}"}
    response = shared_api.client.request(method, path, headers=headers)
    assert response.headers["strict-transport-security"].startswith("max-age=")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert (response.headers.get("cache-control") == "no-store") is api


def test_error_answers_carry_the_security_headers(shared_api):  # noqa: F811
    big = b"x" * (constants.MAX_BODY_BYTES + 1)
    for response in (
        shared_api.post("/configure", content=big, headers=JSON),
        shared_api.get("/channels", token="forged"),
        shared_api.post("/configure", content=b"{", headers=JSON),
    ):
        assert response.status_code in (400, 401, 413)
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store"
        assert "Traceback" not in response.text
