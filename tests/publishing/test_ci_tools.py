"""The CI helpers: shard comparison, the Markdown summary, the trend dashboard, the Jenkinsfile."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from scripts.publishing import ci_summary, dashboard
from scripts.run import shard_demo
from tests.publishing.synthetic import T, write_output

ROOT = Path(__file__).resolve().parents[2]


def _whole(tmp_path: Path) -> Path:
    return write_output(
        tmp_path / "whole" / "output.xml",
        {"Api": [T("A", ["PZ-1"]), T("B", [])], "Alerts": [T("C", [], "FAIL", "x")]},
    )


def test_shard_compare_accepts_a_complete_split(tmp_path: Path, capsys):
    s1 = write_output(tmp_path / "s1" / "output.xml", {"Api": [T("A", ["PZ-1"]), T("B", [])]})
    s2 = write_output(tmp_path / "s2" / "output.xml", {"Alerts": [T("C", [], "FAIL", "x")]})
    problems = shard_demo.compare(_whole(tmp_path), [str(s1), str(s2)], tmp_path / "m")
    assert problems == []
    assert "merged 2 shards: 3 tests (3 distinct)" in capsys.readouterr().out


def test_shard_compare_names_a_missing_test_and_different_counts(tmp_path: Path):
    s1 = write_output(tmp_path / "s1" / "output.xml", {"Api": [T("A", ["PZ-1"]), T("B", [])]})
    problems = shard_demo.compare(_whole(tmp_path), [str(s1)], tmp_path / "m")
    assert problems == [
        "1 test(s) missing from the shards, e.g. Robot.Alerts.C",
        "counts differ: merged {'PASS': 2}, unsharded {'PASS': 2, 'FAIL': 1}",
    ]


def test_summary_markdown_lists_counts_failures_and_links(tmp_path: Path):
    output = write_output(
        tmp_path / "output.xml",
        {"Api": [T("Good", ["PZ-1"]), T("Bad | pipe", ["PZ-2"], "FAIL", "status 500\nbody")]},
    )
    xray = tmp_path / "xray.json"
    xray.write_text('{"key": "PZ-900", "url": "http://127.0.0.1:9/browse/PZ-900"}')
    text = ci_summary.summary(
        output, title="regression", artifact_url="http://127.0.0.1:9/a", xray_result=xray
    )
    lines = text.splitlines()
    assert lines[0] == ci_summary.MARKER
    assert lines[1] == "### :x: regression: failed"
    assert "| 2 | 1 | 1 | 0 |" in lines
    assert "| Robot.Api.Bad \\| pipe | PZ-2 | status 500 body |" in lines
    assert "Logs and reports: [artifacts](http://127.0.0.1:9/a)" in lines
    assert "Xray Test Execution: [PZ-900](http://127.0.0.1:9/browse/PZ-900)" in lines
    missing = ci_summary.summary(output, xray_result=tmp_path / "none.json")
    assert "Xray: not imported for this run" in missing


def _run(path: Path, generated: str, failed: int) -> Path:
    tests = [T(f"T{i}", ["api"], "FAIL" if i < failed else "PASS", "x") for i in range(5)]
    write_output(path, {"Api": tests})
    text = re.sub(r'generated="[^"]+"', f'generated="{generated}"', path.read_text(), count=1)
    path.write_text(text)
    return path


@pytest.mark.skipif(not shutil.which("chromium"), reason="needs Debian's chromium")
def test_dashboard_after_two_runs_shows_both_and_is_not_blank(tmp_path: Path, capsys):
    db, html, png = tmp_path / "dashboard.db", tmp_path / "dashboard.html", tmp_path / "d.png"
    first = _run(tmp_path / "r1" / "output.xml", "2026-11-28T02:00:00.000000", failed=1)
    second = _run(tmp_path / "r2" / "output.xml", "2026-11-29T02:00:00.000000", failed=2)
    assert dashboard.main([str(first), "--db", str(db), "--html", str(html)]) == 0
    assert dashboard.main([str(second), "--db", str(db), "--html", str(html)]) == 0
    assert dashboard.main([str(second), "--db", str(db), "--html", str(html)]) == 0
    out = capsys.readouterr().out
    assert "r2/output.xml: already in the database" in out
    assert dashboard.run_count(db) == 2
    page = html.read_text()
    assert not re.search(r'<(script|link)[^>]+(src|href)="https?://', page)  # opens offline
    # Rendered: the run-statistics card counts both runs, and the picture is not blank.
    dom = subprocess.run(
        [
            shutil.which("chromium"),
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=8000",
            "--dump-dom",
            html.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    ).stdout
    assert "Run Statistics (2)" in dom
    colours, ink = dashboard.screenshot(html, png)
    assert colours >= 16 and ink >= 0.02


def test_a_blank_page_is_called_blank(tmp_path: Path):
    if not shutil.which("chromium"):
        pytest.skip("needs Debian's chromium")
    blank = tmp_path / "blank.html"
    blank.write_text("<html><body></body></html>")
    with pytest.raises(dashboard.DashboardError, match="is blank"):
        dashboard.screenshot(blank, tmp_path / "b.png")


def test_jenkinsfile_has_the_stages_and_the_robot_step():
    text = (ROOT / "Jenkinsfile").read_text()
    for stage in ("Setup", "Smoke", "Shards", "Destructive", "Merge", "Publish"):
        assert f"stage('{stage}')" in text
    assert "robot(outputPath: 'results/merged'" in text and "passThreshold" in text
    assert "make ci-shard SHARD=$SHARD SHARDS=3" in text
    assert "withCredentials" in text and "make jira-bugs" in text
    assert "archiveArtifacts" in text


def test_closing_line_names_a_stage_that_wrote_no_results(tmp_path: Path, capsys):
    from scripts.run import summary

    robot = write_output(tmp_path / "output.xml", {"Api": [T("A", [])]})
    assert summary.main([str(tmp_path / "pytest.xml"), str(robot)]) == 1
    out = capsys.readouterr().out
    assert f"{tmp_path / 'pytest.xml'}: missing: its stage did not finish" in out
    assert "total: 1 passed, 0 failed, 0 skipped" in out


def test_closing_lines_name_each_failed_robot_test(tmp_path: Path, capsys):
    from scripts.run import summary

    robot = write_output(
        tmp_path / "output.xml",
        {"Api": [T("A", []), T("B", [], "FAIL", "status 500\nsecond line")]},
    )
    assert summary.main([str(robot)]) == 1
    out = capsys.readouterr().out
    assert "  FAIL Robot.Api.B: status 500 second line" in out
    assert "Robot.Api.A" not in out
    assert out.rstrip().endswith("total: 1 passed, 1 failed, 0 skipped")
