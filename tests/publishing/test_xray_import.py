"""scripts/publishing/xray_import.py against the loopback stand-in of Xray Cloud, Xray Server/DC
and Jira."""

from __future__ import annotations

import base64
import json
import socket
from pathlib import Path

import pytest

from scripts.publishing import xray_import
from tests.publishing.standin import Standin
from tests.publishing.synthetic import PNG, T, write_output, write_pod_log

CI_ENV = {
    "GITHUB_REF_NAME": "feature/alerts",
    "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
    "GITHUB_SERVER_URL": "http://127.0.0.1:9",
    "GITHUB_REPOSITORY": "qa/focus-suite",
    "GITHUB_RUN_ID": "42",
}


# What the Browser library's `Take Screenshot    EMBED` logs (Browser 20.6).
BROWSER_EMBED = (
    '</td></tr><tr><td colspan="3"><img alt="screenshot" class="robot-seleniumlibrary-screenshot" '
    'style="max-width:900px;max-height:900px;" src="data:image/png;base64,'
    + base64.b64encode(PNG).decode()
    + '"/>'
)


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def cloud():
    with Standin(deployment="Cloud") as standin:
        yield standin


@pytest.fixture
def dc():
    with Standin(deployment="Server") as standin:
        yield standin


def cloud_env(standin: Standin, **extra: str) -> dict[str, str]:
    return {
        "XRAY_CLOUD_URL": standin.url,
        "XRAY_CLIENT_ID": standin.client_id,
        "XRAY_CLIENT_SECRET": standin.client_secret,
        "XRAY_PROJECT_KEY": "PZ",
        **CI_ENV,
        **extra,
    }


def dc_env(standin: Standin, **extra: str) -> dict[str, str]:
    return {
        "XRAY_BASE_URL": standin.url,
        "XRAY_TOKEN": standin.pat,
        "XRAY_PROJECT_KEY": "PZ",
        **CI_ENV,
        **extra,
    }


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """A run with a failed UI test (screenshot file), a failed API test with pod logs, a pass."""
    out = tmp_path / "run"
    (out / "browser" / "screenshot").mkdir(parents=True)
    (out / "browser" / "screenshot" / "fail-1.png").write_bytes(PNG)
    write_output(
        out / "output.xml",
        {
            "Ui": [
                T(
                    "Map shows the fibre",
                    ["PZ-101", "ui", "regression"],
                    "FAIL",
                    "Element 'canvas' not visible after 10s",
                    html=['<img src="browser/screenshot/fail-1.png" width="800px">'],
                ),
            ],
            "Ui2": [
                T(
                    "Waterfall draws",
                    ["PZ-105", "ui"],
                    "FAIL",
                    "canvas empty",
                    html=[BROWSER_EMBED],
                ),
            ],
            "Api": [
                T("Configure answers 200", ["PZ-102", "api"], "PASS"),
                T(
                    "Task reaches running",
                    ["PZ-103", "api", "critical"],
                    "FAIL",
                    "status was 'pending' after 30s",
                    messages=["POST /configure -> 200", "GET /task/3f2a -> pending"],
                ),
            ],
        },
    )
    write_pod_log(
        out, "Api", "Task_reaches_running", "focus-server-7d9", ["boot", "ERROR grpc down"]
    )
    # A passing test's pod logs are not attached.
    write_pod_log(out, "Robot.Api", "Configure_answers_200", "focus-server-7d9", ["fine"])
    return out


