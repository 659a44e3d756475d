"""The pod monitor without a cluster: patterns, time windows, attribution, files, HTML,
and the unreachable-API path (one warning, the run goes on)."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from libraries.common import request_ids
from libraries.pod_monitor import report
from libraries.pod_monitor.buffer import LineStore
from libraries.pod_monitor.following import Dedup, parse_timestamp, split_stamped
from libraries.pod_monitor.patterns import PatternFileError, load_patterns

ROOT = Path(__file__).resolve().parents[2]
S = 1_000_000_000

# One sample line per pattern of variables/pod_error_patterns.yaml.
SAMPLES = {
    "traceback": "Traceback (most recent call last):",
    "error": "2026-11-30 10:00:00,001 ERROR focus_server cannot start job",
    "critical": "2026-11-30 10:00:00,001 CRITICAL focus_server out of disk",
    "fatal": "FATAL: password authentication failed",
    "panic": "panic: runtime error: invalid memory address",
    "oom-killed": "Last State: Terminated, Reason: OOMKilled",
    "crash-loop": "Waiting: CrashLoopBackOff",
    "back-off-restarting": "Warning BackOff Back-off restarting failed container main",
    "connection-refused": "dial tcp 203.0.113.5:5672: connect: Connection refused",
    "timed-out": "upstream request timed out after 30s",
    "http-5xx": "INFO focus_server.access POST /focus-server/configure 503 2.1ms",
    "server-selection-timeout": "pymongo.errors.ServerSelectionTimeoutError: mongodb:27017",
    "amqp-connection-lost": "alert consumer: broker connection lost or refused (StreamLostError)",
    "grpc-unavailable": "grpc._channel._InactiveRpcError: status = StatusCode.UNAVAILABLE",
}
BENIGN = [
    "INFO focus_server.access GET /focus-server/health 200 1.2ms",
    'INFO focus_server.access POST /focus-server/configure 400 0.9ms {"error": "bad nfft"}',
    "task 5f1c running; errors=0",
    "GET /focus-server/waterfall/503 200 2ms",
    "timeout=30s configured",
]


@pytest.fixture(scope="module")
def patterns():
    return load_patterns()


def test_the_default_file_has_the_14_patterns(patterns):
    assert len(patterns.names) == 14
    assert sorted(patterns.names) == sorted(SAMPLES)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_each_pattern_matches_its_sample(patterns, name):
    assert patterns.match(SAMPLES[name]) == name


@pytest.mark.parametrize("line", BENIGN)
def test_benign_lines_are_not_errors(patterns, line):
    assert patterns.match(line) is None


def test_a_common_log_format_5xx_is_an_error(patterns):
    assert patterns.match('203.0.113.3 - - [30/Nov/2026] "GET /api HTTP/1.1" 502 12') == "http-5xx"


def test_bad_pattern_files_fail_with_one_line(tmp_path):
    missing = tmp_path / "none.yaml"
    with pytest.raises(PatternFileError, match="does not exist"):
        load_patterns(missing)
    bad = tmp_path / "bad.yaml"
    bad.write_text("patterns:\n  - name: broken\n    regex: '(unclosed'\n")
    with pytest.raises(PatternFileError, match="'broken' is not a valid regular expression"):
        load_patterns(bad)
    nameless = tmp_path / "nameless.yaml"
    nameless.write_text("patterns:\n  - regex: x\n")
    with pytest.raises(PatternFileError, match="pattern 1 needs a 'name' and a 'regex'"):
        load_patterns(nameless)


def _store(patterns, max_lines: int = 100) -> LineStore:
    return LineStore(patterns, max_lines)


def test_a_test_gets_the_lines_of_its_own_time_window_only(patterns):
    store = _store(patterns)
    store.add("focus", 9 * S, "before the test")
    store.add("focus", 10 * S, "at the start")
    store.add("focus", 15 * S, "ERROR during the test")
    store.add("mongo", 16 * S, "mongo line")
    store.add("focus", 20 * S + 1, "after the test")
    chosen = store.select(10 * S, 20 * S, "t1", 1)
    assert [line.text for line in chosen["focus"]] == ["at the start", "ERROR during the test"]
    assert chosen["focus"][1].error == "error"
    assert [line.text for line in chosen["mongo"]] == ["mongo line"]
    assert store.select(21 * S, 30 * S, "t1", 2) == {}  # pods without lines are left out


def test_lines_another_test_caused_never_land_under_this_one(patterns):
    """pabot: two processes' tests overlap in time; a request id decides."""
    store = _store(patterns)
    mine, other_process, my_next_test = "t10.3-1", "t20.7-4", "t10.4-1"
    store.add("focus", 11 * S, f"ERROR rejected a message rid={other_process}")
    store.add("focus", 12 * S, f"ERROR rejected a message rid={mine}")
    store.add("focus", 13 * S, "a line no request caused")
    store.add("focus", 14 * S, f"INFO GET /health 200 rid={my_next_test}")
    lines = store.select(10 * S, 20 * S, "t10", 3)["focus"]
    assert [line.text for line in lines] == [
        f"ERROR rejected a message rid={mine}",
        "a line no request caused",
    ]
    theirs = store.select(10 * S, 20 * S, "t20", 7)["focus"]
    assert [line.text for line in theirs][0].endswith(f"rid={other_process}")


def test_request_ids_carry_the_process_and_the_test():
    request_ids.set_current(request_ids.test_tag(5, pid=0x1F))
    try:
        rid = request_ids.next_request_id()
    finally:
        request_ids.set_current(None)
    assert rid.startswith("t1f.5-")
    assert request_ids.parse(f"ERROR x rid={rid}") == ("t1f", 5)
    assert request_ids.next_request_id() is None
    assert request_ids.parse("no id here") is None


