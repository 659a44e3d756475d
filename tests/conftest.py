"""Shared fixtures: a whole twin, started once per pytest session in a temporary directory."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.twin.mongo_fixtures import StandinProcess, standin_children
from twin import config, control


@dataclass
class RunningTwin:
    dir: Path
    endpoints: dict
    secrets: dict


@pytest.fixture(scope="session")
def twin(tmp_path_factory: pytest.TempPathFactory) -> RunningTwin:
    """The real twin (MongoDB stand-in, RabbitMQ, Focus Server) on free loopback ports.

    Leased to the pytest process: it cannot outlive the session, even on a crash.
    """
    base = tmp_path_factory.mktemp("twin")
    try:
        control.up(base=base, owners=[os.getpid()], timeout=120)
    except control.TwinError as error:
        pytest.fail(str(error), pytrace=False)
    try:
        yield RunningTwin(base, config.load_endpoints(base), config.load_secrets(base))
    finally:
        control.down(base=base)


# MongoDB stand-ins, for tests of the stand-in itself and of what talks to it.
@pytest.fixture
def make_standin(tmp_path: Path) -> Iterator[Any]:
    """Factory of stand-ins in this test's tmp dir; all are stopped after the test."""
    started: list[StandinProcess] = []

    def make(name: str = "standin", twin_dir: Path | None = None) -> StandinProcess:
        standin = StandinProcess(tmp_path / name / "data", tmp_path / f"{name}.log", twin_dir)
        standin.data_dir.mkdir(parents=True, exist_ok=True)
        started.append(standin)
        return standin

    yield make
    for standin in started:
        standin.stop()
    assert not [s for s in started if s.is_running()], "a stand-in process survived its test"


@pytest.fixture(scope="module")
def shared_standin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandinProcess]:
    """One stand-in for the non-destructive tests of the module."""
    base = tmp_path_factory.mktemp("mongo-shared")
    (base / "data").mkdir()
    standin = StandinProcess(base / "data", base / "standin.log").start(port=0)
    try:
        yield standin
    finally:
        standin.stop()
    assert not standin_children(), "the shared stand-in survived the module"
