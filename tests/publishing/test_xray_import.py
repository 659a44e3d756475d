"""scripts/publishing/xray_import.py against the documented stand-in of Xray Cloud, Xray
Server/DC and Jira (tests/publishing/standin/)."""

from __future__ import annotations

import base64
import json
import socket
import xml.etree.ElementTree as ET
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
    "GITHUB_RUN_ATTEMPT": "1",
}
MARKER = "robot-run-gh-42-1"

# What the Browser library's `Take Screenshot    EMBED` logs (Browser 20.6).
BROWSER_EMBED = (
    '</td></tr><tr><td colspan="3"><img alt="screenshot" class="robot-seleniumlibrary-screenshot" '
    'style="max-width:900px;max-height:900px;" src="data:image/png;base64,'
    + base64.b64encode(PNG).decode()
    + '"/>'
)

KEYS_YAML = """
tests:
  "Robot.Api.Task reaches running": PZ-500
requirements: [PZ-13873, PZ-13874]
bugs: [PZ-13986]
"""


@pytest.fixture
def keys_file(tmp_path: Path) -> Path:
    path = tmp_path / "xray_keys.yaml"
    path.write_text(KEYS_YAML)
    return path


def world(standin: Standin) -> Standin:
    """The Jira project the tests run against: one Test, two Stories, a Bug, a plan."""
    standin.add_test("PZ-500", "Task reaches running")
    standin.add_issue("PZ-13873", "Story", summary="Configure a live task")
    standin.add_issue("PZ-13874", "Story", summary="Alerts are stored")
    standin.add_issue("PZ-13986", "Bug", summary="Burst of configures hangs")
    standin.add_issue("PZ-14024", "Test Plan")
    standin.plans["PZ-14024"] = []
    return standin


@pytest.fixture
def cloud():
    with Standin(deployment="Cloud") as standin:
        yield world(standin)


@pytest.fixture
def dc():
    with Standin(deployment="Server") as standin:
        yield world(standin)


def cloud_env(standin: Standin, keys: Path, **extra: str) -> dict[str, str]:
    return {
        "XRAY_CLOUD_URL": standin.url,
        "XRAY_CLIENT_ID": standin.client_id,
        "XRAY_CLIENT_SECRET": standin.client_secret,
        "XRAY_PROJECT_KEY": "PZ",
        "XRAY_KEYS_FILE": str(keys),
        **CI_ENV,
        **extra,
    }