def run(argv, env, capsys, **http):
    rc = xray_import.main([str(a) for a in argv], env, **http)
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def test_cloud_multipart_import_carries_the_execution_fields(
    cloud: Standin, run_dir: Path, tmp_path: Path, capsys
):
    cloud.add_issue("PZ-14024", "Test Plan")
    cloud.plans["PZ-14024"] = []
    env = cloud_env(
        cloud,
        XRAY_TEST_ENVIRONMENTS="staging,chromium",
        XRAY_FIX_VERSION="2.4.0",
        XRAY_TEST_PLAN="PZ-14024",
        XRAY_LABELS="nightly,robot",
        XRAY_REVISION_FIELD="customfield_10050",
    )
    rc, out, err = run(
        [run_dir / "output.xml", "--workdir", tmp_path / "w", "--result-file", tmp_path / "x.json"],
        env,
        capsys,
    )
    assert rc == 0, err
    (request,) = cloud.seen("POST", "/api/v2/import/execution/robot/multipart")
    parts = Standin.multipart(request)
    assert set(parts) == {"results", "info"}
    info = json.loads(parts["info"])
    fields = info["fields"]
    assert fields["project"] == {"key": "PZ"}
    assert fields["issuetype"] == {"name": "Test Execution"}
    assert "feature/alerts" in fields["summary"] and "01234567" in fields["summary"]
    assert fields["labels"] == ["nightly", "robot"]
    assert fields["fixVersions"] == [{"name": "2.4.0"}]
    assert fields["customfield_10050"] == CI_ENV["GITHUB_SHA"]
    assert "http://127.0.0.1:9/qa/focus-suite/actions/runs/42" in fields["description"]
    assert info["xrayFields"] == {
        "testPlanKey": "PZ-14024",
        "environments": ["staging", "chromium"],
    }
    key = cloud.imports[0]["key"]
    assert f"Test Execution {key} {cloud.url}/browse/{key}" in out
    assert json.loads((tmp_path / "x.json").read_text())["key"] == key


def test_flags_override_the_environment(cloud: Standin, run_dir: Path, tmp_path: Path, capsys):
    env = cloud_env(cloud, XRAY_SUMMARY="from env", XRAY_TEST_ENVIRONMENTS="staging")
    argv = [run_dir / "output.xml", "--workdir", tmp_path / "w", "--summary", "from flag"]
    rc, _, err = run([*argv, "--environment", "production", "--revision", "abc"], env, capsys)
    assert rc == 0, err
    info = cloud.imports[0]["info"]
    assert info["fields"]["summary"] == "from flag"
    assert info["xrayFields"]["environments"] == ["production"]


def test_evidence_cloud_embeds_screenshots_and_attaches_pod_logs(
    cloud: Standin, run_dir: Path, tmp_path: Path, capsys
):
    rc, out, err = run(
        [run_dir / "output.xml", "--workdir", tmp_path / "w"], cloud_env(cloud), capsys
    )
    assert rc == 0, err
    tests = {t["name"]: t for t in cloud.imports[0]["tests"]}
    assert tests["Map shows the fibre"]["screenshots"] == 1  # Xray reads embedded images only
    assert tests["Waterfall draws"]["screenshots"] == 1  # Browser's EMBED, as it was
    (request,) = cloud.seen("POST", "/api/v2/import/execution/robot/multipart")
    embedded = base64.b64encode(PNG).decode()
    assert f"data:image/png;base64,{embedded}".encode() in Standin.multipart(request)["results"]
    evidence = {run["test"]: run["evidence"] for run in cloud.runs.values()}
    assert evidence["PZ-101"] == [] and evidence["PZ-102"] == []
    (log,) = evidence["PZ-103"]
    assert log["filename"] == "Task_reaches_running--focus-server-7d9.log"
    assert base64.b64decode(log["data"]).decode() == "boot\nERROR grpc down"
    assert "2 embedded screenshot(s) (1 embedded from files), 1 pod-log excerpt(s)" in out


def test_server_dc_multipart_import_with_custom_fields_and_evidence(
    dc: Standin, run_dir: Path, tmp_path: Path, capsys
):
    dc.add_issue("PZ-14024", "Test Plan")
    dc.plans["PZ-14024"] = []
    env = dc_env(
        dc,
        XRAY_TEST_PLAN="PZ-14024",
        XRAY_TEST_ENVIRONMENTS="staging",
        XRAY_ENVIRONMENTS_FIELD="customfield_10201",
        XRAY_REVISION_FIELD="customfield_10202",
    )
    rc, out, err = run([run_dir / "output.xml", "--workdir", tmp_path / "w"], env, capsys)
    assert rc == 0, err
    (request,) = dc.seen("POST", "/rest/raven/2.0/import/execution/robot/multipart")
    assert request.headers["Authorization"] == f"Bearer {dc.pat}"
    parts = Standin.multipart(request)
    assert set(parts) == {"file", "info"}
    fields = json.loads(parts["info"])["fields"]
    assert fields["customfield_10201"] == ["staging"]
    assert fields["customfield_10202"] == CI_ENV["GITHUB_SHA"]
    key = dc.imports[0]["key"]
    # No plan field id given: the execution is added to the plan through the plan's API.
    assert dc.issues["PZ-14024"].fields["executions"] == [key]
    assert dc.imports[0]["tests"][0]["screenshots"] == 1
    evidence = {run["test"]: run["evidence"] for run in dc.runs.values()}
    (log,) = evidence["PZ-103"]
    assert log["filename"] == "Task_reaches_running--focus-server-7d9.log"
    assert log["contentType"] == "text/plain"
    assert f"Test Execution {key} {dc.url}/browse/{key}" in out


