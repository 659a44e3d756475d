"""scripts/publishing/xray_plan.py: a Test Plan's tests from Xray (Cloud and DC) -> a Robot
argument file."""

from __future__ import annotations

from pathlib import Path

import pytest
from robot import run_cli
from robot.api import ExecutionResult

from scripts.publishing import xray_plan
from tests.publishing.standin import Standin

SUITE = """\
*** Test Cases ***
Configure answers
    [Documentation]    In the plan: its Test key is a tag.
    [Tags]    test:PZ-1    PZ-13873    regression
    No Operation

Metadata answers
    [Documentation]    In the plan: its Test key is in the mapping file.
    [Tags]    regression
    No Operation

Health answers
    [Documentation]    Not in the plan.
    [Tags]    test:PZ-9    regression
    No Operation

Requirement only
    [Documentation]    A requirement key is not a Test key.
    [Tags]    PZ-5    regression
    No Operation
"""

KEYS = """
tests:
  "Robot.Api.Metadata answers": PZ-2
requirements: [PZ-13873, PZ-5]
"""


@pytest.fixture
def suites(tmp_path: Path) -> Path:
    directory = tmp_path / "robot"
    directory.mkdir()
    (directory / "api.robot").write_text(SUITE)
    return directory


@pytest.fixture(autouse=True)
def _keys(tmp_path: Path, monkeypatch) -> None:
    keys = tmp_path / "xray_keys.yaml"
    keys.write_text(KEYS)
    monkeypatch.setenv("XRAY_KEYS_FILE", str(keys))


def plan_with(standin: Standin, keys: list[str]) -> None:
    standin.add_issue("PZ-14024", "Test Plan")
    for key in keys:
        standin.add_issue(key, "Test")
    standin.plans["PZ-14024"] = keys


@pytest.mark.parametrize("mode", ["cloud", "dc"])
def test_argument_file_selects_exactly_the_plan_tests(mode, suites: Path, tmp_path, capsys):
    with Standin(deployment="Cloud" if mode == "cloud" else "Server") as standin:
        # 150 filler keys: the plan is read page by page (100 per page).
        filler = [f"PZ-{n}" for n in range(5000, 5150)]
        plan_with(standin, ["PZ-1", "PZ-2", "PZ-5", *filler])
        env = (
            {
                "XRAY_CLOUD_URL": standin.url,
                "XRAY_CLIENT_ID": standin.client_id,
                "XRAY_CLIENT_SECRET": standin.client_secret,
            }
            if mode == "cloud"
            else {"XRAY_BASE_URL": standin.url, "XRAY_TOKEN": standin.pat}
        )
        argfile = tmp_path / "plan.args"
        env["XRAY_KEYS_FILE"] = str(tmp_path / "xray_keys.yaml")
        rc = xray_plan.main(["pz-14024", "--suites", str(suites), "--output", str(argfile)], env)
    out = capsys.readouterr().out
    assert rc == 0
    assert argfile.read_text().splitlines()[1:] == [
        "--test Robot.Api.Configure answers",
        "--test Robot.Api.Metadata answers",
    ]
    lines = out.splitlines()
    assert lines[0] == "PZ-5: in PZ-14024, no automated test here"
    assert len([line for line in lines if "no automated test here" in line]) == 151
    assert "153 tests in the plan, 2 automated here (2 Robot tests), 151 not" in out
    # Robot reads the file and selects exactly the two plan tests.
    output = tmp_path / "out.xml"
    argv = ["--argumentfile", str(argfile), "--dryrun", "--output", str(output)]
    argv += ["--log", "NONE", "--report", "NONE", "--console", "none", str(suites)]
    run_cli(argv, exit=False)
    names = sorted(t.name for t in ExecutionResult(str(output)).suite.all_tests)
    assert names == ["Configure answers", "Metadata answers"]


def test_a_plan_with_nothing_automated_fails_with_one_line(suites: Path, tmp_path, capsys):
    with Standin(deployment="Server") as standin:
        plan_with(standin, ["PZ-5"])
        env = {"XRAY_BASE_URL": standin.url, "XRAY_TOKEN": standin.pat}
        env["XRAY_KEYS_FILE"] = str(tmp_path / "xray_keys.yaml")
        rc = xray_plan.main(["PZ-14024", "--suites", str(suites)], env)
    captured = capsys.readouterr()
    assert rc == 1
    assert captured.err == "xray: none of the 1 tests of PZ-14024 is automated here\n"


def test_unknown_plan_and_bad_key_are_one_line(suites: Path, capsys):
    with Standin(deployment="Cloud") as standin:
        env = {
            "XRAY_CLOUD_URL": standin.url,
            "XRAY_CLIENT_ID": standin.client_id,
            "XRAY_CLIENT_SECRET": standin.client_secret,
        }
        assert xray_plan.main(["PZ-777", "--suites", str(suites)], env) == 1
        assert xray_plan.main(["plan-one", "--suites", str(suites)], env) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "xray: PZ-777 is not a Test Plan (or not visible to this API key)",
        "xray: 'plan-one' is not an issue key (like PZ-14024)",
    ]
