"""The Jenkinsfile against the current Robot Framework plugin and the Jenkins stand-in
(scripts/run/jenkins_stand_in.groovy): the robot step's parameters, credentials bound only on
main and optional, `when` that works outside multibranch jobs."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
JENKINSFILE = ROOT / "Jenkinsfile"
ROBOT_STEP = json.loads((ROOT / "tests/publishing/fixtures/jenkins_robot_step.json").read_text())
STAND_IN = ROOT / "scripts" / "run" / "jenkins_stand_in.groovy"
GROOVY = shutil.which("groovy")

needs_groovy = pytest.mark.skipif(not GROOVY, reason="groovy is not installed (make setup)")


def robot_step_parameters(text: str) -> list[str]:
    """The parameter names of every `robot(...)` call in a Jenkinsfile."""
    names: list[str] = []
    for call in re.finditer(r"\brobot\s*\((.*?)\)", text, re.S):
        names += re.findall(r"(\w+)\s*:", call.group(1))
    return names


def unknown_robot_parameters(text: str) -> list[str]:
    allowed = set(ROBOT_STEP["constructor"]) | set(ROBOT_STEP["setters"])
    return [name for name in robot_step_parameters(text) if name not in allowed]


def test_every_robot_step_parameter_is_one_the_plugin_declares():
    names = robot_step_parameters(JENKINSFILE.read_text())
    assert "outputPath" in names and "passThreshold" in names
    assert unknown_robot_parameters(JENKINSFILE.read_text()) == []


def test_only_critical_is_refused():
    """onlyCritical: a no-op since robot-plugin PR #77, removed by PR #83 (6.0.0)."""
    text = JENKINSFILE.read_text().replace(
        "passThreshold: 100.0,", "passThreshold: 100.0,\n                  onlyCritical: false,"
    )
    assert unknown_robot_parameters(text) == ["onlyCritical"]


def test_no_multibranch_only_condition_and_credentials_only_in_main_builds():
    text = JENKINSFILE.read_text()
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
    assert "branch 'main'" not in code  # `when { branch }` needs a multibranch job
    # Every withCredentials is inside withOptionalCredentials, called only under isMainBuild().
    assert code.count("withCredentials(") == 1
    assert code.count("withOptionalCredentials(") == 3  # the definition and two calls
    assert "when { expression { isMainBuild() } }" in code
    assert "if (isMainBuild()) {" in code


def run_stand_in(tmp_path: Path, jenkinsfile: str, env: dict, creds: dict) -> dict:
    """The stand-in on a Jenkinsfile whose `sh` steps only echo (no make, no twin)."""
    (tmp_path / "Jenkinsfile").write_text(jenkinsfile)
    maker = tmp_path / "new_workspace.sh"
    maker.write_text(
        f'#!/bin/sh\nd=$(mktemp -d "{tmp_path}/ws.XXXXXX")\nmkdir -p "$d/results"\necho "$d"\n'
    )
    maker.chmod(0o755)
    config = {
        "jenkinsfile": str(tmp_path / "Jenkinsfile"),
        "workspaceCommand": [str(maker)],
        "stashDir": str(tmp_path / "stash"),
        "env": {"PATH": "/usr/bin:/bin", **env},
        "credentials": creds,
        "robotStep": ROBOT_STEP,
        "skipTargets": {},
        "stageEnv": {},
    }
    (tmp_path / "config.json").write_text(json.dumps(config))
    java = shutil.which("java")
    run_env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    if java:
        run_env["JAVA_HOME"] = str(Path(os.path.realpath(java)).parents[1])
    done = subprocess.run(
        [GROOVY, str(STAND_IN), str(tmp_path / "config.json")],
        capture_output=True,
        text=True,
        timeout=120,
        env=run_env,
        check=False,
    )
    lines = done.stdout.splitlines()
    result = [json.loads(line[15:]) for line in lines if line.startswith("JENKINS-RESULT ")]
    assert result, done.stdout + done.stderr
    result[0]["log"] = done.stdout
    return result[0]


