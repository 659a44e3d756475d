"""The one redactor (libraries/common/redact.py), where it applies, and the leak check.

No twin: a secrets.json written here stands for a twin's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from libraries.common import redact as redact_module
from libraries.common.redact import MASK, Redactor
from scripts.checks import check_secrets

ROOT = Path(__file__).resolve().parents[1]
SECRET = "p@ss/w0rd+Redact-4711"
USER = "focus-tester"


@pytest.fixture
def redactor() -> Redactor:
    return Redactor([])


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "form",
    [
        SECRET,
        quote(SECRET, safe=""),
        quote(SECRET),
        _b64(SECRET),
        base64.urlsafe_b64encode(SECRET.encode()).decode().rstrip("="),
        _b64(f"{USER}:{SECRET}"),
    ],
    ids=["plain", "url-encoded", "url-path", "base64", "base64url", "basic-auth"],
)
def test_a_configured_secret_is_masked_in_every_form(redactor: Redactor, form: str):
    redactor.add(SECRET, user=USER)
    text = f"before {form} after"
    assert redactor.redact(text) == f"before {MASK} after"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer abc.def-123", "Authorization: Bearer ***"),
        ('{"Authorization": "Basic dXNlcjpwYXNz"}', '{"Authorization": "Basic ***"}'),
        ("Cookie: session=abc123; theme=dark", "Cookie: session=***; theme=***"),
        ("Set-Cookie: sid=xyz; HttpOnly", "Set-Cookie: sid=***; HttpOnly"),
        ("GET /x?password=hunter2&user=a", "GET /x?password=***&user=a"),
        ('{"username": "u", "password": "hunter2"}', '{"username": "u", "password": "***"}'),
        ("{'passwd': 'hunter2'}", "{'passwd': '***'}"),
        ("client_secret=abc123 next", "client_secret=*** next"),
        ("secret: s3cr3t-value", "secret: ***"),
        ("token=abcdef", "token=***"),
        (
            "mongodb://prisma:hunter2@mongo.example.invalid:27017/prisma",
            "mongodb://prisma:***@mongo.example.invalid:27017/prisma",
        ),
        ("amqps://user:pa%40ss@host:5671/%2F", "amqps://user:***@host:5671/%2F"),
        ("sent Bearer eyJhbGciOi.payload.sig", "sent Bearer ***"),
    ],
    # named ids: a secret-shaped value in a test id would be a leak in results/pytest.xml
    ids=[
        "authorization-bearer",
        "authorization-basic",
        "cookie",
        "set-cookie",
        "query-password",
        "json-password",
        "passwd",
        "client-secret",
        "secret",
        "token",
        "mongodb-uri",
        "amqps-uri",
        "bearer",
    ],
)
def test_secret_shaped_values_are_masked(redactor: Redactor, text: str, expected: str):
    assert redactor.redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "invalid token",
        "token expired",
        "tokens=5 token_count=3",
        "https://host:8443/focus-server/channels",
        "password=***",
        "nothing to hide here",
        # an endpoint named token is a path, not a key: its figures stay readable in log.html
        "POST /auth/token: median 4.0 ms against the control's 3.0 ms",
        "GET /api/secret: 404",
    ],
)
def test_ordinary_text_is_left_alone(redactor: Redactor, text: str):
    assert redactor.redact(text) == text


def test_a_token_issued_during_the_run_is_masked():
    from libraries.focus_api.models import TokenResponse

    token = "eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbi1pc3N1ZWQtbm93"
    TokenResponse(access_token=token, token_type="bearer", expires_in=60)
    try:
        assert redact_module.redact(f"the answer held {token}") == "the answer held ***"
    finally:
        redact_module.REDACTOR.clear()


def test_the_publishing_scripts_use_the_one_redactor():
    from scripts.publishing import http, jira_bugs, xray_import

    assert http.redact is redact_module.redact
    assert jira_bugs.redact is redact_module.redact
    assert xray_import.redact is redact_module.redact
    defined = [
        path.relative_to(ROOT)
        for folder in ("libraries", "scripts")
        for path in (ROOT / folder).rglob("*.py")
        if "\ndef redact(" in path.read_text()
    ]
    assert defined == [Path("libraries/common/redact.py")]


def test_jira_text_is_redacted():
    from scripts.publishing.jira_bugs import failure_text

    assert failure_text("login failed: password=hunter2") == "login failed: password=***"


def test_xray_evidence_is_redacted():
    from scripts.publishing.xray_import import evidence_of

    class Test:
        status, name, tags, images = "FAIL", "T", [], []
        pod_logs = {"focus-server-0": "connecting to mongodb://prisma:hunter2@db:27017"}

    (evidence,) = evidence_of(Test())  # type: ignore[arg-type]
    assert b"hunter2" not in evidence.data and b"prisma:***@db" in evidence.data


def test_the_sanity_target_and_table_hide_passwords():
    from robot.api.types import Secret

    from libraries.sanity.checks import Outcome, Problem, table, target_from

    target = target_from(
        "staging",
        {
            "FOCUS_BASE_URL": "https://focus.example:443",
            "FOCUS_PASSWORD": Secret(SECRET),
            "MONGO_HOST": "db",
            "MONGO_PASSWORD": Secret(SECRET + "-mongo"),
            "MONGO_TLS": True,
            "RABBITMQ_PASSWORD": Secret(SECRET + "-rabbit"),
            "RABBITMQ_MGMT_URL": "https://mq:15671",
        },
    )
    # the variable file's Secrets are unwrapped into the target, and kept out of its repr
    assert target.mongo_password == SECRET + "-mongo" and target.mongo_tls
    assert SECRET not in repr(target)
    outcome = Outcome("MongoDB", f"mongodb://m:{SECRET}@db:27017")
    outcome.problem = Problem(f"refused password={SECRET}", "check MONGO_URI")
    redact_module.register(SECRET)
    try:
        text = table([outcome], "staging", 1.0)
    finally:
        redact_module.REDACTOR.clear()
    assert SECRET not in text and quote(SECRET, safe="") not in text
    assert "mongodb://m:***@db:27017" in text


def test_pod_log_files_and_excerpts_are_redacted(tmp_path: Path):
    from libraries.pod_monitor.buffer import Line
    from libraries.pod_monitor.report import excerpt_html, write_test_logs

    lines = [Line(ns=0, text=f"auth with password={SECRET}", error=None, origin=None)]
    paths = write_test_logs(tmp_path, "Suite", "Test", {"pod-0": lines})
    html = excerpt_html({"pod-0": lines}, paths, tmp_path, 10)
    for text in (paths["pod-0"].read_text(), html):
        assert SECRET not in text and "password=***" in text


def test_the_listener_masks_every_message_of_a_robot_run(tmp_path: Path):
    suite = tmp_path / "leaky.robot"
    suite.write_text(
        "*** Test Cases ***\n"
        "Leaky\n"
        "    Log    Authorization: Bearer abcdef123456 and password=hunter2\n"
        "    Should Be Equal    mongodb://u:hunter2@h    other\n"
    )
    subprocess.run(
        [sys.executable, "-m", "robot", "--listener", "libraries.redaction.Redaction"]
        + ["--outputdir", str(tmp_path), "--console", "none", str(suite)],
        cwd=ROOT,
        check=False,
        timeout=120,
    )
    for name in ("output.xml", "log.html", "report.html"):
        text = (tmp_path / name).read_text()
        assert "hunter2" not in text and "abcdef123456" not in text, name
    assert "mongodb://u:***@h" in (tmp_path / "output.xml").read_text()


# ------------------------------------------------------------------ the leak check


def _twin_results(tmp_path: Path) -> tuple[Path, dict]:
    results = tmp_path / "results"
    twin = results / "guard" / "twin"
    twin.mkdir(parents=True)
    secrets = {
        "focus_user": USER,
        "focus_password": SECRET,
        "mongo_user": "prisma",
        "mongo_password": "mongo-Secret-0042",
        "token_signing_key": "signing-key-0123456789abcdef",
    }
    (twin / "secrets.json").write_text(json.dumps(secrets))
    (results / "regression").mkdir()
    (results / "regression" / "output.xml").write_text("<robot>all clean: password=***</robot>")
    return results, secrets


def _token(key: str) -> str:
    body = base64.urlsafe_b64encode(b'{"sub":"focus-tester","exp":1}').rstrip(b"=")
    signature = hmac.new(key.encode(), body, hashlib.sha256).digest()
    return f"{body.decode()}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def _session_cookie(key: str) -> str:
    body = base64.urlsafe_b64encode(b'{"sub":"focus-tester","exp":1,"sid":"ab"}').rstrip(b"=")
    session_key = hmac.new(key.encode(), b"liveview-session", hashlib.sha256).digest()
    signature = hmac.new(session_key, b"session:" + body, hashlib.sha256).digest()
    return f"{body.decode()}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def test_the_leak_check_passes_clean_results(tmp_path: Path, capsys):
    results, _ = _twin_results(tmp_path)
    assert check_secrets.main([str(results)], environ={}) == 0
    out = capsys.readouterr().out
    assert "checked 1 files" in out and "0 leak(s)" in out and "left out: 1 twin" in out


@pytest.mark.parametrize(
    "leak",
    [
        lambda s: s["focus_password"],
        lambda s: quote(s["focus_password"], safe=""),
        lambda s: _b64(s["mongo_password"]),
        lambda s: _b64("xy" + s["mongo_password"] + "tail"),  # inside a longer base64
        lambda s: _b64(f"{s['focus_user']}:{s['focus_password']}"),
        lambda s: _token(s["token_signing_key"]),
        lambda s: f"focus_session={_session_cookie(s['token_signing_key'])}",
        lambda s: "Authorization: Bearer Zm9vYmFyYmF6cXV4MTIzNDU2",
        lambda s: "Cookie: session=9f8e7d6c5b4a39281716",
        lambda s: "mongodb://prisma:other-Pass-77@db:27017",
        lambda s: '{"password": "typed-by-hand-99"}',
    ],
    ids=[
        "plain",
        "url-encoded",
        "base64",
        "base64-inside",
        "basic-auth",
        "issued-token",
        "session-cookie",
        "authorization",
        "cookie",
        "url-credentials",
        "password-pattern",
    ],
)
def test_the_leak_check_finds_each_form(tmp_path: Path, capsys, leak):
    results, secrets = _twin_results(tmp_path)
    (results / "regression" / "pod.log").write_text(f"line with {leak(secrets)} in it\n")
    assert check_secrets.main([str(results)], environ={}) == 1
    out = capsys.readouterr().out
    assert "LEAK:" in out and "pod.log" in out
    for value in secrets.values():
        assert value not in out  # the report never shows the value


def test_the_leak_check_reads_remote_secrets_from_the_environment(tmp_path: Path, capsys):
    results, _ = _twin_results(tmp_path)
    (results / "regression" / "console.txt").write_text("rabbit pw R4bbit-Remote-Pw\n")
    environ = {"RABBITMQ_URL": "amqps://alert:R4bbit-Remote-Pw@mq.example:5671/%2F"}
    assert check_secrets.main([str(results)], environ=environ) == 1
    assert "the password in $RABBITMQ_URL" in capsys.readouterr().out


def test_robot_variables_and_masked_values_are_not_leaks():
    text = "<arg>token=${token}</arg> password=*** Authorization=${header} per token: beyond"
    assert check_secrets.shaped_leaks(text) == []
