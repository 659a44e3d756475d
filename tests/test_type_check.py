"""The type check of `make lint` and the pre-commit hooks (pyproject.toml [tool.mypy],
.pre-commit-config.yaml).

mypy runs with the project's own configuration on small probe packages named like the
project's: an unannotated function is an error in `libraries` and `contract` (strict) and
passes in `twin` and `scripts` (the default checks), where a wrong return type is still one.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import yaml

from tests.checkout import ROOT

MYPY = ROOT / ".venv" / "bin" / "mypy"
MYPY_TIMEOUT_S = 120
UNANNOTATED = "def echo(value):\n    return value\n"
WRONG_RETURN = "def number() -> int:\n    return 'one'\n"


PROBES = {  # file: source
    "libraries/probe.py": UNANNOTATED,
    "contract/probe.py": UNANNOTATED,
    "twin/probe.py": UNANNOTATED,
    "scripts/probe.py": UNANNOTATED,
    "twin/wrong.py": WRONG_RETURN,
}


@pytest.fixture(scope="module")
def errors(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """One mypy run, configured as the project is, on the probes: error codes per file."""
    root = tmp_path_factory.mktemp("probes")
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    for name, source in PROBES.items():
        (root / name).parent.mkdir(exist_ok=True)
        (root / name).parent.joinpath("__init__.py").write_text("")
        (root / name).write_text(source)
    run = subprocess.run(
        [str(MYPY), "--no-incremental", *PROBES],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=MYPY_TIMEOUT_S,
    )
    assert run.returncode in (0, 1), run.stdout + run.stderr
    found: dict[str, list[str]] = {name: [] for name in PROBES}
    for line in run.stdout.splitlines():
        if match := re.match(r"^(\S+\.py):\d+: error: .*\[([a-z-]+)\]$", line):
            found[match.group(1)].append(match.group(2))
    return found


@pytest.mark.parametrize("package", ["libraries", "contract"])
def test_an_unannotated_function_is_an_error_where_mypy_is_strict(
    errors: dict[str, list[str]], package: str
) -> None:
    assert "no-untyped-def" in errors[f"{package}/probe.py"]


@pytest.mark.parametrize("package", ["twin", "scripts"])
def test_an_unannotated_function_passes_the_default_checks(
    errors: dict[str, list[str]], package: str
) -> None:
    assert errors[f"{package}/probe.py"] == []


def test_a_wrong_return_type_is_an_error_in_the_twin_too(errors: dict[str, list[str]]) -> None:
    assert errors["twin/wrong.py"] == ["return-value"]


def test_make_lint_runs_mypy() -> None:
    lint = re.search(r"^lint:\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M)
    assert lint is not None
    assert "\t$(VENV)/mypy\n" in lint.group(1)


def test_the_pre_commit_hooks_run_the_venvs_tools_without_downloading() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    assert {hook["entry"].split()[0] for hook in hooks} == {
        ".venv/bin/ruff",
        ".venv/bin/robocop",
        ".venv/bin/mypy",
    }
    assert all(hook["language"] == "unsupported" for hook in hooks)
