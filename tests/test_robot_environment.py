"""Robot-level behaviour of the environment: one-line errors, the destructive guard, no leaks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from variables import environments

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT / "tests" / "robot_suites" / "env_check"
LOOPBACK_ENV = {
    "FOCUS_BASE_URL": "https://127.0.0.1:9/focus-server",
    "FOCUS_USER": "qa",
    "FOCUS_PASSWORD": "p@ss-focus-4711",
    "MONGO_URI": "mongodb://prisma:p%40ss-mongo-4711@127.0.0.1:9/?authSource=prisma&tls=true",
    "RABBITMQ_URL": "amqps://prisma:p%40ss-rabbit-4711@127.0.0.1:9/%2F",
    "KUBECONFIG": "/nonexistent/kubeconfig",
}


def _robot(
    out: Path, *args: str, env: dict | None = None, suite: Path = SUITE
) -> subprocess.CompletedProcess:
    base_env = {k: v for k, v in os.environ.items() if k not in environments.REQUIRED}
    for name in ("ALLOW_DESTRUCTIVE", "ALLOW_DISRUPTIVE", "ALLOW_SHARED", "FOCUS_ENV"):
        base_env.pop(name, None)
    for name in ("PRODUCTION_HOSTS", "STAGING_HOSTS"):
        base_env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "robot", "--outputdir", str(out), *args, str(suite)],
        cwd=ROOT,
        env={**base_env, **(env or {})},
        capture_output=True,
        text=True,
        timeout=180,
    )


def _statuses(out: Path) -> dict[str, str]:
    root = ET.parse(out / "output.xml").getroot()
    return {t.get("name"): t.find("status").get("status") for t in root.iter("test")}


def test_unknown_environment_stops_the_run_with_one_line(tmp_path: Path):
    run = _robot(tmp_path, "-v", "ENV:stagin")
    assert run.returncode != 0
    console = run.stdout + run.stderr
    errors = [line for line in console.splitlines() if line.startswith("[ ERROR ]")]
    assert errors == [
        "[ ERROR ] Unknown environment 'stagin': choose one of local, staging, production "
        "(for example -v ENV:staging)"
    ]
    assert "Traceback" not in console
    assert set(_statuses(tmp_path).values()) == {"FAIL"}


def test_missing_staging_variable_is_named(tmp_path: Path):
    env = dict(LOOPBACK_ENV)
    del env["MONGO_URI"]
    run = _robot(tmp_path, "-v", "ENV:staging", env=env)
    assert run.returncode != 0
    assert "[ ERROR ] Environment 'staging' needs MONGO_URI: export it" in run.stderr


def test_destructive_tests_are_refused_on_production(tmp_path: Path):
    run = _robot(tmp_path, "-v", "ENV:production", env=LOOPBACK_ENV)
    assert _statuses(tmp_path)["Destructive Test"] == "SKIP", run.stdout
    assert "'disruptive' test(s) of 'Env Check' will not run" in run.stdout


def test_destructive_tests_run_on_production_when_allowed(tmp_path: Path):
    _robot(tmp_path, "-v", "ENV:production", env={**LOOPBACK_ENV, "ALLOW_DESTRUCTIVE": "1"})
    assert _statuses(tmp_path)["Destructive Test"] == "PASS"


def test_disruptive_tests_run_on_staging_only_when_allowed_there(tmp_path: Path):
    _robot(tmp_path / "no", "-v", "ENV:staging", env=LOOPBACK_ENV)
    assert _statuses(tmp_path / "no")["Destructive Test"] == "SKIP"
    _robot(
        tmp_path / "yes", "-v", "ENV:staging", env={**LOOPBACK_ENV, "ALLOW_DISRUPTIVE": "staging"}
    )
    assert _statuses(tmp_path / "yes")["Destructive Test"] == "PASS"


def test_staging_pointing_at_production_hosts_stops_at_once_with_one_line(tmp_path: Path):
    started = time.monotonic()
    run = _robot(
        tmp_path, "-v", "ENV:staging", env={**LOOPBACK_ENV, "PRODUCTION_HOSTS": "127.0.0.1"}
    )
    seconds = time.monotonic() - started
    errors = [line for line in run.stderr.splitlines() if line.startswith("[ ERROR ]")]
    assert errors == [
        "[ ERROR ] Environment 'staging' points at production: FOCUS_BASE_URL is 127.0.0.1:9 "
        "(listed in PRODUCTION_HOSTS). Run with -v ENV:production to test production, or "
        "point the staging variables at staging's hosts"
    ], run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert set(_statuses(tmp_path).values()) == {"FAIL"}
    print(f"stopped after {seconds:.2f} s (robot start-up included)")


def test_the_header_names_environment_hosts_and_effect_classes(tmp_path: Path):
    run = _robot(tmp_path, "-v", "ENV:production", env=LOOPBACK_ENV)
    header = next(line for line in run.stdout.splitlines() if line.startswith("Environment '"))
    assert header.startswith("Environment 'production' with production's policy; hosts: ")
    assert "127.0.0.1:9" in header
    assert header.endswith(
        "runs: read-only, own-data; skipped: shared (needs ALLOW_SHARED=production), "
        "disruptive (needs ALLOW_DISRUPTIVE=production)"
    )
    log = (tmp_path / "log.html").read_text()
    assert "Environment 'production' with production's policy" in log  # the top suite's metadata


@pytest.mark.parametrize("level", ["INFO", "TRACE"])
def test_secrets_never_reach_the_outputs(tmp_path: Path, level: str):
    run = _robot(tmp_path, "-v", "ENV:staging", "--loglevel", level, env=LOOPBACK_ENV)
    assert _statuses(tmp_path)["Secrets Are Logged On Purpose"] == "PASS", run.stdout
    outputs = run.stdout + run.stderr
    outputs += "".join(p.read_text() for p in tmp_path.iterdir() if p.suffix in (".xml", ".html"))
    assert "<secret>" in outputs  # what was logged instead
    for secret in ("p@ss-focus-4711", "p@ss-mongo-4711", "p@ss-rabbit-4711", "p%40ss"):
        assert secret not in outputs


# ------------------------------------------------------- a local run that is not loopback

# A suite of its own: `Prepare Test Environment` resolves ENV:local from a twin directory the
# test writes (no twin starts: NoTwin.py stands in for `twin.control.up`), whose kubeconfig
# names a host under .invalid. Nothing connects anywhere: the run only reads the files.
LOCAL_SUITE = f"""\
*** Settings ***
Resource        {ROOT}/resources/common.resource
Library         OperatingSystem
Library         NoTwin.py
Suite Setup     Prepare Test Environment

