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
    "MONGO_URI": "mongodb://prisma:mongo%40pw@mongo.example.invalid:27018/prisma?tls=true",
    "RABBITMQ_URL": "amqps://prisma:rabbit-pw@rabbit.example.invalid/%2F",
    "KUBECONFIG": "/nonexistent/kubeconfig",
}
LOOPBACK = {
    "FOCUS_BASE_URL": "https://127.0.0.1:8443/focus-server",
    "FOCUS_USER": "qa",
    "FOCUS_PASSWORD": "focus-pw-4711",
    "MONGO_URI": "mongodb://prisma:pw@localhost:27018/prisma?tls=true",
    "RABBITMQ_URL": "amqps://prisma:pw@[::1]:5672/%2F",
}


@pytest.fixture(autouse=True)
def fresh_run(monkeypatch: pytest.MonkeyPatch):
    """No run of an earlier test, no environment of the shell."""
    for name in (
        run_environment.PROCESS_VARIABLE,
        *environments.REQUIRED,
        *environments.OPTIONAL,
        "ALLOW_SHARED",
        "ALLOW_DISRUPTIVE",
        "ALLOW_DESTRUCTIVE",
        "PRODUCTION_HOSTS",
        "STAGING_HOSTS",
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
        "focus.example.invalid",  # FOCUS_UI_URL: the same host's /liveView
        "rabbit.example.invalid:15671",
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
        "FOCUS_UI_URL",
        "RABBITMQ_MGMT_URL",
        "MONGO_HOST",
        "RABBITMQ_HOST",
        "KUBECONFIG",
    }
    assert environment.loopback
    fresh_run.setenv(
        "KUBECONFIG", _kubeconfig(tmp_path / "kc", "https://kube.example.invalid:6443")
    )
    environment = run_environment.resolve_environment("staging")
    assert not environment.loopback
    assert [e for e in environment.endpoints if not e.loopback] == [
        Endpoint("KUBECONFIG", "kube.example.invalid", 6443)
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
    assert safety.refusal(["destructive"]) == "ALLOW_DISRUPTIVE=staging is not set"
    assert safety.refusal(["shared"], "shared") is None


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


# ------------------------------------------------------------------ effects and identity

ALLOWANCES = ("ALLOW_SHARED", "ALLOW_DISRUPTIVE", "ALLOW_DESTRUCTIVE")


@pytest.mark.parametrize(
    ("name", "environ", "runs"),
    [
        ("local", {}, {"read-only", "own-data", "shared", "disruptive"}),
        ("staging", {}, {"read-only", "own-data", "shared"}),
        (
            "staging",
            {"ALLOW_DISRUPTIVE": "staging"},
            {"read-only", "own-data", "shared", "disruptive"},
        ),
        ("staging", {"ALLOW_DISRUPTIVE": "production"}, {"read-only", "own-data", "shared"}),
        ("production", {}, {"read-only", "own-data"}),
        ("production", {"ALLOW_SHARED": "production"}, {"read-only", "own-data", "shared"}),
        ("production", {"ALLOW_SHARED": "staging"}, {"read-only", "own-data"}),
        ("production", {"ALLOW_SHARED": "1"}, {"read-only", "own-data"}),
        (
            "production",
            {"ALLOW_SHARED": "staging, Production"},
            {"read-only", "own-data", "shared"},
        ),
        ("production", {"ALLOW_DISRUPTIVE": "production"}, {"read-only", "own-data", "disruptive"}),
        ("production", {"ALLOW_DESTRUCTIVE": "1"}, {"read-only", "own-data", "disruptive"}),
        ("staging", {"ALLOW_DESTRUCTIVE": "1"}, {"read-only", "own-data", "shared", "disruptive"}),
    ],
)
def test_the_policy_table(name, environ, runs):
    """variables/policy.py: the allowance's value names the environment it allows."""
    policy = Policy.of(name, environ=environ)
    assert policy.allowed == runs
    for effect in {"read-only", "own-data", "shared", "disruptive"} - runs:
        assert policy.missing[effect].endswith(f"={name}")


def test_the_deprecated_allowance_is_reported(fresh_run):
    policy = Policy.of("production", environ={"ALLOW_DESTRUCTIVE": "1"})
    assert policy.deprecated == ("ALLOW_DESTRUCTIVE",)
    assert Policy.of("production", environ={"ALLOW_DISRUPTIVE": "production"}).deprecated == ()


@pytest.mark.parametrize("name", ["local", "staging"])
def test_a_non_loopback_endpoint_gets_at_least_stagings_policy(name):
    remote = (
        Endpoint("FOCUS_BASE_URL", "127.0.0.1", 8443),
        Endpoint("MONGO_HOST", "mongo.example.invalid"),
    )
    policy = Policy.of(name, endpoints=remote, environ={})
    assert policy.row == "staging"
    assert not policy.allows("disruptive")
    assert policy.missing["disruptive"] == "ALLOW_DISRUPTIVE=staging"
    if name == "local":  # the header and a warning say why local runs with staging's policy
        assert policy.why == "MONGO_HOST at mongo.example.invalid is not a loopback address"
    loopback = Policy.of("local", endpoints=remote[:1], environ={})
    assert loopback.row == "local" and loopback.allows("disruptive")
    production = Policy.of("production", endpoints=remote, environ={})
    assert production.row == "production"  # never weaker than its own name


def test_an_unknown_name_gets_productions_policy():
    assert Policy.of("prod", environ={}).row == "production"


def test_a_run_pointing_at_another_environments_hosts_stops(fresh_run):
    for name, value in REMOTE.items():
        fresh_run.setenv(name, value)
    fresh_run.setenv("PRODUCTION_HOSTS", "db.example.invalid, MONGO.example.invalid:27018")
    with pytest.raises(environments.EnvironmentError_) as error:
        run_environment.resolve_environment("staging")
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith(
        "Environment 'staging' points at production: MONGO_HOST is mongo.example.invalid:27018 "
        "(listed in PRODUCTION_HOSTS)"
    )
    # Production itself may use its own hosts; staging's hosts under production stop too.
    assert run_environment.resolve_environment("production").name == "production"
    fresh_run.setenv("STAGING_HOSTS", "focus.example.invalid")
    with pytest.raises(environments.EnvironmentError_, match="'production' points at staging"):
        run_environment.resolve_environment("production")


def test_local_pointing_at_declared_hosts_stops(fresh_run):
    fresh_run.setenv("PRODUCTION_HOSTS", "127.0.0.1")
    endpoints = (Endpoint("FOCUS_BASE_URL", "127.0.0.1", 8443),)
    with pytest.raises(environments.EnvironmentError_, match="'local' points at production"):
        run_environment.check_identity(
            "local", endpoints, {"PRODUCTION_HOSTS": environments.declared_hosts("production")}
        )


def test_the_header_says_environment_hosts_and_effect_classes(fresh_run):
    for name, value in REMOTE.items():
        fresh_run.setenv(name, value)
    fresh_run.setenv("ALLOW_SHARED", "production")
    header = run_environment.resolve_environment("production").header()
    assert header == (
        "Environment 'production' with production's policy; hosts: , focus.example.invalid, "
        "mongo.example.invalid:27018, rabbit.example.invalid:15671, rabbit.example.invalid:5671; "
        "runs: read-only, own-data, shared; skipped: disruptive (needs "
        "ALLOW_DISRUPTIVE=production)"
    )