def test_buffers_are_bounded_and_deleted_pods_are_forgotten(patterns):
    store = _store(patterns, max_lines=50)
    for second in range(500):
        store.add("chatty", second * S, f"line {second}")
    buffer = store.buffers["chatty"]
    assert len(buffer.lines) == 50 and buffer.dropped == 450
    assert buffer.lines[0].text == "line 450"
    store.add("job-pod", 600 * S, "last words")
    store.mark_gone("job-pod")
    store.prune(before_ns=600 * S)  # still needed by a test that started at 600 s
    assert "job-pod" in store.buffers
    store.prune(before_ns=601 * S)
    assert "job-pod" not in store.buffers and "chatty" in store.buffers


def test_very_long_lines_are_cut(patterns):
    line = _store(patterns).add("p", S, "x" * 10000)
    assert len(line.text) < 4100 and line.text.endswith("(10000 characters)")


def test_timestamps_of_the_log_api_parse_to_nanoseconds():
    assert parse_timestamp("1970-01-01T00:00:01.5Z") == 1_500_000_000
    assert parse_timestamp("2026-11-30T15:50:24.659330123Z") % S == 659330123
    assert parse_timestamp("2026-11-30T15:50:24Z") % S == 0
    assert split_stamped("2026-11-30T15:50:24.1Z hello world")[1] == "hello world"
    assert split_stamped("not stamped") is None


def test_a_reopened_stream_skips_the_lines_already_read():
    dedup = Dedup()
    first = [dedup.fresh(ns) for ns in (1, 2, 2, 3)]
    dedup.restart()
    again = [dedup.fresh(ns) for ns in (1, 2, 2, 3, 3, 4)]
    assert first == [True, True, True, True]
    assert again == [False, False, False, False, True, True]


def test_files_and_html_of_one_test(patterns, tmp_path):
    store = _store(patterns)
    store.add("focus-1", 10 * S, "INFO ok")
    store.add("focus-1", 11 * S, "ERROR boom <script>")
    excerpts = store.select(0, 20 * S, "t1", 1)
    paths = report.write_test_logs(tmp_path, "Robot.Alerts", "Bad Alert: <x>", excerpts)
    path = paths["focus-1"]
    assert path == tmp_path / "pod_logs" / "Robot.Alerts" / "Bad_Alert_x" / "focus-1.log"
    written = path.read_text().splitlines()
    assert written[1].endswith("[error] ERROR boom <script>")
    html = report.excerpt_html(excerpts, paths, tmp_path, limit=200)
    assert html.startswith("<details><summary>pod <b>focus-1</b>: 2 lines")
    assert "1 error lines" in html and "&lt;script&gt;" in html and "<script>" not in html
    assert 'title="error"' in html
    assert 'href="pod_logs/Robot.Alerts/Bad_Alert_x/focus-1.log"' in html


def test_html_keeps_early_error_lines_when_it_cuts(patterns):
    store = _store(patterns, 1000)
    store.add("p", S, "ERROR early")
    for second in range(2, 400):
        store.add("p", second * S, f"line {second}")
    html = report.excerpt_html(store.select(0, 500 * S, "t1", 1), {}, Path("."), limit=10)
    assert "ERROR early" in html and "line 399" in html and "line 100" not in html
    assert "388 more lines in the file" in html


def test_pabot_results_land_in_the_final_output_directory(tmp_path):
    process_dir = tmp_path / "out" / "pabot_results" / "3"
    assert report.results_root(process_dir) == (tmp_path / "out").resolve()
    assert report.results_root(tmp_path / "out") == (tmp_path / "out").resolve()


def test_the_summary_merges_every_process(tmp_path):
    root = tmp_path / "out"
    for index, counts in ((0, {"A.T1": {"focus|error": 2}}), (1, {"A.T2": {"focus|error": 1}})):
        process_dir = root / "pabot_results" / str(index)
        process_dir.mkdir(parents=True)
        text = report.write_summary(root, process_dir, {"tests": counts})
    row = next(line for line in text.splitlines() if line.startswith("focus"))
    assert row.split() == ["focus", "error", "3", "2"]
    assert (root / "pod_logs" / "summary.txt").read_text() == text


SUITE = """*** Test Cases ***
Passes Without A Cluster
    [Documentation]    The monitor cannot reach its API; the test is not affected.
    Log    ran
"""


def test_an_unreachable_api_gives_one_warning_and_the_run_goes_on(tmp_path):
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters: [{name: k, cluster: {server: 'https://127.0.0.1:9'}}]\n"
        "users: [{name: u, user: {token: t}}]\n"
        "contexts: [{name: c, context: {cluster: k, user: u, namespace: panda}}]\n"
    )
    suite = tmp_path / "suite.robot"
    suite.write_text(SUITE)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "robot",
            "--listener",
            f"libraries.pod_monitor.PodMonitor:kubeconfig={kubeconfig}",
            "--outputdir",
            str(tmp_path / "out"),
            str(suite),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    console = run.stdout + run.stderr
    assert run.returncode == 0, console
    warnings = [line for line in console.splitlines() if "[ WARN ]" in line]
    assert len(warnings) == 1, console
    assert "Pod monitor is off for this run" in warnings[0]
    assert "https://127.0.0.1:9" in warnings[0] and "not reachable" in warnings[0]
    assert "Traceback" not in console
    root = ET.parse(tmp_path / "out" / "output.xml").getroot()
    assert [t.find("status").get("status") for t in root.iter("test")] == ["PASS"]