def test_shards_are_merged_before_the_import(cloud: Standin, tmp_path: Path, capsys):
    one = write_output(tmp_path / "s1" / "output.xml", {"Api": [T("A", ["PZ-1"])]})
    two = write_output(
        tmp_path / "s2" / "output.xml", {"Alerts": [T("B", ["PZ-2"]), T("C", ["PZ-3"], "FAIL")]}
    )
    rc, out, err = run([one, two, "--workdir", tmp_path / "w"], cloud_env(cloud), capsys)
    assert rc == 0, err
    names = sorted(t["name"] for t in cloud.imports[0]["tests"])
    assert names == ["A", "B", "C"]
    assert "imported 3 tests (1 failed) from 2 file(s)" in out


def test_a_429_with_retry_after_is_waited_out(
    cloud: Standin, run_dir: Path, tmp_path: Path, capsys, sleeps: Sleeps
):
    cloud.fault("/api/v2/import/execution/robot/multipart", 429, times=2, retry_after="7")
    argv = [run_dir / "output.xml", "--workdir", tmp_path / "w"]
    rc, _, err = run(argv, cloud_env(cloud), capsys, sleep=sleeps)
    assert rc == 0, err
    assert sleeps == [7.0, 7.0]
    assert len(cloud.seen("POST", "/api/v2/import/execution/robot/multipart")) == 3
    assert len(cloud.imports) == 1


def test_5xx_backs_off_exponentially_then_succeeds(
    dc: Standin, run_dir: Path, tmp_path: Path, capsys, sleeps: Sleeps
):
    dc.fault("/rest/raven/2.0/import", 503, times=3)
    argv = [run_dir / "output.xml", "--workdir", tmp_path / "w"]
    rc, _, err = run(argv, dc_env(dc), capsys, sleep=sleeps, backoff=0.5)
    assert rc == 0, err
    assert sleeps == [0.5, 1.0, 2.0]


def test_persistent_429_fails_with_one_line(
    cloud: Standin, run_dir: Path, tmp_path: Path, capsys, sleeps: Sleeps
):
    cloud.fault("/api/v2/import", 429, times=99, retry_after="1")
    argv = [run_dir / "output.xml", "--workdir", tmp_path / "w"]
    rc, out, err = run(argv, cloud_env(cloud), capsys, sleep=sleeps, retries=3)
    assert rc == 1
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "HTTP 429" in err and "still failing after 4 tries" in err
    assert sleeps == [1.0, 1.0, 1.0]


def test_xray_400_error_body_is_shown_in_one_line(
    cloud: Standin, run_dir: Path, tmp_path: Path, capsys
):
    cloud.add_issue("PZ-14024", "Test Plan")  # exists in Jira, but not as an Xray plan
    env = cloud_env(cloud, XRAY_TEST_PLAN="PZ-14025")
    rc, _, err = run([run_dir / "output.xml", "--workdir", tmp_path / "w"], env, capsys)
    assert rc == 1
    assert err == (
        "xray: POST /api/v2/import/execution/robot/multipart answered HTTP 400: "
        "Test Plan with key PZ-14025 not found. (the server rejected the request)\n"
    )


