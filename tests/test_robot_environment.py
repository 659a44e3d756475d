"""Robot-level behaviour of the environment: one-line errors, the destructive guard, no leaks."""

from __future__ import annotations

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
    "MONGO_URI": "mongodb://prisma:p%40ss-mongo-4711@127.0.0.1:9/?authSource=prisma",
    "RABBITMQ_URL": "amqp://prisma:p%40ss-rabbit-4711@127.0.0.1:9/%2F",
    "KUBECONFIG": "/nonexistent/kubeconfig",
}


def _robot(out: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    base_env = {k: v for k, v in os.environ.items() if k not in environments.REQUIRED}
    for name in ("ALLOW_DESTRUCTIVE", "ALLOW_DISRUPTIVE", "ALLOW_SHARED", "FOCUS_ENV"):
        base_env.pop(name, None)
    for name in ("PRODUCTION_HOSTS", "STAGING_HOSTS"):
        base_env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "robot", "--outputdir", str(out), *args, str(SUITE)],
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