*** Test Cases ***
Read Only Test
    Touch    ${{MARKS}}/read-only
Own Data Test
    [Tags]    own-data
    Touch    ${{MARKS}}/own-data
Shared Test
    [Tags]    shared
    Touch    ${{MARKS}}/shared
Disruptive Test
    [Tags]    disruptive
    [Setup]    Touch    ${{MARKS}}/disruptive-setup
    Touch    ${{MARKS}}/disruptive-body
    [Teardown]    Touch    ${{MARKS}}/disruptive-teardown
"""
NO_TWIN = """\
from twin import control


def up(**_options):  # the test wrote the twin's files; nothing is started or joined
    return control.UpResult(False, 0.0, control.endpoints(), "persistent")


control.up = up
"""


def _twin_files(base: Path, kube_server: str) -> None:
    """The files `variables/local.py` reads: every endpoint on 127.0.0.1:9 (nothing listens
    there, nothing connects), but the kubeconfig's API server is ``kube_server``."""
    loopback = "127.0.0.1"
    (base / "kubeconfig").write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        f"clusters: [{{name: k, cluster: {{server: '{kube_server}'}}}}]\n"
        "users: [{name: u, user: {token: t}}]\n"
        "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
    )
    endpoints = {
        "host": loopback,
        "ca": str(base / "ca.pem"),
        "focus": {
            "base_url": f"https://{loopback}:9/focus-server",
            "ui_url": f"https://{loopback}:9/liveView",
        },
        "mongo": {"port": 9},
        "rabbitmq": {"amqp_port": 9, "mgmt_port": 9, "vhost": "/"},
        "kube": {"kubeconfig": str(base / "kubeconfig")},
    }
    secrets = {
        f"{service}_{what}": f"{service}-{what}-4711"
        for service in ("focus", "mongo", "rabbitmq")
        for what in ("user", "password")
    }
    (base / "endpoints.json").write_text(json.dumps(endpoints))
    (base / "secrets.json").write_text(json.dumps(secrets))


