"""The run's environment: one choice (``ENV``, ``FOCUS_ENV``, ``local``), one resolution."""

from __future__ import annotations

import pytest
from robot.api.types import Secret

from libraries import run_environment, safety
from libraries.run_environment import Endpoint, Policy, RunEnvironment
from variables import environments

REMOTE = {
    "FOCUS_BASE_URL": "https://focus.example.invalid/focus-server/",
    "FOCUS_USER": "qa",
    "FOCUS_PASSWORD": "focus-pw-4711",
    "MONGO_URI": "mongodb://prisma:mongo%40pw@mongo.example.invalid:27018/prisma",
    "RABBITMQ_URL": "amqps://prisma:rabbit-pw@rabbit.example.invalid/%2F",
    "KUBECONFIG": "/nonexistent/kubeconfig",
}
LOOPBACK = {
    "FOCUS_BASE_URL": "https://127.0.0.1:8443/focus-server",
    "FOCUS_USER": "qa",
    "FOCUS_PASSWORD": "focus-pw-4711",
    "MONGO_URI": "mongodb://prisma:pw@localhost:27018/prisma",
    "RABBITMQ_URL": "amqp://prisma:pw@[::1]:5672/%2F",
}


@pytest.fixture(autouse=True)
def fresh_run(monkeypatch: pytest.MonkeyPatch):
    """No run of an earlier test, no environment of the shell."""
    for name in (
        run_environment.PROCESS_VARIABLE,
        *environments.REQUIRED,
        *environments.OPTIONAL,
    ):
        monkeypatch.delenv(name, raising=False)
    run_environment.reset()
    yield monkeypatch
    run_environment.reset()


def _kubeconfig(path, server: str):
    path.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        f"clusters: [{{name: k, cluster: {{server: '{server}'}}}}]\n"
        "users: [{name: u, user: {token: t}}]\n"
        "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
    )
    return str(path)


# ------------------------------------------------------------------ the choice


@pytest.mark.parametrize(
    ("requested", "focus_env", "chosen"),
    [
        (None, None, "local"),  # neither: the twin
        (None, "staging", "staging"),  # FOCUS_ENV alone
        ("production", None, "production"),  # -v ENV alone
        ("staging", "production", "staging"),  # -v ENV wins over FOCUS_ENV
        ("", "production", "production"),  # an empty -v ENV: says nothing
        (" Staging ", None, "staging"),  # case and spaces do not matter
        (None, "PRODUCTION ", "production"),
    ],
)
def test_env_then_focus_env_then_local(requested, focus_env, chosen):
    environ = {} if focus_env is None else {"FOCUS_ENV": focus_env}
    assert run_environment.environment_name(requested, environ) == chosen


def test_focus_env_is_read_from_the_process_environment(fresh_run):
    fresh_run.setenv("FOCUS_ENV", "staging")
    assert run_environment.environment_name() == "staging"
    assert run_environment.environment_name("production") == "production"


@pytest.mark.parametrize(("requested", "focus_env"), [("stagin", None), (None, "prod")])
def test_an_unknown_environment_is_one_line_naming_the_valid_ones(requested, focus_env):
    environ = {} if focus_env is None else {"FOCUS_ENV": focus_env}
    started = []
    with pytest.raises(run_environment.EnvironmentError_) as error:
        run_environment.resolve_environment(requested, environ, before_loading=started.append)
    message = str(error.value)
    assert "\n" not in message
    assert message == (
        f"Unknown environment '{requested or focus_env}': choose one of local, staging, "
        "production (for example -v ENV:staging)"
    )
    assert started == []  # nothing is started for an environment that does not exist


def test_a_missing_variable_is_one_line(fresh_run):
    for name, value in REMOTE.items():
        fresh_run.setenv(name, value)
    fresh_run.delenv("MONGO_URI")
    with pytest.raises(run_environment.EnvironmentError_) as error:
        run_environment.resolve_environment("staging")
    assert str(error.value).startswith("Environment 'staging' needs MONGO_URI: export it")


# ------------------------------------------------------------------ the resolution


