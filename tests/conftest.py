"""Shared fixtures: a whole twin, started once per pytest session in a temporary directory."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

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
