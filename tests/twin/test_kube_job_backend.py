"""KubeJobBackend against the twin's API: Job + NodePort Service, a serving pod, clean stop."""

from __future__ import annotations

import psutil
import pytest

from contract import constants
from tests.twin.kube_fixtures import start_kube_twin, wait_for
from twin.grpc_job.protocol import check_serving
from twin.kube.job_backend import KubeJobBackend, job_name, service_name

CONFIG = {
    "timeStatus": "Live",
    "viewType": "MultiChannel",
    "nfft": constants.DEFAULT_NFFT,
    "overlap": constants.DEFAULT_NFFT // 2,
    "channels": {"min": constants.DEFAULT_CHANNEL_MIN, "max": constants.DEFAULT_CHANNEL_MAX},
    "frequencyRange": {"min": 0, "max": 500},
    "startTime": None,
    "endTime": None,
}


@pytest.fixture(scope="module")
def kube_twin(tmp_path_factory: pytest.TempPathFactory):
    yield from start_kube_twin(tmp_path_factory.mktemp("kube-jobs"))


def _job_processes(task_id: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if "twin.grpc_job" in cmdline and task_id in cmdline:
            found.append(proc)
    return found


def test_start_creates_a_job_and_nodeport_service_whose_pod_serves(kube_twin):
    backend = KubeJobBackend(kube_twin.kubeconfig)
    host, port = backend.start("kb1", CONFIG)
    try:
        assert backend.is_alive("kb1")
        wait_for(lambda: check_serving(host, port), timeout=15, what="job serving")
        job = backend.batch.read_namespaced_job(job_name("kb1"), "panda")
        assert job.metadata.labels == {"app": job_name("kb1"), "task-id": "kb1"}
        service = backend.core.read_namespaced_service(service_name("kb1"), "panda")
        assert service.spec.type == "NodePort" and service.spec.ports[0].port == port
        pods = backend.core.list_namespaced_pod("panda", label_selector="task-id=kb1").items
        assert [p.status.phase for p in pods] == ["Running"]
        env = {e.name: e.value for e in job.spec.template.spec.containers[0].env}
        assert not any("PASSWORD" in name or "TOKEN" in name for name in env)
    finally:
        backend.stop("kb1")
    assert not backend.is_alive("kb1")
    wait_for(lambda: not _job_processes("kb1"), what="job process stopped")
    assert backend.batch.list_namespaced_job("panda").items == []
    assert not [s for s in backend.core.list_namespaced_service("panda").items
                if s.metadata.name == service_name("kb1")]  # fmt: skip


def test_is_alive_turns_false_when_the_job_pod_dies(kube_twin):
    backend = KubeJobBackend(kube_twin.kubeconfig)
    host, port = backend.start("kb2", CONFIG)
    try:
        wait_for(lambda: check_serving(host, port), timeout=15, what="job serving")
        for proc in _job_processes("kb2"):
            proc.kill()
        wait_for(lambda: not backend.is_alive("kb2"), timeout=5, what="is_alive false")
    finally:
        backend.stop("kb2")


def test_stop_of_an_unknown_task_is_not_an_error(kube_twin):
    backend = KubeJobBackend(kube_twin.kubeconfig)
    backend.stop("never-started")
    assert not backend.is_alive("never-started")
