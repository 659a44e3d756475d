"""The import contracts of ``make lint`` (``[tool.importlinter]`` in pyproject.toml) hold,
and each goes red when the rule it states is broken.

Each case copies the project's packages to a temporary directory, adds one import that
breaks one rule, and runs ``lint-imports`` there with the project's configuration.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("contract", "twin", "libraries", "variables", "scripts", "benchmarks")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

LAYERS = "layers: benchmarks > scripts > libraries > variables > twin > contract"
ONE_DOOR = "outside twin/, the only twin module imported is twin.control"
LIBRARIES = "libraries import twin only in libraries.environment (to start it on demand)"
TWIN_ACYCLIC = "no import cycles inside twin"
CONTRACTS = (LAYERS, ONE_DOOR, LIBRARIES, TWIN_ACYCLIC)


def _copy(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            project / package,
            ignore=lambda _, names: (
                [n for n in names if n == "__pycache__"]
                + [n for n in names if n.endswith((".json", ".yaml", ".robot", ".html"))]
            ),
        )
    shutil.copy(ROOT / "pyproject.toml", project / "pyproject.toml")
    return project


def _lint(project: Path) -> tuple[int, dict[str, str], str]:
    """Runs lint-imports in ``project``: its exit code, each contract's verdict, its output."""
    env = {**os.environ, "PYTHONPATH": str(project)}
    run = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    text = " ".join((run.stdout + run.stderr).split())  # long names wrap on the console
    verdicts = {
        name: m.group(1)
        for name in CONTRACTS
        if (m := re.search(re.escape(name) + r" (KEPT|BROKEN)", text))
    }
    return run.returncode, verdicts, run.stdout + run.stderr


def _append(project: Path, module: str, line: str) -> None:
    path = project / module
    path.write_text(path.read_text() + f"\n{line}\n")


def test_the_project_keeps_every_contract(tmp_path: Path):
    # A namespace package (no __init__.py) would merge with a second copy on sys.path and
    # be checked only by chance.
    assert [p for p in PACKAGES if not (ROOT / p / "__init__.py").exists()] == []
    returncode, verdicts, output = _lint(_copy(tmp_path))
    assert verdicts == dict.fromkeys(CONTRACTS, "KEPT"), output
    assert returncode == 0


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        # variables <-> libraries: a folder-level cycle
        ("variables/environments.py", "import libraries.safety  # noqa", {LAYERS}),
        # the twin must not know the suite
        ("twin/config.py", "import variables.environments  # noqa", {LAYERS}),
        # the constants are neutral
        ("contract/constants.py", "import twin.control  # noqa", {LAYERS, LIBRARIES}),
        # scripts never import benchmarks
        ("scripts/checks/check_tags.py", "import benchmarks.pod_log_follow  # noqa", {LAYERS}),
        # past the door: a twin internal from a benchmark, and from the variables
        ("benchmarks/pod_log_follow.py", "import twin.kube.podlog  # noqa", {ONE_DOOR}),
        ("variables/local.py", "from twin import config  # noqa", {ONE_DOOR}),
        # the door itself, but from a library other than the launcher
        ("libraries/load/__init__.py", "from twin import control  # noqa", {LIBRARIES}),
        # a cycle between twin modules
        ("twin/config.py", "import twin.control  # noqa", {TWIN_ACYCLIC}),
    ],
)
def test_each_contract_goes_red_when_broken(tmp_path: Path, module: str, line: str, broken: set):
    project = _copy(tmp_path)
    _append(project, module, line)
    returncode, verdicts, output = _lint(project)
    assert {name for name, verdict in verdicts.items() if verdict == "BROKEN"} == broken, output
    assert len(verdicts) == len(CONTRACTS)
    assert returncode != 0
