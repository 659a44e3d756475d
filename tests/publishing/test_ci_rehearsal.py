"""The pieces of `make ci-rehearsal` (scripts/run/ci_rehearsal.py): GitHub's expressions,
the v4 artifact layout, and a step that calls a venv tool without the venv on PATH going red,
as it does on a runner. The whole rehearsal is `make ci-rehearsal` (part of `make test`)."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
import yaml

from scripts.run import ci_rehearsal
from scripts.run import gha_expressions as expr

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("vars.XRAY_PROJECT_KEY || 'PZ'", "PZ"),  # || returns an operand
        ("vars.NAME || 'PZ'", "focus"),
        ("github.ref == 'REFS/HEADS/MAIN'", True),  # strings compare ignoring case
        ("github.event.pull_request.head.repo.full_name == github.repository", False),
        ("!cancelled() && github.event_name == 'push'", True),
        ("github.missing.deep", None),
        ("(1 == 1) && 'x'", "x"),
        ("steps.regression.outcome == 'failure'", True),
    ],
)
def test_expressions_as_github_documents_them(text, expected):
    contexts = {
        "github": {
            "ref": "refs/heads/main",
            "event_name": "push",
            "repository": "qa/s",
            "event": {},
        },
        "vars": {"XRAY_PROJECT_KEY": "", "NAME": "focus"},
        "steps": {"regression": {"outcome": "failure"}},
    }
    assert expr.evaluate(text, contexts, lambda f: f == "success") == expected


def test_an_if_without_a_status_function_means_success_and():
    contexts = {"github": {"event_name": "push"}}
    failed = lambda f: f in ("failure", "always")  # noqa: E731 - an earlier step failed
    assert not expr.condition("github.event_name == 'push'", contexts, failed)
    assert expr.condition("${{ !cancelled() && github.event_name == 'push' }}", contexts, failed)


class FixedWorkspaces:
    """Hands out one prepared directory instead of a clone."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def new(self, name: str) -> Path:
        return self.path


def a_run(tmp_path: Path, workflow: str, workspace: Path) -> ci_rehearsal.GitHubRun:
    path = tmp_path / "workflow.yml"
    path.write_text(textwrap.dedent(workflow))
    github = {
        "event_name": "push", "ref": "refs/heads/main", "ref_name": "main", "sha": "0" * 40,
        "repository": "qa/s", "run_id": "1", "server_url": "http://127.0.0.1:9", "event": {},
    }  # fmt: skip
    return ci_rehearsal.GitHubRun(
        path,
        workspaces=FixedWorkspaces(workspace),
        outdir=tmp_path / "out",
        github=github,
        vars_={},
        secrets={},
        selection={},
    )


def test_artifacts_keep_the_v4_layout(tmp_path: Path):
    workspace = tmp_path / "ws"
    (workspace / "results" / "shard-1" / "pabot_results" / "0").mkdir(parents=True)
    (workspace / "results" / "shard-1" / "output.xml").write_text("<robot/>")
    (workspace / "results" / "shard-1" / "pabot_results" / "0" / "output.xml").write_text("x")
    (workspace / "results" / "shard-1" / ".hidden").write_text("x")
    run = a_run(
        tmp_path,
        """
        jobs:
          up:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/upload-artifact@v4
                with:
                  name: shard-1
                  path: |
                    results/shard-1/
                    !results/shard-1/pabot_results/
          down:
            needs: up
            runs-on: ubuntu-latest
            steps:
              - uses: actions/download-artifact@v4
                with:
                  pattern: shard-*
                  path: results/parts
        """,
        workspace,
    )
    results = run.run()
    assert [r.result for r in results["up"] + results["down"]] == ["success", "success"]
    stored = sorted(
        p.relative_to(run.artifacts).as_posix() for p in run.artifacts.rglob("*") if p.is_file()
    )
    assert stored == ["shard-1/output.xml"]  # the root is results/shard-1; no hidden file
    assert (workspace / "results" / "parts" / "shard-1" / "output.xml").read_text() == "<robot/>"


def test_a_step_that_calls_pabot_without_the_venv_on_path_goes_red(tmp_path: Path):
    """pabot starts `robot` from PATH: on a runner (PATH=/usr/bin:/bin) it is not there."""
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / ".venv").symlink_to(ROOT / ".venv")
    (workspace / "tiny.robot").write_text("*** Test Cases ***\nA\n    No Operation\n")
    run = a_run(
        tmp_path,
        """
        jobs:
          bare:
            runs-on: ubuntu-latest
            steps:
              - name: pabot by path
                run: .venv/bin/pabot --processes 1 --outputdir out tiny.robot
          with-path:
            runs-on: ubuntu-latest
            steps:
              - name: pabot with the venv on PATH (what make does)
                run: >
                  PATH="$PWD/.venv/bin:$PATH"
                  .venv/bin/pabot --processes 1 --outputdir out2 tiny.robot
        """,
        workspace,
    )
    results = run.run()
    (bare,) = results["bare"]
    assert bare.result == "failure"
    step = bare.failed_step()
    assert step.name == "pabot by path"
    assert "Error: Process completed with exit code 252." in step.tail
    log = (run.outdir / "logs" / "bare" / "01.log").read_text()
    assert "FileNotFoundError" in log and "'robot'" in log
    assert results["with-path"][0].result == "success"