def dc_env(standin: Standin, keys: Path, **extra: str) -> dict[str, str]:
    return {
        "XRAY_BASE_URL": standin.url,
        "XRAY_TOKEN": standin.pat,
        "XRAY_PROJECT_KEY": "PZ",
        "XRAY_KEYS_FILE": str(keys),
        **CI_ENV,
        **extra,
    }


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """Failed UI test (screenshot file, Generic), failed API test with a Test key and pod
    logs, a failed Browser-EMBED test (Generic), a pass with a requirement and a bug key."""
    out = tmp_path / "run"
    (out / "browser" / "screenshot").mkdir(parents=True)
    (out / "browser" / "screenshot" / "fail-1.png").write_bytes(PNG)
    write_output(
        out / "output.xml",
        {
            "Ui": [
                T(
                    "Map shows the fibre",
                    ["PZ-13873", "ui", "regression"],
                    "FAIL",
                    "Element 'canvas' not visible after 10s",
                    html=['<img src="browser/screenshot/fail-1.png" width="800px">'],
                ),
            ],
            "Ui2": [T("Waterfall draws", ["ui"], "FAIL", "canvas empty", html=[BROWSER_EMBED])],
            "Api": [
                T("Configure answers 200", ["PZ-13873", "PZ-13986", "api"], "PASS"),
                T(
                    "Task reaches running",
                    ["PZ-13874", "api", "critical"],
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
    write_pod_log(out, "Robot.Api", "Configure_answers_200", "focus-server-7d9", ["fine"])
    return out


def run(argv, env, capsys, **http):
    rc = xray_import.main([str(a) for a in argv], env, **http)
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def uploaded_tags(standin: Standin, index: int = 0) -> dict[str, list[str]]:
    root = ET.fromstring(standin.imports[index]["xml"])
    return {t.get("name"): sorted(x.text for x in t.findall("tag")) for t in root.iter("test")}


# -- the Test Execution and the tags ------------------------------------------------------
def test_cloud_import_carries_the_fields_and_the_run_marker(
    cloud: Standin, run_dir: Path, keys_file: Path, tmp_path: Path, capsys
):
    env = cloud_env(
        cloud,
        keys_file,
        XRAY_TEST_ENVIRONMENTS="staging,chromium",
        XRAY_FIX_VERSION="2.4.0",
        XRAY_TEST_PLAN="PZ-14024",
        XRAY_LABELS="nightly,robot",
        XRAY_REVISION_FIELD="customfield_10050",
    )
    argv = [
        run_dir / "output.xml",
        "--workdir",
        tmp_path / "w",
        "--result-file",
        tmp_path / "x.json",
    ]
    rc, out, err = run(argv, env, capsys, sleep=cloud.clock.sleep)
    assert rc == 0, err
    (request,) = cloud.seen("POST", "/api/v2/import/execution/robot/multipart")
    parts = Standin.multipart(request)
    assert set(parts) == {"results", "info"}
    info = json.loads(parts["info"])
    fields = info["fields"]
    assert fields["project"] == {"key": "PZ"}
    assert fields["issuetype"] == {"name": "Test Execution"}
    assert "feature/alerts" in fields["summary"] and "01234567" in fields["summary"]
    assert fields["labels"] == ["nightly", "robot", MARKER]
    assert fields["fixVersions"] == [{"name": "2.4.0"}]
    assert fields["customfield_10050"] == CI_ENV["GITHUB_SHA"]
    assert info["xrayFields"] == {
        "testPlanKey": "PZ-14024",
        "environments": ["staging", "chromium"],
    }
    key = cloud.imports[0]["key"]
    assert f"Test Execution {key} {cloud.url}/browse/{key}" in out
    assert json.loads((tmp_path / "x.json").read_text()) == {
        "key": key,
        "url": f"{cloud.url}/browse/{key}",
        "id": cloud.issues[key].id,
        "label": MARKER,
    }


def test_test_keys_requirements_and_generic_tests_as_xray_makes_them(
    cloud: Standin, run_dir: Path, keys_file: Path, tmp_path: Path, capsys
):
    rc, out, err = run(
        [run_dir / "output.xml", "--workdir", tmp_path / "w"],
        cloud_env(cloud, keys_file),
        capsys,
        sleep=cloud.clock.sleep,
    )
    assert rc == 0, err
    # The upload: the Test key added from the mapping, requirement keys kept, the bug key gone.
    tags = uploaded_tags(cloud)
    assert tags["Task reaches running"] == ["PZ-13874", "PZ-500", "api", "critical"]
    assert tags["Configure answers 200"] == ["PZ-13873", "api"]
    assert "left out of the upload: 1 bug key tag(s) and 0 unlisted key tag(s)" in out
    # What Xray made of it: the keyed test on PZ-500, three Generic Tests by definition.
    key = cloud.imports[0]["key"]
    runs = cloud.runs_of(key)
    assert runs["PZ-500"].robot_tests == ["Robot.Api.Task reaches running"]
    generic = {cloud.issues[k].definition: k for k in cloud.imports[0]["created_generic"]}
    assert set(generic) == {
        "Robot.Ui.Map shows the fibre",
        "Robot.Ui2.Waterfall draws",
        "Robot.Api.Configure answers 200",
    }
    assert cloud.issues[generic["Robot.Ui.Map shows the fibre"]].summary == "Map shows the fibre"
    # Coverage links to the requirement keys.
    assert cloud.issues["PZ-500"].links == ["PZ-13874"]
    assert cloud.issues[generic["Robot.Api.Configure answers 200"]].links == ["PZ-13873"]
    assert "1 on their Test, 3 on Generic Tests" in out


def test_a_second_import_reuses_the_generic_tests(
    cloud: Standin, run_dir: Path, keys_file: Path, tmp_path: Path, capsys
):
    env = cloud_env(cloud, keys_file)
    for _ in range(2):
        rc, _, err = run([run_dir / "output.xml", "--workdir", tmp_path / "w"], env, capsys)
        assert rc == 0, err
    assert len(cloud.imports[0]["created_generic"]) == 3
    assert cloud.imports[1]["created_generic"] == []


def test_xray_refuses_a_key_that_is_neither_a_test_nor_a_requirement(
    cloud: Standin, run_dir: Path, tmp_path: Path, capsys
):
    """Sending the suite's bug keys as they are (every key listed as a requirement) is what
    the old import did: the stand-in refuses it, as Xray answers such a key."""
    everything = tmp_path / "all.yaml"
    everything.write_text("requirements: [PZ-13873, PZ-13874, PZ-13986]\n")
    rc, _, err = run(
        [run_dir / "output.xml", "--workdir", tmp_path / "w"], cloud_env(cloud, everything), capsys
    )
    assert rc == 1
    assert err == (
        "xray: POST /api/v2/import/execution/robot/multipart answered HTTP 400: PZ-13986 is "
        "not a requirement issue or is not a valid issue key. (the server rejected the request)\n"
    )
    assert cloud.imports == []


# -- evidence -----------------------------------------------------------------------------
def test_cloud_evidence_reaches_each_tests_own_run_in_one_call_per_run(
    cloud: Standin, run_dir: Path, keys_file: Path, tmp_path: Path, capsys
):
    rc, out, err = run(
        [run_dir / "output.xml", "--workdir", tmp_path / "w"],
        cloud_env(cloud, keys_file),
        capsys,
        sleep=cloud.clock.sleep,
    )
    assert rc == 0, err
    runs = {tuple(r.robot_tests): r for r in cloud.runs.values()}
    keyed = runs[("Robot.Api.Task reaches running",)]
    assert keyed.test_key == "PZ-500"
    (log,) = keyed.evidence
    assert log["filename"] == "Task_reaches_running--focus-server-7d9.log"
    assert base64.b64decode(log["data"]).decode() == "boot\nERROR grpc down"
    # Generic Tests: the screenshots of the failed UI tests, as image evidence.
    for name in ("Robot.Ui.Map shows the fibre", "Robot.Ui2.Waterfall draws"):
        (shot,) = runs[(name,)].evidence
        assert shot["mimeType"] == "image/png" and base64.b64decode(shot["data"]) == PNG
    assert runs[("Robot.Api.Configure answers 200",)].evidence == []  # passed
    mutations = [
        r for r in cloud.seen("POST", "/api/v2/graphql") if b"addEvidenceToTestRun" in r.body
    ]
    assert len(mutations) == 3  # one per run with evidence
    assert "3 file(s) attached in 3 call(s)" in out and "0 warning(s)" in out
    # Embedded in the upload too: the file screenshot became a data URI.
    embedded = base64.b64encode(PNG).decode()
    assert f"data:image/png;base64,{embedded}".encode() in cloud.imports[0]["xml"]


def test_dc_evidence_reaches_keyed_and_generic_runs(
    dc: Standin, run_dir: Path, keys_file: Path, tmp_path: Path, capsys
):
    env = dc_env(dc, keys_file, XRAY_TEST_PLAN="PZ-14024")
    rc, out, err = run([run_dir / "output.xml", "--workdir", tmp_path / "w"], env, capsys)
    assert rc == 0, err
    (request,) = dc.seen("POST", "/rest/raven/2.0/import/execution/robot/multipart")
    assert request.headers["Authorization"] == f"Bearer {dc.pat}"
    assert set(Standin.multipart(request)) == {"file", "info"}
    key = dc.imports[0]["key"]
    assert dc.issues["PZ-14024"].fields["executions"] == [key]  # linked through the plan API
    runs = {tuple(r.robot_tests): r for r in dc.runs.values()}
    (log,) = runs[("Robot.Api.Task reaches running",)].evidence
    assert log["filename"] == "Task_reaches_running--focus-server-7d9.log"
    assert log["contentType"] == "text/plain"
    (shot,) = runs[("Robot.Ui.Map shows the fibre",)].evidence
    assert shot["contentType"] == "image/png"
    assert dc.seen("GET", "/rest/raven/1.0/testruns")  # the export of the execution's runs
    assert f"Test Execution {key} {dc.url}/browse/{key}" in out


def test_a_test_without_a_run_gets_a_warning_and_exit_0_after_the_result_file(
    cloud: Standin, run_dir: Path, keys_file: Path, tmp_path: Path, capsys
):
    def lose_a_run(exec_key: str) -> None:
        for run_id, test_run in list(cloud.runs.items()):
            if test_run.robot_tests == ["Robot.Ui.Map shows the fibre"]:
                del cloud.runs[run_id]

    cloud.after_import = lose_a_run
    result = tmp_path / "x.json"
    argv = [run_dir / "output.xml", "--workdir", tmp_path / "w", "--result-file", result]
    rc, out, err = run(argv, cloud_env(cloud, keys_file), capsys, sleep=cloud.clock.sleep)
    assert rc == 0, err
    warnings = [line for line in out.splitlines() if "warning" in line and "no Test Run" in line]
    assert warnings == [
        f"xray: warning: no Test Run of Generic Test 'Robot.Ui.Map shows the fibre' in "
        f"{cloud.imports[0]['key']}; 1 evidence file(s) of 'Robot.Ui.Map shows the fibre' not "
        "attached"
    ]
    assert json.loads(result.read_text())["key"] == cloud.imports[0]["key"]


def test_dc_a_test_without_a_run_gets_a_warning_and_exit_0(
    dc: Standin, run_dir: Path, keys_file: Path, tmp_path: Path, capsys
):
    def lose_a_run(exec_key: str) -> None:
        for run_id, test_run in list(dc.runs.items()):
            if test_run.robot_tests == ["Robot.Api.Task reaches running"]:
                del dc.runs[run_id]

    dc.after_import = lose_a_run
    result = tmp_path / "x.json"
    argv = [run_dir / "output.xml", "--workdir", tmp_path / "w", "--result-file", result]
    rc, out, err = run(argv, dc_env(dc, keys_file), capsys)
    assert rc == 0, err
    warnings = [line for line in out.splitlines() if "warning" in line and "no Test Run" in line]
    assert warnings == [
        f"xray: warning: no Test Run of Test PZ-500 in {dc.imports[0]['key']}; 1 evidence file(s) "
        "of 'Robot.Api.Task reaches running' not attached"
    ]
    runs = {tuple(r.robot_tests): r for r in dc.runs.values()}
    (shot,) = runs[("Robot.Ui.Map shows the fibre",)].evidence  # the others still get theirs
    assert shot["contentType"] == "image/png"
    assert json.loads(result.read_text())["key"] == dc.imports[0]["key"]


def test_the_result_file_is_written_before_evidence_fails(
    dc: Standin, run_dir: Path, keys_file: Path, tmp_path: Path, capsys
):
    dc.fault("/rest/raven/1.0/testruns", 403, times=99, body={"error": "no permission"})
    result = tmp_path / "x.json"
    argv = [run_dir / "output.xml", "--workdir", tmp_path / "w", "--result-file", result]
    rc, _, err = run(argv, dc_env(dc, keys_file), capsys)
    assert rc == 1 and "HTTP 403" in err
    assert json.loads(result.read_text())["key"] == dc.imports[0]["key"]


def test_dc_plan_link_that_answers_an_error_list_is_an_error(
    dc: Standin, run_dir: Path, keys_file: Path, tmp_path: Path, capsys
):
    dc.fault(
        "/rest/raven/1.0/api/testplan/PZ-14024/testexecution",
        200,
        body=["Issue with key PZ-14024 is not a Test Plan."],
    )
    argv = [
        run_dir / "output.xml",
        "--workdir",
        tmp_path / "w",
        "--result-file",
        tmp_path / "x.json",
    ]
    rc, _, err = run(argv, dc_env(dc, keys_file, XRAY_TEST_PLAN="PZ-14024"), capsys)
    assert rc == 1
    key = dc.imports[0]["key"]
    assert err == (
        f"xray: adding {key} to Test Plan PZ-14024 failed: Issue with key PZ-14024 is not a "
        "Test Plan. (the execution itself was imported)\n"
    )
    assert json.loads((tmp_path / "x.json").read_text())["key"] == key


# -- retries ------------------------------------------------------------------------------
def test_429_without_retry_after_waits_at_least_60_s_and_doubles(
    cloud: Standin, run_dir: Path, keys_file: Path, tmp_path: Path, capsys
):
    cloud.fault("/api/v2/import/execution/robot/multipart", 429, times=2)  # no Retry-After
    argv = [run_dir / "output.xml", "--workdir", tmp_path / "w"]
    rc, _, err = run(argv, cloud_env(cloud, keys_file), capsys, sleep=cloud.clock.sleep)
    assert rc == 0, err
    assert cloud.clock.slept[:2] == [60.0, 120.0]
    assert len(cloud.imports) == 1


def test_429_with_retry_after_is_honoured(
    cloud: Standin, run_dir: Path, keys_file: Path, tmp_path: Path, capsys
):
    cloud.fault("/api/v2/import/execution/robot/multipart", 429, times=2, retry_after="7")
    argv = [run_dir / "output.xml", "--workdir", tmp_path / "w"]
    rc, _, err = run(argv, cloud_env(cloud, keys_file), capsys, sleep=cloud.clock.sleep)
    assert rc == 0, err
    assert cloud.clock.slept[:2] == [7.0, 7.0]


def test_persistent_429_stops_at_the_deadline_with_one_line(
    cloud: Standin, run_dir: Path, keys_file: Path, tmp_path: Path, capsys
):
    cloud.fault("/api/v2/import", 429, times=99)
    argv = [run_dir / "output.xml", "--workdir", tmp_path / "w"]
    rc, _, err = run(
        argv, cloud_env(cloud, keys_file), capsys, sleep=cloud.clock.sleep, deadline=300
    )
    assert rc == 1
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "HTTP 429" in err and "within the 300 s deadline, rate limit (429)" in err
    assert cloud.clock.slept == [60.0, 120.0]  # 60 + 120 + 240 would pass 300
    assert cloud.imports == []


def test_5xx_on_a_query_backs_off_exponentially(
    dc: Standin, run_dir: Path, keys_file: Path, tmp_path: Path, capsys
):
    dc.fault("/rest/raven/1.0/testruns", 503, times=3)
    argv = [run_dir / "output.xml", "--workdir", tmp_path / "w"]
    sleeps: list[float] = []
    rc, _, err = run(argv, dc_env(dc, keys_file), capsys, sleep=sleeps.append, backoff=0.5)
    assert rc == 0, err
    assert sleeps == [0.5, 1.0, 2.0]


def test_a_lost_import_answer_finds_the_execution_xray_made_instead_of_importing_twice(
    cloud: Standin, run_dir: Path, keys_file: Path, tmp_path: Path, capsys
):
    """Xray did the import but the answer came after the client's read timeout; Jira's search
    does not show the new execution for a moment (search/jql is eventually consistent)."""
    cloud.fault("/api/v2/import/execution/robot/multipart", 0, after_work=1.5)
    argv = [
        run_dir / "output.xml",
        "--workdir",
        tmp_path / "w",
        "--result-file",
        tmp_path / "x.json",
    ]
    rc, out, err = run(
        argv,
        cloud_env(cloud, keys_file),
        capsys,
        sleep=cloud.clock.sleep,
        timeout=(2.0, 0.5),
    )
    assert rc == 0, err
    assert len(cloud.imports) == 1  # one Test Execution, not two
    assert len(cloud.seen("POST", "/api/v2/import/execution/robot/multipart")) == 1
    key = cloud.imports[0]["key"]
    assert f"but Xray created Test Execution {key} (label {MARKER}): using it" in out
    assert cloud.clock.slept[0] == 15.0  # the first search did not see it yet
    assert json.loads((tmp_path / "x.json").read_text())["key"] == key


def test_a_lost_import_that_xray_did_not_do_is_sent_again_once(
    cloud: Standin, run_dir: Path, keys_file: Path, tmp_path: Path, capsys
):
    cloud.fault("/api/v2/import/execution/robot/multipart", 502, times=1)
    argv = [run_dir / "output.xml", "--workdir", tmp_path / "w"]
    rc, _, err = run(argv, cloud_env(cloud, keys_file), capsys, sleep=cloud.clock.sleep)
    assert rc == 0, err
    assert f"no Test Execution labelled {MARKER} appeared within 60 s: importing again" in err
    assert len(cloud.seen("POST", "/api/v2/import/execution/robot/multipart")) == 2
    assert len(cloud.imports) == 1


def test_a_refused_connection_is_retried_without_a_search(
    run_dir: Path, keys_file: Path, tmp_path: Path, capsys
):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    env = {
        "XRAY_BASE_URL": f"http://127.0.0.1:{port}",
        "XRAY_TOKEN": "dc-pat-9",
        "XRAY_PROJECT_KEY": "PZ",
        "XRAY_KEYS_FILE": str(keys_file),
    }
    sleeps: list[float] = []
    rc, _, err = run(
        [run_dir / "output.xml", "--workdir", tmp_path / "w"],
        env,
        capsys,
        sleep=sleeps.append,
        retries=2,
    )
    assert rc == 1
    assert "could not reach 127.0.0.1" in err and "after 3 tries" in err
    assert sleeps == [2.0, 4.0] and "importing again" not in err


def test_every_call_has_a_timeout(run_dir: Path, keys_file: Path, tmp_path: Path, capsys):
    silent = socket.socket()  # accepts connections (backlog) but never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        env = {
            "XRAY_BASE_URL": f"http://127.0.0.1:{silent.getsockname()[1]}",
            "XRAY_TOKEN": "dc-pat-9",
            "XRAY_PROJECT_KEY": "PZ",
            "XRAY_KEYS_FILE": str(keys_file),
        }
        argv = [run_dir / "output.xml", "--workdir", tmp_path / "w"]
        sleeps: list[float] = []
        rc, _, err = run(argv, env, capsys, sleep=sleeps.append, timeout=(0.5, 0.5), retries=1)
    finally:
        silent.close()
    assert rc == 1
    # The import is not sent twice blindly: the search for its execution times out too.
    assert "GET /rest/api/2/search timed out after 2 tries (connect 0.5s, read 0.5s)" in err
    assert err.count("\n") == 1


# -- output format ------------------------------------------------------------------------
def test_legacyoutput_for_an_xray_that_reads_only_the_older_format(
    run_dir: Path, keys_file: Path, tmp_path: Path, capsys
):
    with Standin(deployment="Server", newest_schema=4) as old:
        world(old)
        argv = [run_dir / "output.xml", "--workdir", tmp_path / "w"]
        rc, _, err = run(argv, dc_env(old, keys_file), capsys)
        assert rc == 1 and "reads Robot output up to schema 4, got 5" in err
        rc, _, err = run([*argv, "--legacyoutput"], dc_env(old, keys_file), capsys)
        assert rc == 0, err
        assert b'schemaversion="4"' in old.imports[0]["xml"]


# -- --check-only -------------------------------------------------------------------------
def _mapping_run(tmp_path: Path) -> Path:
    return write_output(
        tmp_path / "map" / "output.xml",
        {
            "Api": [
                T("Task reaches running", ["PZ-13874"]),
                T("Configure answers 200", ["PZ-13873", "PZ-13986"]),
                T("Typo", ["pz-99999"]),
                T("Unlisted", ["PZ-13874", "PZ-600"]),
                T("No key", ["api"]),
            ]
        },
    )


def test_check_only_dc_says_what_each_key_is_and_what_the_import_does(
    dc: Standin, keys_file: Path, tmp_path: Path, capsys
):
    dc.add_issue("PZ-600", "Task")
    argv = [_mapping_run(tmp_path), "--check-only", "--workdir", tmp_path / "w"]
    rc, out, err = run(argv, dc_env(dc, keys_file), capsys)
    assert rc == 1, err
    lines = out.splitlines()
    assert lines == [
        "PZ-13873: Story (requirement): Xray links the tests' Tests to it (coverage) "
        "[1 test(s), e.g. 'Robot.Api.Configure answers 200']",
        "PZ-13874: Story (requirement): Xray links the tests' Tests to it (coverage) "
        "[2 test(s), e.g. 'Robot.Api.Task reaches running']",
        "PZ-13986: Bug (bug): not sent to Xray; named in the Jira bug text "
        "[1 test(s), e.g. 'Robot.Api.Configure answers 200']",
        "PZ-500: Test: the results go to this Test's run "
        "[1 test(s), e.g. 'Robot.Api.Task reaches running']",
        f"PZ-600: Task, not listed in {keys_file}: not sent; list it as a requirement, a bug, or a "
        "test's Test key [1 test(s), e.g. 'Robot.Api.Unlisted']  <- problem",
        "PZ-99999: does not exist: not sent (Xray would refuse the import) "
        "[1 test(s), e.g. 'Robot.Api.Typo']  <- problem",
        "xray: 1 of 5 tests have a Test key; 4 go to Generic Tests "
        "(found or created by suite path and name)",
        "xray: 2 problem(s)",
    ]
    assert not dc.seen("POST", "/rest/raven")  # nothing imported


def test_check_only_cloud_without_jira_asks_xray(
    cloud: Standin, keys_file: Path, tmp_path: Path, capsys
):
    argv = [_mapping_run(tmp_path), "--check-only", "--workdir", tmp_path / "w"]
    rc, out, _ = run(argv, cloud_env(cloud, keys_file), capsys)
    assert rc == 1
    assert out.splitlines()[0].startswith(
        "PZ-13873: requirement (requirement): Xray links the tests' Tests to it (coverage) "
        "(type as far as Xray tells;"
    )
    assert "PZ-500: Test: the results go to this Test's run" in out
    assert "PZ-13986: other or missing (bug): not sent to Xray" in out


def test_check_only_cloud_asks_jira_cloud_when_it_can(
    cloud: Standin, keys_file: Path, tmp_path: Path, capsys
):
    env = cloud_env(
        cloud,
        keys_file,
        JIRA_URL=cloud.url,
        JIRA_USER="qa@example.invalid",
        JIRA_API_TOKEN="jira-api-token-0001",
    )
    argv = [_mapping_run(tmp_path), "--check-only", "--workdir", tmp_path / "w"]
    rc, out, _ = run(argv, env, capsys)
    assert rc == 1
    assert "PZ-13986: Bug (bug): not sent to Xray" in out
    assert cloud.seen("GET", "/rest/api/3/issue/PZ-13986")


def test_every_key_tag_in_the_suite_is_listed_in_the_mapping():
    """A new PZ-* tag must be classified (requirement or bug) before the import sends it."""
    from robot.api import TestSuiteBuilder

    from scripts.publishing.xray_keys import load_keys

    mapping = load_keys()
    suite = TestSuiteBuilder(process_curdir=False).build("robot")
    unknown = {
        (key, test.full_name)
        for test in suite.all_tests
        for key in mapping.classify(test.full_name, test.tags).unknown
    }
    assert not unknown, sorted(unknown)[:5]


# -- settings and errors ------------------------------------------------------------------
def test_no_credential_in_any_output(
    cloud: Standin, dc: Standin, run_dir: Path, keys_file: Path, tmp_path: Path, capsys
):
    argv = [run_dir / "output.xml", "--workdir", tmp_path / "w"]
    secrets = [cloud.client_secret, cloud.client_id, dc.pat]
    outputs = []
    cloud.fault(
        "/api/v2/authenticate", 401, body={"error": f"bad client secret {cloud.client_secret}"}
    )
    outputs.append(run(argv, cloud_env(cloud, keys_file), capsys))
    outputs.append(run(argv, cloud_env(cloud, keys_file), capsys, sleep=cloud.clock.sleep))

    def echo_token(request):
        return {"error": f"token {request.headers['Authorization'][7:]} broke"}

    cloud.fault("/api/v2/graphql", 500, times=99, body=echo_token)
    outputs.append(run(argv, cloud_env(cloud, keys_file), capsys, sleep=lambda s: None, retries=1))
    secrets += list(cloud.tokens)
    assert len(cloud.tokens) == 2
    outputs.append(run(argv, dc_env(dc, keys_file, XRAY_TOKEN=dc.pat + "x"), capsys))
    unreachable = dc_env(dc, keys_file, XRAY_BASE_URL="http://127.0.0.1:1")
    outputs.append(run(argv, unreachable, capsys, sleep=lambda s: None, retries=1))
    assert [rc for rc, _, _ in outputs] == [1, 0, 1, 1, 1]
    printed = "\n".join(out + err for _, out, err in outputs)
    assert "credentials were refused" in printed and "***" in printed
    for secret in secrets:
        assert secret not in printed
    assert "Traceback" not in printed


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
        (
            {"XRAY_PROJECT_KEY": "PZ", "XRAY_KEYS_FILE": "/nonexistent/keys.yaml"},
            "xray: /nonexistent/keys.yaml does not exist "
            "(the Xray key mapping; see docs/xray.md)\n",
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
