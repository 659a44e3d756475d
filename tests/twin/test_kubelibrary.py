"""KubeLibrary (a peer's Robot library, pinned) against the twin's Kubernetes API.

Runs tests/robot_suites/kubelibrary on a stand-in twin and asserts every test passed;
the failures' messages are in the assertion. See that suite for the keywords covered.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.twin.kube_fixtures import start_kube_twin

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT / "tests" / "robot_suites" / "kubelibrary"

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def kube_twin(tmp_path_factory: pytest.TempPathFactory):
    for twin in start_kube_twin(tmp_path_factory.mktemp("kubelibrary")):
        for name in ("alpha", "beta"):
            (Path(twin.ca).parent / f"{name}.ready").touch()
        yield twin


def test_every_kubelibrary_test_passes_against_the_twin(kube_twin, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("REQUESTS_CA")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "robot",
            "--outputdir",
            str(tmp_path),
            "--variable",
            f"KUBECONFIG:{kube_twin.kubeconfig}",
            "--variable",
            f"PYTHON:{sys.executable}",
            "--console",
            "dotted",
            str(SUITE),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=200,
    )
    tests = ET.parse(tmp_path / "output.xml").getroot().iter("test")
    results = {
        test.get("name"): (test.find("status").get("status"), test.find("status").text or "")
        for test in tests
    }
    failed = {name: message for name, (state, message) in results.items() if state != "PASS"}
    assert len(results) >= 14, done.stdout[-2000:]
    assert not failed, failed
    assert done.returncode == 0, done.stdout[-2000:]
