"""The pod monitor's Kubernetes source against the twin's API (stand-in workloads):
a pod that appears mid-test is followed within 1 s of Running, a deleted pod to its
last line, and a test's window holds exactly the lines of its time."""

from __future__ import annotations

import time

import pytest

from libraries.pod_monitor.buffer import LineStore
from libraries.pod_monitor.kube_source import KubeSource, api_client
from libraries.pod_monitor.patterns import load_patterns
from tests.twin.kube_fixtures import KubeTwin, job_body, start_kube_twin, wait_for

BATCH = "/apis/batch/v1/namespaces/panda"
NS = "/api/v1/namespaces/panda"
TIMEOUT = 10


@pytest.fixture(scope="module")
def kube_twin(tmp_path_factory: pytest.TempPathFactory):
    yield from start_kube_twin(tmp_path_factory.mktemp("pod-monitor-twin"))


@pytest.fixture
def monitor(kube_twin: KubeTwin):
    store = LineStore(load_patterns(), max_lines=1000)
    source = KubeSource(api_client(kube_twin.kubeconfig, None), "panda", store.add, store.mark_gone)
    source.start()
    yield store, source
    source.stop()


def _create_job(twin: KubeTwin, name: str, script: str) -> None:
    url = twin.url + f"{BATCH}/jobs"
    created = twin.session().post(url, json=job_body(name, script), timeout=10)
    assert created.status_code == 201, created.text


def _delete_job(twin: KubeTwin, name: str) -> None:
    twin.session().delete(
        twin.url + f"{BATCH}/jobs/{name}", json={"propagationPolicy": "Background"}, timeout=10
    )


def _running_pod(twin: KubeTwin, app: str) -> str:
    def running() -> str | None:
        items = (
            twin.session()
            .get(twin.url + f"{NS}/pods", params={"labelSelector": f"app={app}"}, timeout=10)
            .json()["items"]
        )
        for pod in items:
            if pod["status"]["phase"] == "Running":
                return pod["metadata"]["name"]
        return None

    return wait_for(running, timeout=TIMEOUT, what=f"a Running pod of {app}")


def _texts(store: LineStore, pod: str) -> list[str]:
    buffer = store.buffers.get(pod)
    return [line.text for line in buffer.lines] if buffer else []


def test_a_pod_that_appears_mid_test_is_followed_within_one_second(kube_twin, monitor):
    store, source = monitor
    script = "import time\nfor i in range(40):\n    print('tick', i)\n    time.sleep(0.05)\n"
    test_start = time.time_ns()
    _create_job(kube_twin, "appears", script)
    try:
        pod = _running_pod(kube_twin, "appears")
        running_seen = time.monotonic()
        wait_for(lambda: pod in source.followers, timeout=1.0, what=f"a follower of {pod}")
        assert time.monotonic() - running_seen <= 1.0
        wait_for(lambda: "tick 39" in _texts(store, pod), timeout=TIMEOUT, what="the job's lines")
        test_end = time.time_ns()
        lines = store.select(test_start, test_end, "t0", 1)[pod]
        assert [line.text for line in lines] == [f"tick {i}" for i in range(40)]
    finally:
        _delete_job(kube_twin, "appears")


def test_a_pod_deleted_mid_test_is_followed_to_its_last_line(kube_twin, monitor):
    store, source = monitor
    script = (
        "import signal, sys, time\n"
        "def bye(*_):\n"
        "    print('ERROR shutting down: last words')\n"
        "    sys.exit(0)\n"
        "signal.signal(signal.SIGTERM, bye)\n"
        "i = 0\n"
        "while True:\n"
        "    print('working', i)\n"
        "    i += 1\n"
        "    time.sleep(0.1)\n"
    )
    _create_job(kube_twin, "doomed", script)
    pod = _running_pod(kube_twin, "doomed")
    wait_for(lambda: "working 2" in _texts(store, pod), timeout=TIMEOUT, what="first lines")
    test_start = time.time_ns()
    deleted = kube_twin.session().delete(kube_twin.url + f"{NS}/pods/{pod}", timeout=10)
    assert deleted.status_code == 200
    wait_for(lambda: store.buffers[pod].gone, timeout=TIMEOUT, what=f"{pod} marked gone")
    test_end = time.time_ns()
    assert _texts(store, pod)[-1] == "ERROR shutting down: last words"
    window = store.select(test_start, test_end, "t0", 2)[pod]
    assert window[-1].error == "error"
    wait_for(lambda: pod not in source.followers, timeout=TIMEOUT, what="follower ends")
    assert pod not in source.deleted and pod not in source.uids, "a deleted pod is forgotten"
    store.prune(test_end + 1)
    assert pod not in store.buffers
    _delete_job(kube_twin, "doomed")


def test_a_pod_recreated_under_the_same_name_is_followed_again(kube_twin, monitor):
    _store, source = monitor
    first = wait_for(lambda: source.followers.get("beta-0"), timeout=TIMEOUT, what="a follower")
    uid = source.uids["beta-0"]
    deleted = kube_twin.session().delete(kube_twin.url + f"{NS}/pods/beta-0", timeout=10)
    assert deleted.status_code == 200
    wait_for(
        lambda: (
            source.uids.get("beta-0") not in (None, uid)
            and source.phases.get("beta-0") == "Running"
        ),
        timeout=TIMEOUT,
        what="the new beta-0 Running",
    )
    second = wait_for(
        lambda: (f := source.followers.get("beta-0")) is not first and f and f.is_alive() and f,
        timeout=TIMEOUT,
        what="a follower of the new beta-0",
    )
    wait_for(lambda: not first.is_alive(), timeout=TIMEOUT, what="the old follower ends")
    assert second.is_alive() and source.followers["beta-0"] is second
