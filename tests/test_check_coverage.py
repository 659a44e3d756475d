"""``scripts/checks/check_coverage.py`` (in ``make lint``): a qualifier without a named test, a
qualifier word nobody listed, or a test that does not exist, each turns it red."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.checks import check_coverage

SUITE = """*** Test Cases ***
Flood Gets 429
    No Operation

Another Token Is Served
    No Operation
"""
PYTEST = "def test_refresh_once():\n    pass\n"
HEADER = "| clause | test(s) that go red | qualifiers | red seen |\n|---|---|---|---|\n"
HEADLINE = "`security/rate_limit.robot: Flood Gets 429`"
QUALIFIED = "*per token*: `security/rate_limit.robot: Another Token Is Served` (broken)"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "robot" / "security").mkdir(parents=True)
    (tmp_path / "robot" / "security" / "rate_limit.robot").write_text(SUITE)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_client.py").write_text(PYTEST)
    return tmp_path


def problems(project: Path, *rows: str) -> list[str]:
    coverage = project / "robot" / "CONTRACT_COVERAGE.md"
    coverage.write_text("# Coverage\n\n" + HEADER + "".join(f"{row}\n" for row in rows))
    return check_coverage.check(coverage, root=project).problems


def row(clause: str, qualifiers: str, headline: str = HEADLINE) -> str:
    return f"| {clause} | {headline} | {qualifiers} | broken |"


def test_a_qualifier_with_an_existing_test_is_clean(project):
    assert problems(project, row("Rate limit per token: 429", QUALIFIED)) == []


def test_a_qualifier_word_no_entry_names_is_red(project):
    found = problems(project, row("Rate limit per token: 429", "none"))
    assert found == ["line 5: the clause says 'per' but its qualifiers cell says none"]
    found = problems(
        project, row("Every answer, per token", QUALIFIED.replace("per token", "per token"))
    )
    assert found == ["line 5: the clause says 'every' but no qualifier entry of its row names it"]


def test_a_qualifier_without_a_test_is_red(project):
    found = problems(project, row("Rate limit per token: 429", "*per token*: not written yet"))
    assert any("not in the form" in problem for problem in found)
    found = problems(project, row("Rate limit per token: 429", "*per token*: `Retry-After`"))
    assert found == ["line 5: qualifier 'per token' names no test that goes red without it"]


def test_a_test_that_does_not_exist_is_red(project):
    missing = QUALIFIED.replace("Another Token Is Served", "Another User Is Served")
    assert problems(project, row("Rate limit per token: 429", missing)) == [
        "line 5: robot/security/rate_limit.robot has no test 'Another User Is Served'"
    ]
    other_suite = QUALIFIED.replace("rate_limit.robot", "rate_limits.robot")
    assert problems(project, row("Rate limit per token: 429", other_suite)) == [
        "line 5: no suite robot/security/rate_limits.robot"
    ]
    headline = "`security/rate_limit.robot: Flood Gets 503`"
    assert problems(project, row("Rate limit per token: 429", QUALIFIED, headline)) == [
        "line 5: robot/security/rate_limit.robot has no test 'Flood Gets 503'"
    ]


def test_pytest_references_are_checked_too(project):
    good = "*once*: `tests/test_client.py::test_refresh_once`"
    assert problems(project, row("Refreshes once", good)) == []
    bad = "*once*: `tests/test_client.py::test_refresh_twice`"
    assert problems(project, row("Refreshes once", bad)) == [
        "line 5: tests/test_client.py has no test test_refresh_twice"
    ]


def test_a_bare_test_name_is_red(project):
    headline = f"{HEADLINE}, `Another Token Is Served`"
    assert problems(project, row("Rate limit per token: 429", QUALIFIED, headline)) == [
        "line 5: 'Another Token Is Served' names a test without its suite: write "
        "`suite.robot: Another Token Is Served`"
    ]


def test_a_row_without_the_qualifiers_column_is_red(project):
    coverage = project / "robot" / "CONTRACT_COVERAGE.md"
    coverage.write_text(
        "| clause | test(s) that go red | red seen |\n|---|---|---|\n"
        f"| Rate limit per token | {HEADLINE} | broken |\n"
    )
    assert check_coverage.check(coverage, root=project).problems == [
        "line 3: the table has no 'qualifiers' column"
    ]


def test_qualifier_words_are_found_as_whole_words_outside_code():
    assert check_coverage.qualifier_words("Rate limit per token, newest first") == [
        "per",
        "newest first",
    ]
    assert check_coverage.qualifier_words("Supersede the percentage") == []
    assert check_coverage.qualifier_words("key-based login only") == ["only", "-based"]


def test_the_project_coverage_file_is_clean():
    report = check_coverage.check(check_coverage.DEFAULT_FILE)
    assert report.problems == []
    assert report.qualifiers > 50