def test_a_remote_environment_resolves_to_its_variables_endpoints_and_policy(fresh_run):
    for name, value in REMOTE.items():
        fresh_run.setenv(name, value)
    seen = []
    environment = run_environment.resolve_environment(
        None, {"FOCUS_ENV": "production"}, before_loading=seen.append
    )
    assert seen == ["production"]
    assert environment.name == "production"
    assert environment.is_production and environment.policy == Policy(production=True)
    assert not environment.is_twin
    assert environment.text("FOCUS_BASE_URL") == "https://focus.example.invalid/focus-server"
    assert isinstance(environment.value("FOCUS_PASSWORD"), Secret)
    assert environment.text("FOCUS_PASSWORD") == "focus-pw-4711"
    assert [str(e) for e in environment.endpoints] == [
        "focus.example.invalid",
        "rabbit.example.invalid:15672",
        "mongo.example.invalid:27018",
        "rabbit.example.invalid:5671",
        "",  # the kubeconfig cannot be read: an unknown host, never loopback
    ]
    assert not environment.loopback
    assert "focus-pw-4711" not in repr(environment)
    with pytest.raises(TypeError):
        environment.variables["FOCUS_BASE_URL"] = "https://elsewhere.invalid"  # type: ignore[index]


def test_staging_is_not_production(fresh_run):
    for name, value in REMOTE.items():
        fresh_run.setenv(name, value)
    environment = run_environment.resolve_environment("staging")
    assert not environment.is_production


def test_loopback_only_when_every_endpoint_is(fresh_run, tmp_path):
    for name, value in LOOPBACK.items():
        fresh_run.setenv(name, value)
    fresh_run.setenv("KUBECONFIG", _kubeconfig(tmp_path / "kc", "https://127.0.0.1:6443"))
    environment = run_environment.resolve_environment("staging")
    assert {e.service for e in environment.endpoints} == {
        "FOCUS_BASE_URL",
        "RABBITMQ_MGMT_URL",
        "MONGO_HOST",
        "RABBITMQ_HOST",
        "KUBECONFIG",
    }
    assert environment.loopback
    fresh_run.setenv("KUBECONFIG", _kubeconfig(tmp_path / "kc", "https://10.0.0.7:6443"))
    environment = run_environment.resolve_environment("staging")
    assert not environment.loopback
    assert [e for e in environment.endpoints if not e.loopback] == [
        Endpoint("KUBECONFIG", "10.0.0.7", 6443)
    ]
    fresh_run.setenv("KUBECONFIG", _kubeconfig(tmp_path / "kc", "https://127.0.0.1:6443"))
    fresh_run.setenv("SSH_HOST", "worker.example.invalid:22")
    assert not run_environment.resolve_environment("staging").loopback


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.3.2.1", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("10.0.0.1", False),
        ("0.0.0.0", False),
        ("focus.example.invalid", False),
        ("127.0.0.1.example.invalid", False),
        ("", False),
    ],
)
def test_loopback_addresses(host, loopback):
    assert Endpoint("X", host).loopback is loopback


def test_no_endpoints_is_not_loopback():
    assert not RunEnvironment("local", Policy(production=False)).loopback


def test_a_variable_file_marking_itself_production_is_production():
    assert Policy.of("staging", {"IS_PRODUCTION": True}).production
    assert not Policy.of("staging", {"IS_PRODUCTION": "True"}).production  # only the boolean
    assert Policy.of("production", {"IS_PRODUCTION": False}).production  # the name is enough


# ------------------------------------------------------------------ the run of this process


def test_libraries_get_the_environment_only_once_it_is_prepared(fresh_run):
    with pytest.raises(run_environment.EnvironmentNotPrepared) as error:
        run_environment.current()
    assert "Prepare Test Environment" in str(error.value) and "\n" not in str(error.value)
    for name, value in REMOTE.items():
        fresh_run.setenv(name, value)
    fresh_run.setenv("FOCUS_ENV", "production")
    assert run_environment.begin("staging") == "staging"  # -v ENV:staging
    assert run_environment.current_name() == "staging"
    assert not safety.is_production()
    environment = run_environment.resolve_environment(run_environment.current_name())
    run_environment.activate(environment)
    assert run_environment.current() is environment
    assert run_environment.begin(None) == "production"  # a new run forgets the old one
    assert run_environment.active() is None


def test_the_guard_decides_by_the_run_before_it_is_resolved(fresh_run):
    fresh_run.setenv("FOCUS_ENV", "staging")
    run_environment.begin("production")
    assert safety.refusal(["destructive"]) is not None
    run_environment.begin(None)
    assert safety.refusal(["destructive"]) is None


def test_no_library_reads_the_environment_back_from_robot():
    """One source for the environment: libraries take it from run_environment, never by
    reading ``${ENV_NAME}`` (or ``${ENV}``) back through BuiltIn."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "libraries"
    read_back = re.compile(r"get_variable_value\(\s*[\"']\$\{(ENV_NAME|ENV)\}")
    found = [
        f"{path.relative_to(root.parent)}:{number}"
        for path in sorted(root.rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if read_back.search(line) or ("BuiltIn()" in line and "${ENV_NAME}" in line)
    ]
    assert not found, f"libraries read the environment back from Robot: {', '.join(found)}"
