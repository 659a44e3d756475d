"""The keyword libraries install alone, without the twin, and their Libdoc works.

What another product's suite does (README, "Reusing the keyword libraries"): in a temporary
directory, a copy of the checkout WITHOUT twin/ is installed with ``pip install <copy>`` into
an empty virtual environment; then ``python -m robot.libdoc <library> list`` runs there, from
an empty folder, for every library the resources import. The versions are held to
requirements.txt's pins (``-c``), so pip takes them from its cache.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from robot.libdocpkg import LibraryDocumentation

from scripts.run.make_docs import sources
from tests.checkout import ROOT, copy_checkout

INSTALL_TIMEOUT_S = 600
LIBDOC_TIMEOUT_S = 120
# Every library a resource file imports (as make docs finds them), by its import name.
LIBRARIES = [name for name, _page in sources() if not name.endswith(".resource")]


def _clean_env() -> dict[str, str]:
    """No PYTHONPATH, no virtual environment of ours: only what was installed counts."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(str(ROOT))
    )
    return env


def _pip(*args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT_S,
        env={**_clean_env(), "PYTHONWARNINGS": "ignore"},
        check=False,
    )
    assert result.returncode == 0, f"pip {' '.join(args)} failed:\n{result.stderr[-3000:]}"


@pytest.fixture(scope="module")
def without_twin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the checkout without twin/."""
    source = copy_checkout(tmp_path_factory.mktemp("packaging") / "checkout", exclude="twin/")
    assert not (source / "twin").exists()
    return source


@pytest.fixture(scope="module")
def installed(without_twin: Path) -> Path:
    """An empty virtual environment with the copy installed (pip install <copy>): its python."""
    venv = without_twin.parent / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    _pip(
        "--python", str(python), "install", "-q", "-c", str(ROOT / "requirements.txt"),
        str(without_twin),
    )  # fmt: skip
    return python


def _run(python: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(python), *args],
        cwd=cwd,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=LIBDOC_TIMEOUT_S,
        check=False,
    )


def test_the_resources_import_the_libraries_this_test_checks() -> None:
    assert len(LIBRARIES) >= 8, LIBRARIES
    assert "libraries.focus_api.FocusApi" in LIBRARIES


def test_the_wheel_holds_the_libraries_contract_and_variables_and_not_the_twin(
    without_twin: Path,
) -> None:
    wheels = without_twin.parent / "wheels"
    _pip("wheel", "-q", "--no-deps", "--wheel-dir", str(wheels), str(without_twin))
    (wheel,) = wheels.glob("focus_robot_libraries-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/", 1)[0] for name in names} - {
        next(n for n in names if ".dist-info/" in n).split("/", 1)[0]
    }
    expected = {"libraries", "variables"}
    if (ROOT / "contract").is_dir():
        expected.add("contract")
    assert top == expected
    # The libraries' default specs and baselines travel with them.
    for data in ("variables/mongodb_spec.yaml", "variables/pod_error_patterns.yaml"):
        assert data in names
    assert any(re.fullmatch(r"variables/baselines/\w+\.json", name) for name in names)
    # Every Python file of the packages is in the wheel.
    for package in expected:
        for source in (ROOT / package).rglob("*.py"):
            assert source.relative_to(ROOT).as_posix() in names


def test_the_install_has_no_twin_and_imports_from_the_venv(installed: Path, tmp_path: Path) -> None:
    found = _run(
        installed,
        "-c",
        "import importlib.util, libraries, variables;"
        "print(libraries.__file__); print(importlib.util.find_spec('twin'))",
        cwd=tmp_path,
    )
    assert found.returncode == 0, found.stderr
    library_file, twin_spec = found.stdout.split()
    assert Path(library_file).is_relative_to(installed.parent.parent), library_file
    assert twin_spec == "None"


@pytest.mark.parametrize("library", LIBRARIES)
def test_libdoc_lists_every_keyword_from_the_install(
    installed: Path, tmp_path: Path, library: str
) -> None:
    listed = _run(installed, "-m", "robot.libdoc", library, "list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    keywords = sorted(line for line in listed.stdout.splitlines() if line.strip())
    expected = sorted(keyword.name for keyword in LibraryDocumentation(library).keywords)
    assert keywords == expected and keywords


def test_libdoc_writes_html_from_the_install(installed: Path, tmp_path: Path) -> None:
    page = tmp_path / "FocusApi.html"
    written = _run(
        installed, "-m", "robot.libdoc", "libraries.focus_api.FocusApi", str(page), cwd=tmp_path
    )
    assert written.returncode == 0, written.stdout + written.stderr
    assert "Configure Live Task" in page.read_text()  # one of its keywords


def test_the_twin_package_list_names_every_folder_of_the_twin() -> None:
    """twin/pyproject.toml lists the twin's packages by hand (the folder is the package)."""
    declared = tomllib.loads((ROOT / "twin" / "pyproject.toml").read_text())["tool"]["setuptools"]
    on_disk = {
        ".".join(("twin", *init.parent.relative_to(ROOT / "twin").parts))
        for init in (ROOT / "twin").rglob("__init__.py")
    }
    assert set(declared["packages"]) == on_disk


def test_the_readme_recipe_runs_from_the_install(installed: Path, tmp_path: Path) -> None:
    """README's suite, run by the installed robot: the library, variables.staging and its
    Secret password load; the server (a closed loopback port) is unreachable, in one line."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (tmp_path / "reuse.robot").write_text(
        "*** Settings ***\n"
        "Library        libraries.focus_api.FocusApi\n"
        "Variables      variables.staging\n\n"
        "*** Test Cases ***\n"
        "Connect\n"
        "    Connect To Focus Server    ${FOCUS_BASE_URL}    ${FOCUS_USER}    ${FOCUS_PASSWORD}"
        "    timeout=2s    max_retries=0\n"
    )
    staging = {
        "FOCUS_BASE_URL": f"https://127.0.0.1:{port}",
        "FOCUS_USER": "qa",
        "FOCUS_PASSWORD": "not-a-real-password",
        "MONGO_URI": f"mongodb://qa:pw@127.0.0.1:{port}/?authSource=prisma&tls=true",
        "RABBITMQ_URL": f"amqps://qa:pw@127.0.0.1:{port}/%2F",
        "KUBECONFIG": str(tmp_path / "kubeconfig"),
    }
    run = subprocess.run(
        [str(installed), "-m", "robot", "--output", "NONE", "--report", "NONE", "--log", "NONE",
         "reuse.robot"],
        cwd=tmp_path, env={**_clean_env(), **staging}, capture_output=True, text=True,
        timeout=LIBDOC_TIMEOUT_S, check=False,
    )  # fmt: skip
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"Focus Server at https://127.0.0.1:{port} is unreachable" in run.stdout
    assert "not-a-real-password" not in run.stdout + run.stderr


def test_an_installed_library_writes_under_the_working_folder(
    installed: Path, tmp_path: Path
) -> None:
    found = _run(
        installed,
        "-c",
        "from libraries.common.paths import results_dir; print(results_dir())",
        cwd=tmp_path,
    )
    assert found.returncode == 0, found.stderr
    assert Path(found.stdout.strip()) == tmp_path.resolve() / "results"