def test_the_destructive_test_the_rehearsal_runs_exists_and_is_destructive():
    from robot.api import TestSuiteBuilder

    suite = TestSuiteBuilder(process_curdir=False).build(str(ROOT / "robot"))
    (test,) = [t for t in suite.all_tests if t.full_name == ci_rehearsal.DESTRUCTIVE_TEST]
    assert "disruptive" in [t.lower() for t in test.tags]


def test_the_regression_shard_step_with_a_bare_pabot_goes_red_and_is_named(
    tmp_path: Path, monkeypatch
):
    """The hand-break of issue 21: regression.yml's shard step as it was (`.venv/bin/pabot`,
    no venv on PATH). The rehearsal's closing line names the job and the step."""
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "regression.yml").read_text())
    shard = workflow["jobs"]["shard"]
    shard["strategy"]["matrix"]["shard"] = [1]
    (step,) = [s for s in shard["steps"] if str(s.get("run", "")).startswith("make ci-shard")]
    step["run"] = (
        ".venv/bin/pabot --processes 2 --shard ${{ matrix.shard }}/${{ env.SHARDS }} "
        "--outputdir results/shard-${{ matrix.shard }} --exclude nightly --exclude destructive "
        "robot/"
    )
    workflow["jobs"] = {"shard": shard}
    workspace = tmp_path / "ws"
    (workspace / "robot").mkdir(parents=True)
    (workspace / ".venv").symlink_to(ROOT / ".venv")
    for name in "abcd":  # a suite for each of the four shards
        (workspace / "robot" / f"{name}.robot").write_text(
            "*** Test Cases ***\nA\n    No Operation\n"
        )
    # The workspace's venv is this checkout's, linked: its `make setup` has nothing to do.
    monkeypatch.setitem(ci_rehearsal.SKIPPED, "setup", "the venv is linked")
    run = a_run(tmp_path, yaml.safe_dump(workflow, sort_keys=False), workspace)
    results = run.run()
    problems = ci_rehearsal.job_problems("regression.yml", results, {"shard": "success"})
    assert len(problems) == 1, problems
    assert problems[0].startswith(
        "regression.yml job 'shard (1)' ended failure, not success at step 'shard 1/4': "
    )
    assert problems[0].endswith("Error: Process completed with exit code 252.")
    log = (run.outdir / "logs" / "shard-1-" / "03.log").read_text()
    assert "FileNotFoundError" in log and "'robot'" in log


def test_a_jobs_venv_names_its_own_clone_and_shares_only_the_packages(tmp_path: Path):
    source, target = tmp_path / "template" / ".venv", tmp_path / "job" / ".venv"
    site = source / "lib" / "python3.11" / "site-packages"
    (site / "robot").mkdir(parents=True)
    (site / "robot" / "run.py").write_text("print('robot')\n")
    (site / "__pycache__").mkdir()
    (site / "__pycache__" / "finder.cpython-311.pyc").write_bytes(b"old")
    (site / "__editable___libs_finder.py").write_text(
        f"MAPPING = {{'libraries': '{source.parent}/libraries'}}\n"
    )
    (site / "libs.pth").write_text("import __editable___libs_finder\n")
    (site / "six.py").write_text("x = 1\n")
    (source / "bin" / "__pycache__").mkdir(parents=True)
    (source / "bin" / "pabot").write_text(f"#!{source}/bin/python\nimport pabot\n")
    (source / "bin" / "python").symlink_to("/usr/bin/python3")
    (source / "lib64").symlink_to("lib")
    (source / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (source / ".requirements.sha256").write_text("abc\n")
    target.parent.mkdir()

    ci_rehearsal.share_venv(source, target)

    mine = target / "lib" / "python3.11" / "site-packages"
    assert (target / "bin" / "pabot").read_text().startswith(f"#!{target}/bin/python\n")
    assert f"'{target.parent}/libraries'" in (mine / "__editable___libs_finder.py").read_text()
    assert (mine / "robot").is_symlink() and (mine / "robot").resolve() == site / "robot"
    assert not (mine / "__pycache__").is_symlink() and list((mine / "__pycache__").iterdir()) == []
    assert not (mine / "libs.pth").samefile(site / "libs.pth")  # make setup edits .pth files
    assert (mine / "six.py").samefile(site / "six.py")  # other files: hard links
    assert os.readlink(target / "bin" / "python") == "/usr/bin/python3"
    assert os.readlink(target / "lib64") == "lib"
    assert (target / ".requirements.sha256").read_text() == "abc\n"