def test_a_non_loopback_endpoint_under_local_runs_with_stagings_policy_and_says_so(
    tmp_path: Path,
):
    """Issue 20: trust endpoints, not labels. ENV:local whose kubeconfig names a remote API
    server gets staging's row: the header (console, log.html) says so and why, a
    ``disruptive`` test is skipped before its setup with the allowance it needs, and the
    read-only, own-data and shared tests run. ``ALLOW_DISRUPTIVE=local`` does not help:
    the row is staging's."""
    twin_dir, marks, out = tmp_path / "twin", tmp_path / "marks", tmp_path / "out"
    for folder in (twin_dir, marks, tmp_path / "suite"):
        folder.mkdir()
    _twin_files(twin_dir, "https://kube.example.invalid:6443")
    (tmp_path / "suite" / "local_remote.robot").write_text(LOCAL_SUITE)
    (tmp_path / "suite" / "NoTwin.py").write_text(NO_TWIN)
    env = {"FOCUS_TWIN_DIR": str(twin_dir), "ALLOW_DISRUPTIVE": "local"}
    run = _robot(out, "-v", "ENV:local", "-v", f"MARKS:{marks}", env=env, suite=tmp_path / "suite")
    console = run.stdout + run.stderr
    assert run.returncode == 0, console
    assert "Traceback" not in console

    why = "KUBECONFIG at kube.example.invalid:6443 is not a loopback address"
    header = (
        f"Environment 'local' with staging's policy because {why}; "
        "hosts: 127.0.0.1:9, kube.example.invalid:6443; runs: read-only, own-data, shared; "
        "skipped: disruptive (needs ALLOW_DISRUPTIVE=staging)"
    )
    assert header in run.stdout.splitlines(), run.stdout
    warning = f"Environment 'local' runs with staging's policy: {why}"
    assert f"[ WARN ] {warning}" in run.stderr
    assert (
        "Effect guard: 1 'disruptive' test(s) of 'Suite.Local Remote' will not run "
        "(ALLOW_DISRUPTIVE=staging is not set)"
    ) in run.stdout
    root = ET.parse(out / "output.xml").getroot()
    top = root.find("suite")
    assert top is not None
    assert {m.get("name"): m.text for m in top.iter("meta")} == {"Environment": header}
    assert warning in [m.text for m in root.iter("msg") if m.get("level") == "WARN"]
    log = (out / "log.html").read_text()
    assert "Environment 'local' with staging's policy because KUBECONFIG at" in log
    assert warning in log

    tests = {t.get("name"): t for t in root.iter("test")}
    assert {name: t.find("status").get("status") for name, t in tests.items()} == {
        "Read Only Test": "PASS",
        "Own Data Test": "PASS",
        "Shared Test": "PASS",
        "Disruptive Test": "SKIP",
    }
    assert tests["Disruptive Test"].find("status").text == (
        f"'disruptive' test not run on 'local' (staging's policy, {why}: "
        "ALLOW_DISRUPTIVE=staging is not set): no setup, body or teardown ran. "
        "Set ALLOW_DISRUPTIVE=staging to allow it."
    )
    assert tests["Disruptive Test"].findall("kw") == []  # no setup, body or teardown
    assert sorted(path.name for path in marks.iterdir()) == ["own-data", "read-only", "shared"]
