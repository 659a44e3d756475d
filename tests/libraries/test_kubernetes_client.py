"""The Kubernetes library's client against the twin's API (stand-in workloads)."""

from __future__ import annotations

import pytest

from libraries.kubernetes import Kubernetes
from libraries.kubernetes.client import KubeClient, KubeError, pod_ready
from tests.twin.kube_fixtures import start_kube_twin, wait_for


@pytest.fixture(scope="module")
def kube_twin(tmp_path_factory: pytest.TempPathFactory):
    yield from start_kube_twin(tmp_path_factory.mktemp("kube-library"))


@pytest.fixture
def kube(kube_twin) -> KubeClient:
    client = KubeClient.from_kubeconfig(kube_twin.kubeconfig, None, "panda", 10.0)
    yield client
    client.close()


def test_list_pods_by_label_and_name_pattern(kube):
    assert [p.metadata.name for p in kube.list_pods("app=beta")] == ["beta-0"]
    assert [p.metadata.name for p in kube.list_pods(name_pattern=r"^beta-\d$")] == ["beta-0"]
    assert kube.list_pods("app=nothing") == []


def test_deployment_pod_is_replaced_under_a_new_name(kube):
    old = kube.workload_pods("alpha")[0].metadata.name
    result = kube.delete_pod_and_wait_for_replacement(old, timeout=20)
    assert result.replacement != old and result.replacement.startswith("alpha-")
    assert 0 < result.seconds < 20
    assert pod_ready(kube.get_pod(result.replacement))


def test_statefulset_pod_is_replaced_under_the_same_name(kube):
    before = kube.get_pod("beta-0").metadata.uid
    result = kube.delete_pod_and_wait_for_replacement("beta-0", timeout=20)
    assert result.replacement == "beta-0"
    assert kube.get_pod("beta-0").metadata.uid != before


def test_failed_wait_names_namespace_object_and_what_it_last_saw(kube, kube_twin):
    (kube_twin.dir / "alpha.ready").unlink()
    (kube_twin.dir / "alpha.crash").write_text("")
    old = kube.workload_pods("alpha")[0].metadata.name
    try:
        with pytest.raises(KubeError) as error:
            kube.delete_pod_and_wait_for_replacement(old, timeout=2)
        message = str(error.value)
        assert f"pod panda/{old}" in message and "workload alpha" in message
        assert "last seen: alpha-" in message and "ready=False" in message
    finally:
        (kube_twin.dir / "alpha.crash").unlink()
    wait_for(lambda: kube.workload_ready("alpha")[0], timeout=30, what="alpha ready again")


def test_scale_and_workload_readiness(kube):
    assert kube.scale("alpha", 0) == "Deployment"
    wait_for(lambda: not kube.workload_pods("alpha", include_terminating=True), what="alpha gone")
    ready, text = kube.workload_ready("alpha")
    assert ready and "0/0 ready" in text
    kube.scale("alpha", 1)
    wait_for(lambda: kube.workload_ready("alpha")[0], timeout=20, what="alpha back")
    assert kube.scale("beta", 1) == "StatefulSet"


def test_unknown_objects_fail_with_the_namespace(kube):
    with pytest.raises(KubeError, match="pod panda/ghost does not exist"):
        kube.get_pod("ghost")
    with pytest.raises(KubeError, match="no Deployment or StatefulSet panda/ghost"):
        kube.workload("ghost")
    assert kube.job("ghost") is None and kube.service("ghost") is None


def test_logs_and_services(kube):
    assert isinstance(kube.logs("beta-0", tail_lines=5, timestamps=True), str)
    assert {s.metadata.name for s in kube.services()} == set()  # stand-ins declare no ports


def test_library_imports_without_a_cluster_and_has_the_issue_keywords():
    names = set(Kubernetes().get_keyword_names())
    for keyword in (
        "list_pods",
        "get_pod_phase",
        "wait_until_deployment_is_ready",
        "delete_pod_and_wait_for_replacement",
        "scale_deployment",
        "get_pod_logs",
        "get_jobs_for_task",
        "wait_until_job_is_gone",
        "pod_restart_count_should_be",
    ):
        assert keyword in names, keyword
