"""A suite file run without its folder says so in one line (libraries/common/suite_files.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from libraries.common.connections import ConnectionRegistry
from libraries.common.suite_files import run_alone_message

ROOT = Path(__file__).resolve().parents[2]
ROBOT = ROOT / "robot"
API = ROBOT / "api"
CONFIGURE = API / "configure.robot"


def test_a_file_run_alone_names_the_skipped_init_and_the_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    message = run_alone_message([CONFIGURE])
    assert message == (
        "robot/api/configure.robot was run without its folder, so robot/api/__init__.robot "
        "(the suite and test setups and the teardowns that clean up) did not run: run it as "
        "'robot --parse-include configure.robot robot' (or 'robot robot/api')"
    )
    assert "\n" not in message


def test_several_files_given_together_are_run_without_their_folder_too() -> None:
    """``robot a.robot b.robot``: the parent is a suite without a source."""
    assert run_alone_message([CONFIGURE, None]) is not None


@pytest.mark.parametrize(
    "sources",
    [
        [CONFIGURE, API, ROBOT],  # robot robot/
        [CONFIGURE, API],  # robot robot/api, or --parse-include configure.robot robot/api
        [API, ROBOT],  # the folder's own suite
        [ROBOT / "data_quality" / "integrity.robot"],  # a folder without __init__.robot
        [ROBOT / "examples" / "first_ui_test.robot"],  # the recipes stand alone
        [],  # outside a Robot run
        [None],
    ],
    ids=["all", "folder", "init", "no-init", "recipe", "no-run", "no-source"],
)
def test_a_file_run_with_its_folder_or_without_one_is_fine(sources: list) -> None:
    assert run_alone_message(sources) is None


def test_the_registry_names_the_hint_outside_robot() -> None:
    registry: ConnectionRegistry[object] = ConnectionRegistry("Focus Server", "call 'Connect'")
    with pytest.raises(RuntimeError, match=r"^No Focus Server connection: call 'Connect' first$"):
        _ = registry.current
