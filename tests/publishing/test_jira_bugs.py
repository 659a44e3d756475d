"""scripts/publishing/jira_bugs.py (on the jira package) against the loopback Jira stand-in."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.publishing import jira_bugs
from scripts.publishing.results import RunTest
from tests.publishing.standin import Standin
from tests.publishing.synthetic import T, write_output, write_pod_log

FAST = {"timeout": (2, 5), "max_retries": 0}


@pytest.fixture
def cloud():
    with Standin(deployment="Cloud") as standin:
        yield standin


@pytest.fixture
def dc():
    with Standin(deployment="Server") as standin:
        yield standin


def cloud_env(standin: Standin, **extra) -> dict[str, str]:
    return {
        "JIRA_URL": standin.url,
        "JIRA_USER": "qa@example.invalid",
        "JIRA_API_TOKEN": "jira-api-token-0001",
        "XRAY_TEST_ENVIRONMENTS": "staging",
        "XRAY_RUN_URL": "http://127.0.0.1:9/run/1",
        **extra,
    }


def dc_env(standin: Standin, **extra) -> dict[str, str]:
    return {"JIRA_URL": standin.url, "JIRA_TOKEN": standin.pat, **extra}


def a_run(tmp_path: Path, name: str, message: str, *, tag: str = "critical") -> Path:
    out = tmp_path / name
    write_output(
        out / "output.xml",
        {
            "Api": [
                T(
                    "Task reaches running",
                    ["PZ-103", "api", tag],
                    "FAIL",
                    message,
                    messages=["POST /configure -> 200"],
                ),
                T("Health answers", ["PZ-104", "api", "critical"], "PASS"),
                T("Flaky extra", ["api"], "FAIL", "not critical"),
            ]
        },
    )
    write_pod_log(out, "Api", "Task reaches running", "focus-server-1", ["grpc: unavailable"])
    return out / "output.xml"


def run(argv, env, capsys):
    rc = jira_bugs.main([str(a) for a in argv], env, **FAST)
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def bugs(standin: Standin):
    return [i for i in standin.issues.values() if i.type == "Bug"]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch) -> None:
    """The scripts' default work directory (results/jira) lands in the test's own tmp."""
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize("mode", ["cloud", "dc"])
def test_second_failure_comments_and_a_different_failure_creates(
    mode, cloud: Standin, dc: Standin, tmp_path: Path, capsys
):
    standin, env = (cloud, cloud_env(cloud)) if mode == "cloud" else (dc, dc_env(dc))
    env["JIRA_CREATE_BUGS"] = "1"
    first = a_run(
        tmp_path, "r1", "Task 3f2a9c1e-1111-4a4a-9b9b-0123456789ab pending after 30 s at 02:00:01"
    )
    rc, out, err = run([first, "--workdir", tmp_path / "w1"], env, capsys)
    assert rc == 0, err
    (bug,) = bugs(standin)
    assert f"created {bug.key}" in out
    assert bug.labels[0].startswith("robot-fp-") and "robot-framework" in bug.labels

    # The same failure again in a later run, with other numbers, uuid and time: a comment,
    # no new bug. (A minute later: Jira Cloud's search shows the new Bug by then.)
    standin.clock.sleep(60)
    again = a_run(
        tmp_path, "r2", "Task 0000aaaa-2222-4b4b-8c8c-ba9876543210 pending after 45 s at 03:10:59"
    )
    rc, out, err = run([again, "--workdir", tmp_path / "w2"], env, capsys)
    assert rc == 0, err
    assert len(bugs(standin)) == 1
    assert f"commented on {bug.key}" in out
    assert len(bug.comments) == 1

    # A different failure of the same test: a new bug.
    other = a_run(tmp_path, "r3", "Task answered HTTP 500 Internal Server Error")
    rc, out, err = run([other, "--workdir", tmp_path / "w3"], env, capsys)
    assert rc == 0, err
    assert len(bugs(standin)) == 2 and "created" in out

    searches = [r.path for r in standin.requests if "/search" in r.path]
    expected = "/rest/api/3/search/jql" if mode == "cloud" else "/rest/api/2/search"
    assert searches and set(searches) == {expected}


def test_bug_carries_message_logs_pods_environment_and_xray_key(
    cloud: Standin, tmp_path: Path, capsys
):
    env = cloud_env(cloud, JIRA_CREATE_BUGS="1")
    rc, _, err = run([a_run(tmp_path, "r", "status was 'pending'")], env, capsys)
    assert rc == 0, err
    (bug,) = bugs(cloud)
    fields = bug.fields
    assert fields["issuetype"] == {"name": "Bug"} and fields["project"] == {"key": "PZ"}
    assert fields["summary"] == "[robot] Task reaches running: status was 'pending'"
    doc = fields["description"]
    assert doc["type"] == "doc"  # Jira Cloud's v3 API takes Atlassian documents
    text = "\n".join(n["content"][0]["text"] for n in doc["content"])
    for expected in (
        "status was 'pending'",
        "POST /configure -> 200",
        "grpc: unavailable",
        "Environment: staging",
        "Xray test: PZ-103",
        "Run: http://127.0.0.1:9/run/1",
    ):
        assert expected in text


def test_dc_bug_description_is_wiki_markup(dc: Standin, tmp_path: Path, capsys):
    env = dc_env(dc, JIRA_CREATE_BUGS="1")
    rc, _, err = run([a_run(tmp_path, "r", "boom")], env, capsys)
    assert rc == 0, err
    (bug,) = bugs(dc)
    assert "{noformat}\nboom\n{noformat}" in bug.fields["description"]
    assert all(r.headers["Authorization"] == f"Bearer {dc.pat}" for r in dc.requests)


def test_dry_run_is_the_default_and_changes_nothing(cloud: Standin, tmp_path: Path, capsys):
    existing = cloud.add_issue("PZ-7", "Bug")
    output = a_run(tmp_path, "r", "pending after 30 s")
    rc, out, _ = run([output], cloud_env(cloud), capsys)
    assert rc == 0
    assert "would create a Bug '[robot] Task reaches running: pending after 30 s'" in out
    assert "(dry run: set JIRA_CREATE_BUGS=1 to file them)" in out
    # An open bug with the fingerprint exists: the dry run says it would comment on it.
    existing.labels = [jira_bugs.fingerprint(_failed(output))]
    rc, out, _ = run([output], cloud_env(cloud), capsys)
    assert "would comment on PZ-7 (dry run)" in out
    changes = [r for r in cloud.requests if r.method == "POST" and "/search" not in r.path]
    assert not changes
    assert existing.comments == []


def _failed(output: Path) -> RunTest:
    from scripts.publishing.results import collect

    return next(t for t in collect(output) if t.name == "Task reaches running")


def test_a_closed_bug_is_not_reused(dc: Standin, tmp_path: Path, capsys):
    output = a_run(tmp_path, "r", "pending")
    done = dc.add_issue("PZ-8", "Bug", labels=[jira_bugs.fingerprint(_failed(output))], done=True)
    rc, out, _ = run([output, "--create"], dc_env(dc), capsys)
    assert rc == 0 and "created" in out and done.comments == []


def test_only_failed_tests_with_the_tag_count(dc: Standin, tmp_path: Path, capsys):
    output = a_run(tmp_path, "r", "boom", tag="blocker")
    rc, out, _ = run([output, "--create"], dc_env(dc), capsys)
    assert rc == 0 and "jira: 0 failed 'critical' test(s) of 3" in out and not bugs(dc)
    rc, out, _ = run([output, "--create", "--tag", "blocker"], dc_env(dc), capsys)
    assert "jira: 1 failed 'blocker' test(s) of 3" in out and len(bugs(dc)) == 1


def test_without_credentials_the_dry_run_says_what_it_would_do(tmp_path: Path, capsys):
    rc, out, _ = run([a_run(tmp_path, "r", "boom")], {}, capsys)
    assert rc == 0
    assert "would search for an open Bug labelled robot-fp-" in out
    rc, _, err = run([a_run(tmp_path, "r", "boom")], {"JIRA_CREATE_BUGS": "1"}, capsys)
    assert rc == 2 and err.startswith("jira: JIRA_CREATE_BUGS=1 needs JIRA_URL")


def test_refused_credentials_one_line_and_never_printed(cloud: Standin, tmp_path: Path, capsys):
    env = cloud_env(cloud, JIRA_API_TOKEN="wrong-token-4242", JIRA_CREATE_BUGS="1")
    rc, out, err = run([a_run(tmp_path, "r", "boom")], env, capsys)
    assert rc == 1
    assert err.count("\n") == 1 and "HTTP 401" in err and "Traceback" not in err
    assert "wrong-token-4242" not in out + err


def test_a_bug_created_a_moment_ago_is_found_through_reconcile(
    cloud: Standin, tmp_path: Path, capsys
):
    """Jira Cloud's search/jql does not show a new issue for a moment; the second run on the
    same machine passes the new Bug's id as reconcileIssues and comments instead of filing
    a duplicate."""
    env = cloud_env(cloud, JIRA_CREATE_BUGS="1")
    output = a_run(tmp_path, "r", "pending after 30 s")
    rc, out, err = run([output, "--workdir", tmp_path / "w"], env, capsys)
    assert rc == 0 and "created" in out, err
    (bug,) = bugs(cloud)
    assert cloud.clock() == 0  # no time has passed: search alone would not see the Bug
    rc, out, err = run([output, "--workdir", tmp_path / "w"], env, capsys)
    assert rc == 0, err
    assert f"commented on {bug.key}" in out and len(bugs(cloud)) == 1
    (search,) = [r for r in cloud.seen("POST", "/rest/api/3/search/jql")][-1:]
    assert search.json()["reconcileIssues"] == [int(bug.id)]


def test_fingerprint_ignores_merge_notes_html_numbers_uuids_and_timestamps():
    norm = jira_bugs.normalise
    assert norm(
        "task 3f2a9c1e-1111-4a4a-9b9b-0123456789ab took 31.5 s at 2026-11-30T02:00:01Z"
    ) == ("task <uuid> took <n> s at <time>")
    assert norm("pod focus-7d9f8c6b5a4e21 restarted 3 times") == "pod <n> restarted <n> times"
    assert norm("task-3f2a on 127.0.0.1:43211 answered 500") == "<n> on <n> answered <n>"
    merged = (
        '*HTML* <span class="merge">Test has been re-executed and results merged.</span><hr>'
        '<span class="new-status">New status:</span> <span class="fail">FAIL</span><br>'
        '<span class="new-message">New message:</span> expected &lt;ok&gt; at 10:00:01<br><hr>'
        '<span class="old-status">Old status:</span> <span class="fail">FAIL</span><br>'
        '<span class="old-message">Old message:</span> other text<br>'
    )
    assert norm(merged) == norm("expected <ok> at 11:59:59") == "expected <ok> at <time>"
    assert norm("*HTML* Test added from merged output. boom 3") == "boom <n>"
    assert norm("a") != norm("b")


SUITE = """*** Test Cases ***
Task Reaches Running
    [Tags]    critical
    ${when} =    Get Time
    Fail    task ${{uuid.uuid4()}} still pending after ${{random.randint(20, 90)}} s at ${when}

