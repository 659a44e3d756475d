"""A twin on stand-in workloads with its Kubernetes API, for the API and library tests."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests

from twin import config, control, processes

FAKES = "tests.twin.fake_workloads:WORKLOADS"
HISTORY = 60  # small, so a test can make a resourceVersion "too old"


@dataclass
class KubeTwin:
    dir: Path
    url: str
    token: str = field(repr=False)  # a failing test prints its fixtures: no secret in it
    ca: str
    kubeconfig: str
    instance: str

    def session(self, token: str | None = None) -> requests.Session:
        session = requests.Session()
        session.trust_env = False  # else REQUESTS_CA_BUNDLE overrides verify (requests #3829)
        session.verify = self.ca
        session.headers["Authorization"] = f"Bearer {self.token if token is None else token}"
        return session


def wait_for(predicate: Callable[[], object], timeout: float = 10.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def start_kube_twin(base: Path) -> Iterator[KubeTwin]:
    """Start a fake-workload twin (leased to this process) and stop it, leaving nothing."""
    previous = os.environ.get("TWIN_KUBE_EVENT_HISTORY")
    os.environ["TWIN_KUBE_EVENT_HISTORY"] = str(HISTORY)
    try:
        control.up(base=base, owners=[os.getpid()], workloads=FAKES, timeout=30)
    finally:
        if previous is None:
            os.environ.pop("TWIN_KUBE_EVENT_HISTORY", None)
        else:
            os.environ["TWIN_KUBE_EVENT_HISTORY"] = previous
    endpoints, secrets = config.load_endpoints(base), config.load_secrets(base)
    instance = json.loads((base / config.STATE_FILE).read_text())["instance"]
    try:
        yield KubeTwin(
            base,
            endpoints["kube"]["url"],
            secrets["kube_token"],
            endpoints["ca"],
            endpoints["kube"]["kubeconfig"],
            instance,
        )
    finally:
        control.down(base=base)
        wait_for(lambda: not processes.marked_processes(instance), what="no twin process left")


def job_body(name: str, script: str) -> dict:
    """A batch/v1 Job (its pods labelled ``app=<name>``) whose one container runs a Python
    script once; image twin/python:3, one the twin has (any other stays Pending)."""
    command = [sys.executable, "-u", "-c", script]
    container = {"name": "main", "image": "twin/python:3", "command": command}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "backoffLimit": 0,
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"restartPolicy": "Never", "containers": [container]},
            },
        },
    }
