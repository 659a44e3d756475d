"""kubectl against the twin's API: get, delete (waits on a watch), logs, scale, get jobs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from tests.twin.kube_fixtures import KubeTwin, start_kube_twin, wait_for

pytestmark = pytest.mark.skipif(not shutil.which("kubectl"), reason="kubectl is not installed")


@pytest.fixture(scope="module")
def kube_twin(tmp_path_factory: pytest.TempPathFactory):
    yield from start_kube_twin(tmp_path_factory.mktemp("kube-kubectl"))


def kubectl(twin: KubeTwin, *args: str) -> str:
    command = ["kubectl", "--kubeconfig", twin.kubeconfig, "--cache-dir", str(twin.dir / "cache")]
    done = subprocess.run(
        [*command, "--request-timeout=10s", *args], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_get_pods_prints_the_real_columns(kube_twin):
    lines = kubectl(kube_twin, "get", "pods").splitlines()
    assert lines[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    beta = next(line.split() for line in lines if line.startswith("beta-0"))
    assert beta[1:4] == ["1/1", "Running", "0"]
    assert "127.0.0.1" in kubectl(kube_twin, "get", "pods", "-o", "wide")


def test_delete_pod_waits_until_it_is_gone(kube_twin):
    out = kubectl(kube_twin, "delete", "pod", "beta-0")
    assert out.strip() == 'pod "beta-0" deleted'
    wait_for(lambda: "Running" in kubectl(kube_twin, "get", "pod", "beta-0"), timeout=20)


def test_get_o_json_logs_scale_and_jobs(kube_twin):
    pod = json.loads(kubectl(kube_twin, "get", "pod", "beta-0", "-o", "json"))
    assert pod["metadata"]["labels"]["app"] == "beta"
    assert kubectl(kube_twin, "logs", "beta-0", "--tail=5") is not None
    out = kubectl(kube_twin, "scale", "deployment", "alpha", "--replicas=0")
    assert out.strip() == "deployment.apps/alpha scaled"
    wait_for(lambda: "alpha-" not in kubectl(kube_twin, "get", "pods"), timeout=20)
    kubectl(kube_twin, "scale", "deployment", "alpha", "--replicas=1")
    wait_for(lambda: "alpha-" in kubectl(kube_twin, "get", "pods"), timeout=20)
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "hello"},
        "spec": {
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [
                        {
                            "name": "hello",
                            "image": "twin/python:3",
                            "command": [sys.executable, "-c", "print('hello from the twin')"],
                        }
                    ],
                }
            }
        },
    }
    manifest = kube_twin.dir / "job.json"
    manifest.write_text(json.dumps(job))
    kubectl(kube_twin, "create", "--validate=false", "-f", str(manifest))  # no OpenAPI
    wait_for(lambda: "Complete" in kubectl(kube_twin, "get", "jobs"), timeout=20)
    header = kubectl(kube_twin, "get", "jobs").splitlines()[0].split()
    assert header[:3] == ["NAME", "STATUS", "COMPLETIONS"]
    assert "hello from the twin" in kubectl(kube_twin, "logs", "job/hello")
    kubectl(kube_twin, "delete", "job", "hello")