def test_no_credential_in_any_output(cloud: Standin, dc: Standin, run_dir: Path, tmp_path, capsys):
    argv = [run_dir / "output.xml", "--workdir", tmp_path / "w"]
    secrets = [cloud.client_secret, cloud.client_id, dc.pat]
    outputs = []
    # 1. a refused API key (the error body even echoes the secret back)
    cloud.fault(
        "/api/v2/authenticate", 401, body={"error": f"bad client secret {cloud.client_secret}"}
    )
    outputs.append(run(argv, cloud_env(cloud), capsys))
    # 2. success, then a failure after the token was issued (the body echoes the token)
    outputs.append(run(argv, cloud_env(cloud), capsys))

    def echo_token(request):
        return {"error": f"token {request.headers['Authorization'][7:]} broke"}

    cloud.fault("/api/v2/import", 500, times=99, body=echo_token)
    outputs.append(run(argv, cloud_env(cloud), capsys, sleep=lambda s: None, retries=1))
    secrets += list(cloud.tokens)
    assert len(cloud.tokens) == 2
    # 3. a wrong DC token, and an unreachable host
    outputs.append(run(argv, dc_env(dc, XRAY_TOKEN=dc.pat + "x"), capsys))
    unreachable = dc_env(dc, XRAY_BASE_URL="http://127.0.0.1:1")
    outputs.append(run(argv, unreachable, capsys, sleep=lambda s: None, retries=1))
    assert [rc for rc, _, _ in outputs] == [1, 0, 1, 1, 1]
    printed = "\n".join(out + err for _, out, err in outputs)
    assert "credentials were refused" in printed and "***" in printed
    for secret in secrets:
        assert secret not in printed
    assert "Traceback" not in printed


def test_every_call_has_a_timeout(run_dir: Path, tmp_path: Path, capsys, sleeps: Sleeps):
    silent = socket.socket()  # accepts connections (backlog) but never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        env = {
            "XRAY_BASE_URL": f"http://127.0.0.1:{silent.getsockname()[1]}",
            "XRAY_TOKEN": "dc-pat-9",
            "XRAY_PROJECT_KEY": "PZ",
        }
        argv = [run_dir / "output.xml", "--workdir", tmp_path / "w"]
        rc, _, err = run(argv, env, capsys, sleep=sleeps, timeout=(0.5, 0.5), retries=1)
    finally:
        silent.close()
    assert rc == 1
    assert "timed out after 2 tries (connect 0.5s, read 0.5s)" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "xray: set XRAY_PROJECT_KEY (or --project), e.g. PZ\n"),
        ({"XRAY_PROJECT_KEY": "PZ"}, "xray: set XRAY_CLOUD_URL, XRAY_CLIENT_ID and"),
        (
            {"XRAY_PROJECT_KEY": "PZ", "XRAY_CLOUD_URL": "http://127.0.0.1:1"},
            "xray: set XRAY_CLIENT_ID, XRAY_CLIENT_SECRET (an Xray Cloud API key) to publish\n",
        ),
        (
            {"XRAY_PROJECT_KEY": "PZ", "XRAY_BASE_URL": "http://127.0.0.1:1"},
            "xray: set XRAY_TOKEN (a personal access token) to publish to Xray Server/DC\n",
        ),
    ],
)
def test_missing_settings_are_named(run_dir: Path, tmp_path: Path, capsys, env, expected):
    rc, _, err = run([run_dir / "output.xml", "--workdir", tmp_path / "w"], env, capsys)
    assert rc == 2 and err.startswith(expected)


def test_missing_or_broken_output_is_one_line(tmp_path: Path, capsys):
    rc, _, err = run([tmp_path / "nope.xml"], {}, capsys)
    missing = tmp_path / "nope.xml"
    assert rc == 2
    assert err == f"xray: {missing} does not exist: run the suite first (or give its output.xml)\n"
    broken = tmp_path / "broken.xml"
    broken.write_text("<robot><suite")
    rc, _, err = run([broken, "--check-only"], {}, capsys)
    assert rc == 2 and err.startswith(f"xray: {broken} is not a Robot Framework output.xml")
    assert err.count("\n") == 1


def _mapping_run(tmp_path: Path) -> Path:
    return write_output(
        tmp_path / "map" / "output.xml",
        {
            "Api": [
                T("Good", ["PZ-1"]),
                T("Bug key", ["PZ-2"]),
                T("Missing key", ["pz-3"]),
                T("No key", ["api"]),
            ]
        },
    )


