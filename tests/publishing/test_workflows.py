"""The GitHub Actions workflows: actionlint passes; every step is a make target; actions are
pinned by commit; secrets reach only the steps that publish, only on pushes to main and on
the schedule, never a job that runs a pull request's code (the `if:`s are evaluated for each
event with scripts/run/gha_expressions.py)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from scripts.run import gha_expressions as expr

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONLINT = shutil.which("actionlint", path=str(ROOT / ".venv" / "bin")) or shutil.which(
    "actionlint"
)
needs_actionlint = pytest.mark.skipif(not ACTIONLINT, reason="actionlint is not installed")
FILES = sorted(WORKFLOWS.glob("*.yml"))


def load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def all_steps():
    for path in FILES:
        for job_name, job in yaml.safe_load(path.read_text())["jobs"].items():
            for step in job.get("steps") or []:
                yield path.name, job_name, step


@needs_actionlint
def test_actionlint_passes_on_every_workflow():
    assert {f.name for f in FILES} >= {"smoke.yml", "regression.yml", "nightly.yml"}
    result = subprocess.run(
        [ACTIONLINT, "-no-color", *map(str, FILES)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_run_step_is_a_make_target():
    """No step calls a tool from the venv by path: pabot would start `robot` from PATH, and
    only make puts the venv there."""
    for name, job, step in all_steps():
        if "run" not in step:
            continue
        commands = [
            line.strip()
            for line in step["run"].splitlines()
            if line.strip() and not line.strip().startswith(("echo ", "exit "))
        ]
        assert all(c.startswith("make ") for c in commands), (name, job, step["run"])
        assert ".venv/" not in step["run"], (name, job, step["run"])


def test_actions_are_pinned_by_commit_with_the_tag_in_a_comment():
    for path in FILES:
        for line in path.read_text().splitlines():
            if "uses:" not in line:
                continue
            match = re.search(r"uses:\s*([\w./-]+)@([0-9a-f]{40}) # v\d+\.\d+\.\d+$", line)
            assert match, f"{path.name}: {line.strip()}"


def test_every_checkout_keeps_no_credentials():
    for name, job, step in all_steps():
        if step.get("uses", "").startswith("actions/checkout@"):
            assert (step.get("with") or {}).get("persist-credentials") is False, (name, job)


def secret_users():
    """(workflow, job, step) of every place a secret is read."""
    for path in FILES:
        workflow = yaml.safe_load(path.read_text())
        assert "secrets." not in yaml.safe_dump(workflow.get("env") or {})
        for job_name, job in workflow["jobs"].items():
            assert "secrets." not in yaml.safe_dump(job.get("env") or {}), (path.name, job_name)
            for step in job.get("steps") or []:
                if "secrets." in yaml.safe_dump(step):
                    yield path.name, job_name, step


def test_secrets_only_in_the_publishing_steps_of_the_publish_jobs():
    users = [(w, j, s.get("name")) for w, j, s in secret_users()]
    assert users == [
        ("nightly.yml", "publish", "Xray import (skipped with a line when Xray is not configured)"),
        ("nightly.yml", "publish", "Jira bugs (files them when JIRA_CREATE_BUGS is 1)"),
        (
            "regression.yml",
            "publish",
            "Xray import (skipped with a line when Xray is not configured)",
        ),
        ("regression.yml", "publish", "Jira bugs (files them when JIRA_CREATE_BUGS is 1)"),
    ]
    for _, _, step in secret_users():
        assert set(step) >= {"env", "run"} and "secrets." in yaml.safe_dump(step["env"])
        assert "secrets." not in step["run"]


def github(event: str, ref: str, *, fork: bool = False) -> dict:
    context = {"event_name": event, "ref": ref, "repository": "qa/focus-suite", "event": {}}
    if event == "pull_request":
        head = "someone/focus-suite" if fork else "qa/focus-suite"
        context["event"] = {"pull_request": {"head": {"repo": {"full_name": head}}}}
    return context


def runs(workflow: str, job: str, context: dict) -> bool:
    """Whether `job` runs for this event, its `needs` having succeeded."""
    condition = load(workflow)["jobs"][job].get("if")
    return expr.condition(condition, {"github": context}, lambda f: f in ("success", "always"))


EVENTS = {
    "push to main": github("push", "refs/heads/main"),
    "push to a branch": github("push", "refs/heads/feature"),
    "pull request": github("pull_request", "refs/pull/7/merge"),
    "pull request from a fork": github("pull_request", "refs/pull/8/merge", fork=True),
    "schedule": github("schedule", "refs/heads/main"),
    "run by hand on main": github("workflow_dispatch", "refs/heads/main"),
    "run by hand on a branch": github("workflow_dispatch", "refs/heads/feature"),
}


@pytest.mark.parametrize("event", list(EVENTS))
def test_the_publish_jobs_run_only_on_main_and_on_the_schedule(event: str):
    context = EVENTS[event]
    assert runs("regression.yml", "publish", context) == (event == "push to main")
    nightly = event in ("schedule", "run by hand on main")
    assert runs("nightly.yml", "publish", context) == nightly


@pytest.mark.parametrize("event", list(EVENTS))
def test_the_pr_comment_runs_only_for_pull_requests_from_this_repository(event: str):
    assert runs("regression.yml", "comment", EVENTS[event]) == (event == "pull request")


def test_the_comment_job_runs_no_pull_request_code():
    comment = load("regression.yml")["jobs"]["comment"]
    assert comment["permissions"] == {"pull-requests": "write"}
    assert not any("run" in s or "checkout" in s.get("uses", "") for s in comment["steps"])
    for name, job in load("regression.yml")["jobs"].items():
        if name != "comment":
            assert "permissions" not in job  # contents: read, from the workflow


def test_summary_and_jira_steps_run_unless_cancelled():
    for name, job, step in all_steps():
        title = (step.get("name") or "").lower()
        if "summary" in title or "jira" in title:
            assert step.get("if") == "${{ !cancelled() }}", (name, job, title)


def test_regression_shards_then_destructive_then_merge_then_publish():
    jobs = load("regression.yml")["jobs"]
    assert jobs["shard"]["strategy"]["matrix"]["shard"] == [1, 2, 3, 4]
    (shard_step,) = [s for s in jobs["shard"]["steps"] if "ci-shard" in s.get("run", "")]
    assert shard_step["run"] == "make ci-shard SHARD=${{ matrix.shard }} SHARDS=${{ env.SHARDS }}"
    assert jobs["destructive"]["needs"] == "shard"
    assert jobs["merge"]["needs"] == ["shard", "destructive"]
    assert jobs["publish"]["needs"] == "merge" and jobs["comment"]["needs"] == "merge"


def test_the_nightly_publishes_its_own_output_alone():
    steps = {s.get("name"): s for s in load("nightly.yml")["jobs"]["publish"]["steps"]}
    xray = steps["Xray import (skipped with a line when Xray is not configured)"]["run"]
    assert "XRAY_OUTPUTS=results/nightly/output.xml" in xray and "regression" not in xray
    jira = steps["Jira bugs (files them when JIRA_CREATE_BUGS is 1)"]["run"]
    assert jira == "make jira-bugs JIRA_OUTPUTS=results/nightly/output.xml"


def test_make_knows_every_target_the_ci_files_call():
    targets = set()
    for _, _, step in all_steps():
        targets |= set(re.findall(r"\bmake ([a-z][a-z0-9-]*)", step.get("run", "")))
    jenkinsfile = (ROOT / "Jenkinsfile").read_text()
    targets |= set(re.findall(r"sh '(?:'')?make ([a-z][a-z0-9-]*)", jenkinsfile))
    makefile = (ROOT / "Makefile").read_text()
    defined = set(re.findall(r"^([a-z][a-z0-9-]*):", makefile, re.M))
    assert targets and targets <= defined, sorted(targets - defined)
