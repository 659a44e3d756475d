"""The guard, through the deprecated spellings: ``destructive`` tags and ``ALLOW_DESTRUCTIVE=1``
still work as ``disruptive`` and ``ALLOW_DISRUPTIVE=<env>`` (tests/test_effects.py has the
effect classes themselves).

The suites in ``tests/robot_suites/guard_check`` touch a marker file in every phase
(suite setup and teardown, test setup, body, teardown), so what ran is what exists.
No system is needed: the guard decides by the environment's name and the tags.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from libraries import safety

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT / "tests" / "robot_suites" / "guard_check"

EVERYTHING = {
    "all-suite-setup",
    "all-suite-teardown",
    "all-test-setup",
    "all-test-teardown",
    "all-body",
    "all-body-2",
    "mixed-suite-setup",
    "mixed-suite-teardown",
    "mixed-ordinary",
    "mixed-untagged-wreck",
    "mixed-destructive-setup",
    "mixed-destructive-body",
    "mixed-destructive-teardown",
}


ALLOWANCES = ("ALLOW_DESTRUCTIVE", "ALLOW_DISRUPTIVE", "ALLOW_SHARED", "FOCUS_ENV")


def _run(
    tmp_path: Path,
    env_name: str | None,
    allow: bool | str = False,
    focus_env: str | None = None,
) -> tuple[set[str], dict, str]:
    marks = tmp_path / "marks"
    marks.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ALLOWANCES}
    if allow is True:
        env["ALLOW_DESTRUCTIVE"] = "1"
    elif allow:
        env["ALLOW_DISRUPTIVE"] = allow
    if focus_env is not None:
        env["FOCUS_ENV"] = focus_env
    env["PYTHONPATH"] = str(ROOT)
    choice = ["-v", f"ENV:{env_name}"] if env_name is not None else []
    run = subprocess.run(
        [sys.executable, "-m", "robot", "--outputdir", str(tmp_path), "--pythonpath", str(SUITE)]
        + [*choice, "-v", f"MARKS:{marks}", str(SUITE)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    root = ET.parse(tmp_path / "output.xml").getroot()
    tests = {
        test.get("name"): (test.find("status").get("status"), test.find("status").text or "")
        for test in root.iter("test")
    }
    return {path.name for path in marks.iterdir()}, tests, run.stdout + run.stderr


def test_nothing_of_a_destructive_test_runs_on_production(tmp_path: Path):
    ran, tests, console = _run(tmp_path, "production")
    assert ran == {"mixed-suite-setup", "mixed-suite-teardown", "mixed-ordinary"}, console
    for name in (
        "Destructive Test With Setup Body And Teardown",
        "Another Destructive Test",
        "Destructive Test With Its Own Teardown",
    ):
        status, message = tests[name]
        assert status == "SKIP"
        assert "no setup, body or teardown ran" in message
        assert "Set ALLOW_DISRUPTIVE=production to allow it" in message
    assert "Traceback" not in console
    assert "tagged 'destructive', which is deprecated" in console


def test_skipped_tests_keep_their_tags_clean(tmp_path: Path):
    _run(tmp_path, "production")
    root = ET.parse(tmp_path / "output.xml").getroot()
    tags = {tag.text for tag in root.iter("tag")}
    assert "destructive" in tags
    assert "robot:skip" not in tags


def test_a_destructive_keyword_refuses_in_an_untagged_test_on_production(tmp_path: Path):
    ran, tests, _ = _run(tmp_path, "production", allow=True)
    status, message = tests["Ordinary Test Calling A Destructive Keyword"]
    assert status == "FAIL"
    assert message.startswith("Refused to wreck the system on 'production'")
    assert "the running test is not tagged with an effect" in message
    assert "mixed-untagged-wreck" not in ran


def test_destructive_tests_run_on_production_when_allowed(tmp_path: Path):
    ran, tests, console = _run(tmp_path, "production", allow=True)
    assert ran == EVERYTHING - {"mixed-untagged-wreck"}, console
    assert tests["Destructive Test With Its Own Teardown"][0] == "PASS"


def test_everything_runs_on_the_twin(tmp_path: Path):
    ran, tests, console = _run(tmp_path, "local")
    assert ran == EVERYTHING, console
    assert {status for status, _ in tests.values()} == {"PASS"}


def test_allowed_on_staging_every_tagged_test_runs_and_an_untagged_one_is_refused(
    tmp_path: Path,
):
    """Off the twin a keyword also refuses in a test tagged with a weaker effect (none here),
    whatever the allowance: the test must say what it does."""
    ran, tests, console = _run(tmp_path, "staging", allow="staging")
    assert ran == EVERYTHING - {"mixed-untagged-wreck"}, console
    status, message = tests["Ordinary Test Calling A Destructive Keyword"]
    assert status == "FAIL" and "the running test is not tagged with an effect" in message
    assert {s for name, (s, _) in tests.items() if not name.startswith("Ordinary")} == {"PASS"}


def test_disruptive_tests_need_the_allowance_on_staging_too(tmp_path: Path):
    ran, tests, console = _run(tmp_path, "staging")
    assert ran == {"mixed-suite-setup", "mixed-suite-teardown", "mixed-ordinary"}, console
    assert "Set ALLOW_DISRUPTIVE=staging" in tests["Another Destructive Test"][1]


def test_an_allowance_for_another_environment_does_nothing(tmp_path: Path):
    ran, tests, console = _run(tmp_path, "production", allow="staging")
    assert ran == {"mixed-suite-setup", "mixed-suite-teardown", "mixed-ordinary"}, console


def test_focus_env_alone_chooses_production(tmp_path: Path):
    ran, tests, console = _run(tmp_path, None, focus_env="production")
    assert ran == {"mixed-suite-setup", "mixed-suite-teardown", "mixed-ordinary"}, console
    assert tests["Another Destructive Test"][0] == "SKIP"
    assert "not run on 'production'" in tests["Another Destructive Test"][1]


def test_env_wins_over_focus_env(tmp_path: Path):
    ran, tests, console = _run(tmp_path, "staging", allow="staging", focus_env="production")
    # staging's rules, not production's: the allowance for staging counts
    assert ran == EVERYTHING - {"mixed-untagged-wreck"}, console


@pytest.mark.parametrize(
    ("env_name", "allow", "tags", "refused"),
    [
        ("local", False, [], False),
        ("staging", False, ["regression"], True),  # disruptive needs ALLOW_DISRUPTIVE=staging
        ("production", False, ["destructive"], True),
        ("production", True, ["destructive"], False),
        ("production", True, ["regression"], True),
        ("production", True, None, False),  # a suite setup, explicitly allowed
        ("production", False, None, True),
        ("PRODUCTION ", True, ["Destructive"], False),
    ],
)
def test_refusal_rules(monkeypatch, env_name, allow, tags, refused):
    monkeypatch.delenv("ALLOW_DISRUPTIVE", raising=False)
    monkeypatch.setenv("FOCUS_ENV", env_name)
    if allow:
        monkeypatch.setenv("ALLOW_DESTRUCTIVE", "1")
    else:
        monkeypatch.delenv("ALLOW_DESTRUCTIVE", raising=False)
    assert (safety.refusal(tags) is not None) is refused


def test_only_one_allows(monkeypatch):
    monkeypatch.delenv("ALLOW_DISRUPTIVE", raising=False)
    monkeypatch.setenv("FOCUS_ENV", "production")
    for value in ("true", "yes", "0", ""):
        monkeypatch.setenv("ALLOW_DESTRUCTIVE", value)
        assert safety.refusal(["destructive"]) is not None


def test_the_decorator_tags_the_keyword_and_keeps_its_signature():
    from tests.robot_suites.guard_check.GuardProbe import GuardProbe

    method = GuardProbe.wreck_something
    assert method.robot_tags == ["disruptive"]
    assert method.robot_effect == "disruptive"
    assert method.robot_name is None
    assert list(__import__("inspect").signature(method).parameters) == ["self", "marker"]


def test_make_guard_reads_a_guarded_run_as_holding(tmp_path: Path):
    from scripts.run.production_guard import robot_rows

    marks = tmp_path / "marks"
    marks.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ALLOWANCES}
    for allow in (False, True):
        out = tmp_path / str(allow)
        subprocess.run(
            [sys.executable, "-m", "robot", "--outputdir", str(out), "--pythonpath", str(SUITE)]
            + ["-v", "ENV:production", "-v", f"MARKS:{marks}", "--include", "destructive"]
            + [str(SUITE)],
            cwd=ROOT,
            env={**env, "PYTHONPATH": str(ROOT), **({"ALLOW_DESTRUCTIVE": "1"} if allow else {})},
            capture_output=True,
            timeout=120,
            check=False,
        )
        refused, _passed = robot_rows(out / "output.xml", ("read-only", "own-data"))
        assert refused.checked == 3
        if not allow:
            assert refused.holds, refused.broken
        else:  # the control: the disruptive tests that ran are named, with what they ran
            assert len(refused.broken) == 3
            assert all("PASS, ran " in item for item in refused.broken)


def test_guard_pass_two_shows_exactly_the_shared_tests_ran(tmp_path: Path):
    """Pass 2's row compares what ran with the shared tests read from the test data (not
    from its own ``--include shared``): red when one is missing or another test ran."""
    from scripts.run.production_guard import exactly_shared_row, shared_catalog

    suite = tmp_path / "effects"
    suite.mkdir()
    (suite / "__init__.robot").write_text("*** Settings ***\nTest Tags    component\n")
    (suite / "mixed.robot").write_text(
        "*** Test Cases ***\n"
        "Reads\n    No Operation\n"
        "Owns\n    [Tags]    own-data\n    No Operation\n"
        "Shares\n    [Tags]    shared\n    No Operation\n"
        "Shares Too\n    [Tags]    Shared\n    No Operation\n"
        "Shares Overnight\n    [Tags]    shared    nightly\n    No Operation\n"
        "Disrupts\n    [Tags]    shared    disruptive\n    No Operation\n"
    )
    catalog = shared_catalog([str(suite)], [])
    assert catalog == {"Effects.Mixed.Shares", "Effects.Mixed.Shares Too"}

    def run(name: str, *options: str) -> Path:
        out = tmp_path / name
        subprocess.run(
            [sys.executable, "-m", "robot", "--outputdir", str(out), "--exclude", "nightly"]
            + [*options, str(suite)],
            capture_output=True,
            timeout=120,
            check=False,
        )
        return out / "output.xml"

    pass2 = run("pass2", "--include", "shared", "--exclude", "disruptive")
    row = exactly_shared_row(pass2, catalog)
    assert (row.checked, row.broken) == (2, [])
    # The controls: every test run, and one shared test left out.
    row = exactly_shared_row(run("all", "--exclude", "disruptive"), catalog)
    assert row.broken == [
        "'Effects.Mixed.Owns' (own-data) ran PASS, but is not a shared test",
        "'Effects.Mixed.Reads' (read-only) ran PASS, but is not a shared test",
    ]
    row = exactly_shared_row(run("one", "--test", "Shares", "--test", "Disrupts"), catalog)
    assert row.broken == [
        "'Effects.Mixed.Shares Too' (shared) is not in the run",
        "'Effects.Mixed.Disrupts' (disruptive) ran PASS, but is not a shared test",
    ]


def test_the_rehearsal_variables_are_tls_only_and_need_no_plaintext_allowance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """``make guard`` points ``-v ENV:production`` at the twin's TLS ports: the production
    variable file loads with no ``ALLOW_PLAINTEXT`` (an operator's own is cleared), and each
    URL is the TLS one. The twin itself: tests/twin/test_twin_tls.py."""
    from scripts.run.production_guard import CLEARED, production_environment
    from variables import environments

    host = "127.0.0.1"
    endpoints = {
        "host": host,
        "ca": str(tmp_path / "ca.pem"),
        "focus": {"base_url": f"https://{host}:8443/focus-server"},
        "mongo": {"port": 27017, "tls_port": 27018},
        "rabbitmq": {
            "amqp_port": 5672,
            "amqps_port": 5671,
            "mgmt_port": 15672,
            "management_https_port": 15671,
        },
        "kube": {"kubeconfig": str(tmp_path / "kubeconfig")},
        "ssh": {
            "worker_port": 2201,
            "jump_port": 2202,
            "user": "root",
            "key": "k",
            "known_hosts": "kh",
        },
    }
    secrets = {
        "focus_user": "u",
        "focus_password": "p/w",
        "mongo_user": "prisma",
        "mongo_password": "m@p",
        "rabbitmq_user": "prisma",
        "rabbitmq_password": "r:p",
    }
    monkeypatch.setenv("FOCUS_TWIN_DIR", str(tmp_path))
    monkeypatch.delenv(environments.PLAINTEXT_VARIABLE, raising=False)
    exported = production_environment(endpoints, secrets)
    for name, value in exported.items():
        monkeypatch.setenv(name, value)
    variables = environments.remote_variables("production", is_production=True)

    assert environments.plaintext_endpoints(variables) == []
    assert variables["PLAINTEXT_ENDPOINTS"] == []
    assert (variables["MONGO_PORT"], variables["MONGO_TLS"]) == (27018, True)
    assert (variables["RABBITMQ_PORT"], variables["RABBITMQ_TLS"]) == (5671, True)
    assert variables["RABBITMQ_MGMT_URL"] == f"https://{host}:15671"
    assert variables["CA_BUNDLE"] == endpoints["ca"]
    assert variables["MONGO_PASSWORD"].value == "m@p"
    assert environments.PLAINTEXT_VARIABLE in CLEARED
    assert environments.PLAINTEXT_VARIABLE not in exported