def test_check_only_dc_names_missing_and_non_test_keys(dc: Standin, tmp_path: Path, capsys):
    dc.add_issue("PZ-1", "Test")
    dc.add_issue("PZ-2", "Bug")
    argv = [_mapping_run(tmp_path), "--check-only", "--workdir", tmp_path / "w"]
    rc, out, err = run(argv, dc_env(dc), capsys)
    assert rc == 1, err
    assert out.splitlines() == [
        "PZ-2: is a Bug, not a Test issue (test 'Robot.Api.Bug key')",
        "PZ-3: does not exist (test 'Robot.Api.Missing key')",
        "xray: 3 of 4 tests have a PZ-* key; 2 mapping problem(s)",
    ]
    assert not dc.seen("POST", "/rest/raven")  # nothing imported
    assert {r.path for r in dc.seen("GET", "/rest/api/2/issue/")} == {
        "/rest/api/2/issue/PZ-1",
        "/rest/api/2/issue/PZ-2",
        "/rest/api/2/issue/PZ-3",
    }


def test_check_only_cloud_asks_jira_cloud_when_it_can(cloud: Standin, tmp_path: Path, capsys):
    cloud.add_issue("PZ-1", "Test")
    cloud.add_issue("PZ-2", "Story")
    env = cloud_env(
        cloud,
        JIRA_URL=cloud.url,
        JIRA_USER="qa@example.invalid",
        JIRA_API_TOKEN="jira-api-token-0001",
    )
    argv = [_mapping_run(tmp_path), "--check-only", "--workdir", tmp_path / "w"]
    rc, out, _ = run(argv, env, capsys)
    assert rc == 1
    assert out.splitlines()[:2] == [
        "PZ-2: is a Story, not a Test issue (test 'Robot.Api.Bug key')",
        "PZ-3: does not exist (test 'Robot.Api.Missing key')",
    ]
    assert cloud.seen("GET", "/rest/api/3/issue/PZ-1")


def test_check_only_cloud_without_jira_asks_xray(cloud: Standin, tmp_path: Path, capsys):
    cloud.add_issue("PZ-1", "Test")
    cloud.add_issue("PZ-2", "Bug")
    argv = [_mapping_run(tmp_path), "--check-only", "--workdir", tmp_path / "w"]
    rc, out, _ = run(argv, cloud_env(cloud), capsys)
    assert rc == 1
    assert out.splitlines()[:2] == [
        "PZ-2: does not exist or is not a Test issue (test 'Robot.Api.Bug key')",
        "PZ-3: does not exist or is not a Test issue (test 'Robot.Api.Missing key')",
    ]


def test_check_only_passes_when_every_key_is_a_test(dc: Standin, tmp_path: Path, capsys):
    dc.add_issue("PZ-1", "Test")
    out_xml = write_output(tmp_path / "ok" / "output.xml", {"Api": [T("Good", ["PZ-1"])]})
    rc, out, _ = run([out_xml, "--check-only", "--workdir", tmp_path / "w"], dc_env(dc), capsys)
    assert rc == 0 and out == "xray: 1 of 1 tests have a PZ-* key; 0 mapping problem(s)\n"


def test_pod_logs_written_by_the_pod_monitor_are_found(tmp_path: Path):
    """The evidence path matches what libraries/pod_monitor writes (names with odd characters)."""
    from libraries.pod_monitor.buffer import Line
    from libraries.pod_monitor.report import write_test_logs
    from scripts.publishing.results import collect

    name = "Alert With: <odd> Name " + "x" * 130  # longer than the monitor's 120-char cut
    output = write_output(tmp_path / "output.xml", {"Alerts": [T(name, ["PZ-7"], "FAIL", "boom")]})
    line = Line(
        ns=1_700_000_000_000_000_000, text="ERROR consumer died", error="error", origin=None
    )
    write_test_logs(tmp_path, "Robot.Alerts", name, {"focus-server-1": [line]})
    (test,) = collect(output)
    assert list(test.pod_logs) == ["focus-server-1"]
    assert test.pod_logs["focus-server-1"].endswith("[error] ERROR consumer died")