Health Answers
    No Operation
"""


def test_the_same_failure_has_one_fingerprint_through_a_merge_a_rerun_and_pabot(tmp_path: Path):
    """Real runs of a small suite: plain robot, a rerun of the failures merged with the first
    run (rebot --merge, whose notes rewrite the message), and pabot with two processes."""
    import os
    import subprocess
    import sys

    from scripts.publishing.results import collect

    (tmp_path / "robot" / "api").mkdir(parents=True)
    suite = tmp_path / "robot" / "api" / "tasks.robot"
    suite.write_text(SUITE)
    venv_bin = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": f"{venv_bin}:{os.environ.get('PATH', '')}"}

    def robot(*args: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "robot", "--log", "NONE", "--report", "NONE", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            timeout=120,
            check=False,
        )

    robot("--output", "first.xml", "robot")
    robot("--output", "rerun.xml", "--rerunfailed", "first.xml", "robot")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "robot.rebot",
            "--merge",
            "--output",
            "merged.xml",
            "--log",
            "NONE",
            "--report",
            "NONE",
            "first.xml",
            "rerun.xml",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pabot.pabot",
            "--processes",
            "2",
            "--testlevelsplit",
            "--outputdir",
            "pabot",
            "--log",
            "NONE",
            "--report",
            "NONE",
            "robot",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    outputs = {
        "first": tmp_path / "first.xml",
        "rerun": tmp_path / "rerun.xml",
        "merged": tmp_path / "merged.xml",
        "pabot": tmp_path / "pabot" / "output.xml",
    }
    failed = {}
    for name, output in outputs.items():
        (test,) = [t for t in collect(output) if t.status == "FAIL"]
        failed[name] = test
    messages = {name: t.message for name, t in failed.items()}
    assert len(set(messages.values())) >= 3, messages  # the runs really differ
    assert messages["merged"].startswith("*HTML*")
    prints = {name: jira_bugs.fingerprint(t) for name, t in failed.items()}
    assert len(set(prints.values())) == 1, prints


def test_a_429_from_jira_search_is_retried(dc: Standin, tmp_path: Path, capsys):
    dc.fault("/rest/api/2/search", 429, times=1, retry_after="0")
    output = a_run(tmp_path, "r", "boom")
    rc = jira_bugs.main([str(output), "--create"], dc_env(dc), timeout=(2, 5), max_retries=2)
    out = capsys.readouterr().out
    assert rc == 0 and "created" in out
    assert len(dc.seen("GET", "/rest/api/2/search")) == 2
