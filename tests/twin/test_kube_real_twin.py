"""The Kubernetes API over the real twin: workloads, services, and Ready meaning "serves"."""

from __future__ import annotations

import os
import ssl
import urllib.request

import pytest

from contract import constants
from libraries.kubernetes.client import KubeClient, pod_ready
from tests.twin.kube_fixtures import wait_for
from twin import config, control, processes

pytestmark = pytest.mark.twin
WORKLOADS = {
    constants.FOCUS_SERVER_WORKLOAD: "Deployment",
    constants.MONGODB_WORKLOAD: "Deployment",
    constants.RABBITMQ_WORKLOAD: "StatefulSet",
}


@pytest.fixture(scope="module")
def real_twin(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("kube-real-twin")
    control.up(base=base, owners=[os.getpid()], timeout=120)
    instance = control.read_state(base)["instance"]
    kube = KubeClient.from_kubeconfig(
        config.load_endpoints(base)["kube"]["kubeconfig"], None, constants.K8S_NAMESPACE, 10.0
    )
    try:
        yield base, kube
    finally:
        kube.close()
        control.down(base=base)
        wait_for(lambda: not processes.marked_processes(instance), what="no twin process left")


def _health_status(base) -> int:
    endpoints = config.load_endpoints(base)
    context = ssl.create_default_context(cafile=endpoints["ca"])
    try:
        with urllib.request.urlopen(
            endpoints["focus"]["base_url"] + "/health", context=context, timeout=2
        ) as response:
            return response.status
    except OSError:
        return 0


def test_every_workload_has_its_kind_a_ready_pod_and_a_service(real_twin):
    _, kube = real_twin
    services = {svc.metadata.name: svc for svc in kube.services()}
    for name, kind in WORKLOADS.items():
        assert kube.workload(name)[0] == kind
        assert kube.workload_ready(name)[0], name
        assert [pod_ready(p) for p in kube.workload_pods(name)] == [True]
        assert services[name].spec.ports, name
    assert kube.get_pod(f"{constants.RABBITMQ_WORKLOAD}-0")


def test_focus_server_replacement_is_ready_only_once_it_serves(real_twin):
    base, kube = real_twin
    old = kube.workload_pods(constants.FOCUS_SERVER_WORKLOAD)[0].metadata.name
    result = kube.delete_pod_and_wait_for_replacement(old, timeout=60)
    assert result.replacement != old
    assert _health_status(base) == 200  # Ready means the new process answers /health
    new = kube.get_pod(result.replacement)
    assert new.status.container_statuses[0].restart_count == 0  # it did not crash on the port
