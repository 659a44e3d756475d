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


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Group the tests that share a costly fixture, for ``pytest -n 2 --dist loadgroup``.

    A worker starts a fixture of session or module scope once for the tests it runs: the
    tests that share one must run on the same worker, or the twin starts twice. So every
    module with a test that uses a session fixture of ours (the whole ``twin``) joins the
    group ``session``, and every other module with a test that uses a module or class
    fixture of ours (a Kubernetes twin, a RabbitMQ node, a stand-in) is a group of its own:
    its tests run one after the other on one worker, in file order, as without xdist (a
    module's last test may end its shared process; a later one may check that none is
    left). The tests of the other modules are spread one by one. xdist shows the group
    after an ``@`` in the test's id.
    """
    if not config.pluginmanager.hasplugin("xdist"):
        return
    scopes: dict[str, set[str]] = {}
    for item in items:
        scopes.setdefault(_module(item), set()).update(_shared_scopes(item))
    for item in items:
        shared = scopes[_module(item)]
        if shared:
            name = "session" if "session" in shared else _module(item).removesuffix(".py")
            item.add_marker(pytest.mark.xdist_group(name.removeprefix("tests/")))


def _module(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0]


def _shared_scopes(item: pytest.Item) -> set[str]:
    """``session`` and/or ``module``: the wider scopes of the project fixtures it uses."""
    info = getattr(item, "_fixtureinfo", None)
    scopes = set()
    for definitions in info.name2fixturedefs.values() if info else ():
        fixture = definitions[-1]  # the one in effect for this test
        if getattr(fixture.func, "__module__", "").startswith("tests."):
            scopes.add(fixture.scope)
    return {"session" if s == "package" else "module" if s == "class" else s for s in scopes} & {
        "session",
        "module",
    }


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
