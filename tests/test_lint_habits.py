"""`make lint` goes red when a conflict marker is committed, and when a README names a path
that does not exist (scripts/checks/check_conflict_markers.py, check_readme_paths.py).

Each red case runs the real `make lint` in a committed copy of the checkout (the two checks
come first, so it stops there); the green controls run the same checks on the unchanged copy.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from scripts.checks import check_conflict_markers, check_readme_paths
from tests.checkout import ROOT, copy_checkout

VENV_BIN = ROOT / ".venv" / "bin"
MAKE_TIMEOUT_S = 120


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=lint test", "-c", "user.email=lint@example.invalid", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A committed copy of the checkout (its tracked and new files)."""
    copy = copy_checkout(tmp_path / "repo")
    _git(copy, "init", "-q")
    _git(copy, "add", "-A")
    _git(copy, "commit", "-q", "-m", "copy")
    return copy


def _commit(repo: Path, name: str, text: str) -> None:
    path = repo / name
    path.write_text(path.read_text() + text)
    _git(repo, "commit", "-q", "-am", f"change {name}")


def _make_lint(repo: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", "lint", f"VENV={VENV_BIN}"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=MAKE_TIMEOUT_S,
        check=False,
    )


def _check(repo: Path, module: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(VENV_BIN / "python"), "-m", f"scripts.checks.{module}"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=MAKE_TIMEOUT_S,
        check=False,
    )


def test_the_unchanged_checkout_passes_both_checks(repo: Path) -> None:
    markers = _check(repo, "check_conflict_markers")
    assert markers.returncode == 0, markers.stdout
    files = int(markers.stdout.split("check_conflict_markers: ")[1].split()[0])
    assert files > 300, markers.stdout  # every tracked text file was read
    paths = _check(repo, "check_readme_paths")
    assert paths.returncode == 0, paths.stdout
    checked = int(paths.stdout.split("check_readme_paths: ")[1].split()[0])
    assert checked > 50, paths.stdout


def test_a_committed_conflict_marker_makes_lint_fail(repo: Path) -> None:
    _commit(
        repo,
        "robot/CONTRACT_COVERAGE.md",
        "\n<<<<<<< HEAD\nours\n=======\ntheirs\n>>>>>>> main\n",
    )
    lint = _make_lint(repo)
    assert lint.returncode != 0
    lines = [line for line in lint.stdout.splitlines() if "conflict marker" in line]
    assert len(lines) == 3, lint.stdout
    assert all(line.startswith("robot/CONTRACT_COVERAGE.md:") for line in lines)
    assert "3 markers" in lint.stdout


def test_a_readme_path_that_does_not_exist_makes_lint_fail(repo: Path) -> None:
    _commit(repo, "README.md", "\nThe client lives in `libraries/focus_api/nowhere.py`.\n")
    _commit(repo, "twin/README.md", "\nSee kube/nowhere.py for the routes.\n")
    lint = _make_lint(repo)
    assert lint.returncode != 0
    assert "libraries/focus_api/nowhere.py does not exist" in lint.stdout
    assert "twin/README.md:" in lint.stdout and "kube/nowhere.py does not exist" in lint.stdout
    assert "2 missing" in lint.stdout


def test_a_moved_script_named_by_a_readme_makes_lint_fail(repo: Path) -> None:
    """The README names it as a path and runs it with ``python -m``: both are caught."""
    _git(repo, "mv", "scripts/publishing/xray_plan.py", "scripts/xray_plan.py")
    _git(repo, "commit", "-q", "-m", "move xray_plan.py")
    paths = _check(repo, "check_readme_paths")
    assert paths.returncode == 1
    assert "scripts/publishing/xray_plan.py does not exist" in paths.stdout
    assert "module scripts.publishing.xray_plan does not exist" in paths.stdout


@pytest.mark.parametrize(
    ("line", "paths"),
    [
        ("see `libraries/safety.py:61-64`.", ["libraries/safety.py"]),
        ("(`twin/focus-grpc-job:1` and `twin/python:3` are images)", []),
        ("[d](docs/keywords/index.html), https://x.invalid/a", ["docs/keywords/index.html"]),
        (
            "`<runtime>/sbin`, `$S/id_ed25519`, `--kubeconfig=results/twin/kubeconfig`",
            ["results/twin/kubeconfig"],
        ),
        ("| `benchmarks/ui.py` | **robot/ui/** |", ["benchmarks/ui.py", "robot/ui/"]),
    ],
)
def test_candidates(line: str, paths: list[str]) -> None:
    assert check_readme_paths.candidates(line) == paths


def test_modules_run_with_python_m() -> None:
    line = "$ .venv/bin/python -m scripts.run.fuzz --update-snapshot; python3 -m twin up"
    assert check_readme_paths.modules(line) == ["scripts/run/fuzz", "twin"]


def test_an_equals_line_alone_is_not_a_marker() -> None:
    assert check_conflict_markers.markers("Title\n=======\n") == []
    assert [n for n, _ in check_conflict_markers.markers("<<<<<<< a\n=======\n>>>>>>> b\n")] == [
        1,
        2,
        3,
    ]