def _pipeline(tmp_path: Path, passed: int = 2, failed: int = 0) -> str:
    """The Jenkinsfile with every `make` step replaced by an echo of what it would run; the
    shards write a result and the merge an output.xml with the given counts."""
    merged = tmp_path / "merged.xml"
    merged.write_text(
        f'<robot><statistics><total><stat pass="{passed}" fail="{failed}" skip="0">All Tests'
        "</stat></total></statistics></robot>"
    )
    text = JENKINSFILE.read_text()

    def first_line(match: re.Match) -> str:
        line = match.group(1).splitlines()[0].rstrip(" \\")
        return f"sh 'echo make {line}'"

    text = re.sub(r"sh '''make (.*?)'''", first_line, text, flags=re.S)
    text = re.sub(
        r"sh '(make [^']*)'", lambda m: f"sh 'echo {m.group(1).replace(chr(34), '')}'", text
    )
    text = text.replace(
        "sh 'echo make ci-shard SHARD=$SHARD SHARDS=3'",
        "sh 'mkdir -p results/shard-$SHARD && echo x > results/shard-$SHARD/output.xml'",
    )
    text = text.replace(
        "sh 'echo make ci-merge CI_PARTS=results/shard-*/output.xml "
        "results/destructive/output.xml'",
        f"sh 'mkdir -p results/merged && cp {merged} results/merged/output.xml'",
    )
    assert f"cp {merged}" in text
    return text


@needs_groovy
def test_without_credentials_main_publishing_is_skipped_with_a_line(tmp_path: Path):
    result = run_stand_in(tmp_path, _pipeline(tmp_path), {"BRANCH_NAME": "main"}, {})
    assert result["result"] == "SUCCESS", result["log"]
    assert result["stages"]["Publish"].startswith("success")
    assert (
        "xray: skipped, Could not find credentials entry with ID 'xray-cloud-api-key' "
        "(add it to Jenkins' credentials to publish)" in result["log"]
    )
    assert result["robot"] == [
        {"found": True, "pass": 2, "fail": 0, "skip": 0, "percent": 100.0, "result": "SUCCESS"}
    ]


@needs_groovy
@pytest.mark.parametrize(
    "env",
    [
        {"BRANCH_NAME": "feature/x"},  # another branch of a multibranch job
        {"BRANCH_NAME": "PR-12", "CHANGE_ID": "12"},  # a pull request
        {"GIT_BRANCH": "origin/feature/x"},  # a Pipeline job's checkout
    ],
)
def test_credentials_are_bound_only_in_builds_of_main(tmp_path: Path, env: dict):
    creds = {
        "xray-cloud-api-key": {"username": "id", "password": "secret-1"},
        "xray-cloud-url": {"secret": "http://127.0.0.1:9"},
    }
    result = run_stand_in(tmp_path, _pipeline(tmp_path), env, creds)
    assert result["stages"]["Publish"] == "skipped (when)", result["log"]
    assert "Masking" not in result["log"]


@needs_groovy
def test_a_pipeline_job_on_main_publishes(tmp_path: Path):
    creds = {
        "xray-cloud-api-key": {"username": "id", "password": "secret-1"},
        "xray-cloud-url": {"secret": "http://127.0.0.1:9"},
    }
    result = run_stand_in(tmp_path, _pipeline(tmp_path), {"GIT_BRANCH": "origin/main"}, creds)
    assert result["stages"]["Publish"].startswith("success"), result["log"]
    assert (
        "Masking supported pattern matches of $XRAY_CLIENT_ID or $XRAY_CLIENT_SECRET"
        in result["log"]
    )


@needs_groovy
def test_the_stand_in_refuses_only_critical_as_the_plugin_does(tmp_path: Path):
    text = _pipeline(tmp_path).replace(
        "passThreshold: 100.0,", "passThreshold: 100.0, onlyCritical: false,"
    )
    result = run_stand_in(tmp_path, text, {"BRANCH_NAME": "main"}, {})
    assert result["result"] == "FAILURE"
    assert 'Invalid parameter "onlyCritical" of step robot' in result["stages"]["post always"]


@needs_groovy
def test_robot_step_thresholds_as_robot_publisher_computes_them(tmp_path: Path):
    text = _pipeline(tmp_path, passed=19, failed=1)
    result = run_stand_in(tmp_path, text, {"BRANCH_NAME": "main"}, {})
    assert result["robot"][0]["percent"] == 95.0
    assert result["result"] == "UNSTABLE"  # 90 <= 95 < 100
    assert result["stages"]["post unsuccessful"] == "success"  # the Jira dry run ran


def test_the_stand_in_knows_the_steps_the_jenkinsfile_uses():
    """Every step name the Jenkinsfile calls is one the stand-in implements."""
    used = set(re.findall(r"^\s*(\w+)\s*[\('{]", JENKINSFILE.read_text(), re.M))
    declared = set(re.findall(r"^\s*(?:void|def|boolean)\s+(\w+)\s*\(", STAND_IN.read_text(), re.M))
    jenkinsfile_functions = {"isMainBuild", "withOptionalCredentials", "body"}
    jenkinsfile_functions |= {"if", "return", "try"}
    sections = {"pipeline", "stage"}
    missing = sorted(used - declared - jenkinsfile_functions - sections)
    assert missing == [], missing
    assert sys.version_info >= (3, 11)
