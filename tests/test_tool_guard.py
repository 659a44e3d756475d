"""The tools obey the suite's policy, take their environment from the make command line or
FOCUS_ENV (never from a shell's ENV), and put no token on any command line."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from scripts.run import fuzz, tool_guard
from variables import environments

ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = {
    "FOCUS_BASE_URL": "https://127.0.0.1:9/focus-server",
    "FOCUS_USER": "qa",
    "FOCUS_PASSWORD": "pw-4711",
    "MONGO_URI": "mongodb://prisma:pw@127.0.0.1:9/?authSource=prisma&tls=true",
    "RABBITMQ_URL": "amqps://prisma:pw@127.0.0.1:9/%2F",
    "KUBECONFIG": "/nonexistent/kubeconfig",
}
CLEAN = ("FOCUS_ENV", "ENV", "ALLOW_SHARED", "ALLOW_DISRUPTIVE", "ALLOW_DESTRUCTIVE",
         "PRODUCTION_HOSTS", "STAGING_HOSTS")  # fmt: skip


@pytest.fixture
def remote(monkeypatch):
    for name in (*CLEAN, *environments.REQUIRED, *environments.OPTIONAL):
        monkeypatch.delenv(name, raising=False)
    for name, value in LOOPBACK.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


@pytest.mark.parametrize("tool", ["fuzz", "load", "baseline", "nightly"])
@pytest.mark.parametrize("env", ["staging", "production"])
def test_a_tool_refuses_a_remote_environment_without_its_allowance(remote, tool, env):
    reason = tool_guard.refusal(tool, env)
    assert reason is not None and "\n" not in reason
    assert reason.startswith(f"make {tool} refuses '{env}': it is 'disruptive'")
    assert f"needs ALLOW_DISRUPTIVE={env}" in reason
    other = "production" if env == "staging" else "staging"
    remote.setenv("ALLOW_DISRUPTIVE", other)  # an allowance for another environment: nothing
    assert tool_guard.refusal(tool, env) is not None
    remote.setenv("ALLOW_DISRUPTIVE", env)
    assert tool_guard.refusal(tool, env) is None


def test_local_needs_no_allowance_and_declared_hosts_stop_a_tool(remote):
    assert tool_guard.refusal("fuzz", "local") is None
    remote.setenv("ALLOW_DISRUPTIVE", "staging")
    remote.setenv("PRODUCTION_HOSTS", "127.0.0.1")
    assert "'staging' points at production" in tool_guard.refusal("fuzz", "staging")


def test_the_command_line_tool_says_one_line(remote):
    run = subprocess.run(
        [sys.executable, "-m", "scripts.run.tool_guard", "load", "production"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2
    assert len(run.stderr.strip().splitlines()) == 1
    assert "needs ALLOW_DISRUPTIVE=production" in run.stderr


def _make_env(target: str, *args: str, environ: dict[str, str]) -> str:
    """The environment ``make -n <target>`` would aim the tool at."""
    env = {k: v for k, v in os.environ.items() if k not in CLEAN} | environ
    run = subprocess.run(
        ["make", "-n", target, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    line = next(x for x in run.stdout.splitlines() if "scripts.run.tool_guard" in x)
    return line.split()[-1]


def test_every_tool_target_asks_the_tool_guard_first():
    makefile = (ROOT / "Makefile").read_text()
    for target in ("fuzz", "load", "baseline", "nightly"):
        recipe = makefile.split(f"\n{target}: setup\n", 1)[1]
        assert recipe.startswith(f"\t@$(VENV)/python -m scripts.run.tool_guard {target} $(ENV)\n")


# Not nightly: `make -n` still runs a recipe line holding $(MAKE), and nightly's does.
@pytest.mark.parametrize("target", ["fuzz", "load", "baseline"])
def test_make_takes_env_from_its_command_line_or_focus_env_never_from_the_shell(target):
    assert _make_env(target, environ={"ENV": "production"}) == "local"
    assert _make_env(target, environ={"FOCUS_ENV": "staging", "ENV": "production"}) == "staging"
    assert _make_env(target, "ENV=staging", environ={"FOCUS_ENV": "production"}) == "staging"


def test_the_fuzz_token_is_on_no_command_line(monkeypatch, tmp_path):
    """schemathesis gets the token in its environment; ``ps`` never shows it."""
    token = "tok-" + os.urandom(8).hex()
    seen: dict[str, str] = {}

    def run(command, env, cwd, timeout):
        # The same argv as schemathesis would get, held by a live process while ps looks.
        stand_in = [sys.executable, "-c", "import time; time.sleep(3)", *command[1:]]
        process = subprocess.Popen(stand_in, env=env)
        try:
            time.sleep(0.5)
            seen["ps"] = subprocess.run(
                ["ps", "-eo", "args"], capture_output=True, text=True, check=True
            ).stdout
            seen["cmdline"] = Path(f"/proc/{process.pid}/cmdline").read_bytes().decode()
            seen["environ"] = env["FUZZ_TOKEN"]
        finally:
            process.kill()
            process.wait()
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(fuzz, "subprocess", SimpleNamespace(run=run))
    assert fuzz.fuzz("https://127.0.0.1:9/focus-server", "https://127.0.0.1:9", token, True, 1) == 0
    assert "--max-examples" in seen["cmdline"]  # ps saw the stand-in's command line
    assert token not in seen["ps"] and token not in seen["cmdline"]
    assert seen["environ"] == token
    config = (ROOT / "tests" / "contract" / "schemathesis.toml").read_text()
    assert 'headers = { Authorization = "Bearer ${FUZZ_TOKEN}" }' in config
