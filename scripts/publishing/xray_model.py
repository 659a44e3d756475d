"""What the Xray clients share: the Test Execution's fields, the run's marker label, the CI
context, and how a Robot test finds its Test Run after the import (docs/xray.md)."""

from __future__ import annotations

import re
import subprocess
import uuid
from dataclasses import dataclass, field

MARKER_PREFIX = "robot-run-"


class UsageError(RuntimeError):
    """A missing or wrong setting: one line naming it (exit 2)."""


def split_list(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def ci_context(env: dict[str, str]) -> dict[str, str]:
    """Branch, commit and run URL from GitHub Actions, Jenkins or git."""
    branch = (
        env.get("GITHUB_HEAD_REF")
        or env.get("GITHUB_REF_NAME")
        or env.get("BRANCH_NAME")
        or env.get("GIT_BRANCH")
        or _git("rev-parse", "--abbrev-ref", "HEAD")
        or "unknown"
    )
    commit = env.get("GITHUB_SHA") or env.get("GIT_COMMIT") or _git("rev-parse", "HEAD")
    run_url = env.get("XRAY_RUN_URL") or env.get("BUILD_URL") or ""
    if not run_url and env.get("GITHUB_RUN_ID"):
        run_url = (
            f"{env.get('GITHUB_SERVER_URL', '')}/{env.get('GITHUB_REPOSITORY', '')}"
            f"/actions/runs/{env['GITHUB_RUN_ID']}"
        )
    return {"branch": branch, "commit": commit or "unknown", "run_url": run_url}


def run_marker(env: dict[str, str]) -> str:
    """A Jira label unique to this CI run (and attempt): ``robot-run-<id>``.

    The import puts it on the Test Execution, so that after a lost answer the import can
    find out whether Xray created the execution before sending it again. GitHub:
    run id and attempt; Jenkins: ``BUILD_TAG``; else ``XRAY_RUN_ID`` or a random id.
    """
    if env.get("XRAY_RUN_ID"):
        raw = env["XRAY_RUN_ID"]
    elif env.get("GITHUB_RUN_ID"):
        raw = f"gh-{env['GITHUB_RUN_ID']}-{env.get('GITHUB_RUN_ATTEMPT', '1')}"
    elif env.get("BUILD_TAG"):
        raw = env["BUILD_TAG"]
    else:
        raw = uuid.uuid4().hex[:16]
    # Jira labels take no spaces.
    return MARKER_PREFIX + re.sub(r"[^A-Za-z0-9._-]+", "-", raw).strip("-")[:200]


@dataclass
class Execution:
    """The Test Execution's fields."""

    project: str
    summary: str
    description: str
    environments: list[str] = field(default_factory=list)
    revision: str = ""
    fix_version: str = ""
    test_plan: str = ""
    labels: list[str] = field(default_factory=list)
    marker: str = ""

    def jira_fields(self) -> dict:
        labels = list(dict.fromkeys([*self.labels, *([self.marker] if self.marker else [])]))
        fields: dict = {
            "project": {"key": self.project},
            "summary": self.summary,
            "description": self.description,
            "issuetype": {"name": "Test Execution"},
        }
        if labels:
            fields["labels"] = labels
        if self.fix_version:
            fields["fixVersions"] = [{"name": self.fix_version}]
        return fields


@dataclass
class Imported:
    id: str
    key: str
    url: str


@dataclass
class RunRef:
    """One Test Run of the imported execution, as the API describes it."""

    id: str
    test_key: str
    test_type: str = ""
    definition: str | None = None  # a Generic Test's definition
    summary: str = ""


@dataclass
class Evidence:
    filename: str
    mime: str
    data: bytes


def find_run(runs: list[RunRef], test_key: str | None, full_name: str, name: str):
    """The run of one Robot test: by its Test key, else by its Generic Test's definition.

    Xray's Robot page: a Generic Test's definition holds the suite names and the test's
    name, its summary the test's name. The definition's exact separator is not in the copy
    of the page we could read; the run is matched on the test's long name (dots), then on
    the long name without the top suite, then on a summary that only one Generic run has.
    """
    if test_key:
        return next((r for r in runs if r.test_key == test_key), None)
    generic = [r for r in runs if r.definition is not None or r.test_type == "Generic"]
    candidates = [full_name]
    if "." in full_name:
        candidates.append(full_name.split(".", 1)[1])
    for candidate in candidates:
        found = [r for r in generic if r.definition == candidate]
        if len(found) == 1:
            return found[0]
    named = [r for r in generic if r.definition is None and r.summary == name]
    return named[0] if len(named) == 1 else None
