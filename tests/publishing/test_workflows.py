"""The GitHub Actions workflows: actionlint passes, and the structure the issue asks for holds."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONLINT = shutil.which("actionlint", path=str(ROOT / ".venv" / "bin")) or shutil.which(
    "actionlint"
)

needs_actionlint = pytest.mark.skipif(not ACTIONLINT, reason="actionlint is not installed")


def load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def actionlint(*files: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [ACTIONLINT, "-no-color", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@needs_actionlint
def test_actionlint_passes_on_every_workflow():
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {f.name for f in files} >= {"smoke.yml", "regression.yml", "nightly.yml"}
    result = actionlint(*files)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_actionlint
def test_actionlint_rejects_a_secret_in_a_step_condition(tmp_path: Path):
    # The reason the workflows lift secrets into the job's env: `secrets` is not allowed in
    # a step's `if`, and actionlint says so. (A step's own `env` is not seen by its `if`.)
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - if: secrets.XRAY_CLIENT_ID != ''\n        run: echo hi\n"
    )
    result = actionlint(broken)
    assert result.returncode == 1 and "secrets" in result.stdout


def test_regression_shards_then_destructive_then_merge():
    jobs = load("regression.yml")["jobs"]
    shard = jobs["shard"]
    assert shard["strategy"]["matrix"]["shard"] == [1, 2, 3, 4]
    run = next(s["run"] for s in shard["steps"] if "pabot" in s.get("run", ""))
    assert "--shard ${{ matrix.shard }}/${{ env.SHARDS }}" in run
    assert "--exclude destructive" in run
    assert jobs["destructive"]["needs"] == "shard"
    assert "--include destructive" in next(
        s["run"] for s in jobs["destructive"]["steps"] if "robot" in s.get("run", "")
    )
    assert jobs["merge"]["needs"] == ["shard", "destructive"]


def test_xray_step_condition_reads_a_job_level_env_from_secrets():
    for name, job in (("regression.yml", "merge"), ("nightly.yml", "nightly")):
        job_def = load(name)["jobs"][job]
        assert job_def["env"]["XRAY_CLIENT_ID"] == "${{ secrets.XRAY_CLIENT_ID }}"
        steps = job_def["steps"]
        (step,) = [s for s in steps if "scripts.publishing.xray_import" in s.get("run", "")]
        assert "env.XRAY_CLIENT_ID != ''" in step["if"]
        assert "XRAY_CLIENT_ID" not in step.get("env", {})


def test_pr_comment_is_updated_in_place_and_nightly_keeps_the_dashboard():
    merge = load("regression.yml")["jobs"]["merge"]
    (comment,) = [s for s in merge["steps"] if "github-script" in s.get("uses", "")]
    assert "updateComment" in comment["with"]["script"]
    assert "focus-robot-summary" in comment["with"]["script"]
    assert merge["permissions"]["pull-requests"] == "write"
    steps = load("nightly.yml")["jobs"]["nightly"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert "actions/cache/restore@v4" in uses and "actions/cache/save@v4" in uses
    assert any("make nightly" in s.get("run", "") for s in steps)
    assert any("make dashboard" in s.get("run", "") for s in steps)
