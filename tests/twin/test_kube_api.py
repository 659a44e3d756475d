"""The twin's Kubernetes API on stand-in workloads: statuses, pods, delete, watch, logs, tables."""

from __future__ import annotations

import json
import re
import time

import pytest

from tests.twin.kube_fixtures import KubeTwin, job_body, start_kube_twin, wait_for

NS = "/api/v1/namespaces/panda"
APPS = "/apis/apps/v1/namespaces/panda"
BATCH = "/apis/batch/v1/namespaces/panda"
TIMEOUT = 10


@pytest.fixture(scope="module")
def kube_twin(tmp_path_factory: pytest.TempPathFactory):
    yield from start_kube_twin(tmp_path_factory.mktemp("kube-twin"))


def _get(twin: KubeTwin, path: str, **kwargs):
    return twin.session().get(twin.url + path, timeout=TIMEOUT, **kwargs)


def _pods(twin: KubeTwin, app: str) -> list[dict]:
    body = _get(twin, f"{NS}/pods", params={"labelSelector": f"app={app}"}).json()
    return body["items"]


def _watch(twin: KubeTwin, path: str, **params) -> list[dict]:
    response = twin.session().get(
        twin.url + path, params={"watch": "true", **params}, stream=True, timeout=TIMEOUT + 5
    )
    assert response.status_code == 200
    return [json.loads(line) for line in response.iter_lines() if line]


def _ready(pod: dict) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"]["conditions"])


def test_missing_or_wrong_token_is_a_401_status(kube_twin):
    for token in ("", "wrong"):
        response = kube_twin.session(token).get(kube_twin.url + f"{NS}/pods", timeout=TIMEOUT)
        assert response.status_code == 401
        assert response.json()["kind"] == "Status"
        assert response.json()["code"] == 401


def test_errors_are_json_status_objects(kube_twin):
    missing = _get(kube_twin, f"{NS}/pods/no-such-pod")
    assert missing.status_code == 404
    assert missing.json()["reason"] == "NotFound" and "no-such-pod" in missing.json()["message"]
    unknown = _get(kube_twin, "/api/v1/namespaces/panda/widgets")
    assert unknown.status_code == 404 and unknown.json()["kind"] == "Status"
    nowhere = _get(kube_twin, "/not/an/api/path")
    assert nowhere.status_code == 404 and nowhere.json()["kind"] == "Status"
    bad = kube_twin.session().post(kube_twin.url + f"{BATCH}/jobs", data="{", timeout=TIMEOUT)
    assert bad.status_code == 400 and bad.json()["reason"] == "BadRequest"
    selector = _get(kube_twin, f"{NS}/pods", params={"labelSelector": "a in (b"})
    assert selector.status_code == 400 and selector.json()["kind"] == "Status"


def test_pod_has_the_fields_both_client_generations_require(kube_twin):
    pod = _pods(kube_twin, "alpha")[0]
    assert pod["metadata"]["labels"]["app"] == "alpha"
    assert pod["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet"
    status = pod["status"]
    assert status["phase"] == "Running" and _ready(pod)
    assert status["podIP"] == "127.0.0.1" and status["startTime"]
    container = status["containerStatuses"][0]
    for field in ("name", "image", "imageID", "restartCount", "state", "ready"):
        assert container[field] not in (None, ""), field
    assert "running" in container["state"]


@pytest.mark.parametrize("flag", ["true", "True", "1"])
def test_go_style_booleans_start_a_watch(kube_twin, flag):
    response = kube_twin.session().get(
        kube_twin.url + f"{NS}/pods",
        params={"watch": flag, "timeoutSeconds": "1"},
        stream=True,
        timeout=TIMEOUT,
    )
    events = [json.loads(line) for line in response.iter_lines() if line]
    assert {event["type"] for event in events} == {"ADDED"}
    assert len(events) == len(_get(kube_twin, f"{NS}/pods").json()["items"])


def test_deployment_pod_delete_ordering_and_replacement(kube_twin):
    listed = _get(kube_twin, f"{NS}/pods").json()
    old = next(p for p in listed["items"] if p["metadata"]["labels"]["app"] == "alpha")
    name = old["metadata"]["name"]
    deleted = kube_twin.session().delete(kube_twin.url + f"{NS}/pods/{name}", timeout=TIMEOUT)
    assert deleted.status_code == 200 and deleted.json()["metadata"]["deletionTimestamp"]
    wait_for(lambda: name not in [p["metadata"]["name"] for p in _pods(kube_twin, "alpha")])
    events = _watch(
        kube_twin,
        f"{NS}/pods",
        resourceVersion=listed["metadata"]["resourceVersion"],
        timeoutSeconds="1",
    )
    versions = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    mine = [(e["type"], e["object"]) for e in events if e["object"]["metadata"]["name"] == name]
    assert mine[0][0] == "MODIFIED" and mine[0][1]["metadata"]["deletionTimestamp"]
    assert mine[-1][0] == "DELETED"
    added = [o["metadata"]["name"] for t, o in ((e["type"], e["object"]) for e in events)
             if t == "ADDED" and o["metadata"]["labels"].get("app") == "alpha"]  # fmt: skip
    assert added and name not in added  # a Deployment's replacement has a new name


def test_statefulset_replacement_keeps_its_name_after_the_old_pod_is_gone(kube_twin):
    listed = _get(kube_twin, f"{NS}/pods")
    rv = listed.json()["metadata"]["resourceVersion"]
    old_uid = _pods(kube_twin, "beta")[0]["metadata"]["uid"]
    kube_twin.session().delete(kube_twin.url + f"{NS}/pods/beta-0", timeout=TIMEOUT)

    def replaced() -> bool:
        pods = _pods(kube_twin, "beta")
        return len(pods) == 1 and pods[0]["metadata"]["uid"] != old_uid and _ready(pods[0])

    wait_for(replaced, what="beta-0 replaced")
    events = _watch(
        kube_twin,
        f"{NS}/pods",
        resourceVersion=rv,
        timeoutSeconds="1",
        fieldSelector="metadata.name=beta-0",
    )
    kinds = [e["type"] for e in events]
    assert kinds.index("DELETED") < kinds.index("ADDED")  # never two pods named beta-0


def test_watch_resumes_from_a_list_resource_version(kube_twin):
    rv = int(_get(kube_twin, f"{APPS}/deployments").json()["metadata"]["resourceVersion"])
    scale = f"{APPS}/deployments/alpha/scale"
    for replicas in (2, 1):
        patched = kube_twin.session().patch(
            kube_twin.url + scale,
            json={"spec": {"replicas": replicas}},
            headers={"Content-Type": "application/merge-patch+json"},
            timeout=TIMEOUT,
        )
        assert patched.status_code == 200
    events = _watch(kube_twin, f"{APPS}/deployments", resourceVersion=str(rv), timeoutSeconds="1")
    assert events and all(int(e["object"]["metadata"]["resourceVersion"]) > rv for e in events)
    assert [e["object"]["spec"]["replicas"] for e in events if e["type"] == "MODIFIED"][0] == 2


def test_too_old_resource_version_is_an_error_event_410(kube_twin):
    for replicas in (0, 1, 0, 1):  # more events than the history keeps
        kube_twin.session().patch(
            kube_twin.url + f"{APPS}/deployments/alpha/scale",
            json={"spec": {"replicas": replicas}},
            timeout=TIMEOUT,
        )
        time.sleep(0.3)
    wait_for(lambda: _pods(kube_twin, "alpha"), what="alpha back")
    events = _watch(kube_twin, f"{NS}/pods", resourceVersion="2", timeoutSeconds="2")
    assert len(events) == 1 and events[0]["type"] == "ERROR"
    assert events[0]["object"]["code"] == 410 and events[0]["object"]["reason"] == "Expired"


def test_watch_bookmarks_and_timeout_are_honoured(kube_twin):
    started = time.monotonic()
    events = _watch(
        kube_twin,
        f"{BATCH}/jobs",
        resourceVersion=_get(kube_twin, f"{BATCH}/jobs").json()["metadata"]["resourceVersion"],
        allowWatchBookmarks="true",
        timeoutSeconds="3",
    )
    elapsed = time.monotonic() - started
    assert 2.5 < elapsed < 6
    assert "BOOKMARK" in [e["type"] for e in events]
    assert all(e["object"]["metadata"]["resourceVersion"] for e in events)


def test_table_output_has_kubectl_columns(kube_twin):
    accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
    table = _get(kube_twin, f"{NS}/pods", headers={"Accept": accept}).json()
    assert table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    names = [column["name"] for column in table["columnDefinitions"]]
    assert names[:5] == ["Name", "Ready", "Status", "Restarts", "Age"]
    beta = next(row for row in table["rows"] if row["cells"][0] == "beta-0")
    assert beta["cells"][1] == "1/1" and beta["cells"][2] == "Running"
    assert beta["object"]["kind"] == "PartialObjectMetadata"


_job = job_body


def test_job_runs_once_and_its_logs_follow_until_exit(kube_twin):
    script = (
        "import time\nfor i in range(3):\n    print('line', i, flush=True)\n    time.sleep(0.4)"
    )
    created = kube_twin.session().post(
        kube_twin.url + f"{BATCH}/jobs", json=_job("printer", script), timeout=TIMEOUT
    )
    assert created.status_code == 201
    duplicate = kube_twin.session().post(
        kube_twin.url + f"{BATCH}/jobs", json=_job("printer", script), timeout=TIMEOUT
    )
    assert duplicate.status_code == 409 and duplicate.json()["reason"] == "AlreadyExists"
    pod = wait_for(lambda: _pods(kube_twin, "printer"), what="job pod")[0]["metadata"]["name"]
    started = time.monotonic()
    followed = kube_twin.session().get(
        kube_twin.url + f"{NS}/pods/{pod}/log",
        params={"follow": "true", "timestamps": "true"},
        stream=True,
        timeout=TIMEOUT,
    )
    lines = [line.decode() for line in followed.iter_lines() if line]
    assert time.monotonic() - started < 5  # the stream ended with the process
    assert [line.split(" ", 1)[1] for line in lines] == ["line 0", "line 1", "line 2"]
    assert all(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z ", line) for line in lines)
    tail = _get(kube_twin, f"{NS}/pods/{pod}/log", params={"tailLines": "1"}).text
    assert tail == "line 2\n"
    assert (
        _get(kube_twin, f"{NS}/pods/{pod}/log", params={"sinceSeconds": "600"}).text.count("line")
        == 3
    )
    job = wait_for(
        lambda: _get(kube_twin, f"{BATCH}/jobs/printer").json()["status"].get("succeeded"),
        what="job succeeded",
    )
    assert job == 1
    assert _pods(kube_twin, "printer")[0]["status"]["phase"] == "Succeeded"
    deleted = kube_twin.session().delete(
        kube_twin.url + f"{BATCH}/jobs/printer",
        json={"propagationPolicy": "Background"},
        timeout=TIMEOUT,
    )
    assert deleted.status_code == 200 and deleted.json()["status"] == "Success"
    wait_for(lambda: not _pods(kube_twin, "printer"), what="job pod gone")


def test_scaling_to_zero_stops_every_pod_and_back_to_one_recovers(kube_twin):
    scale = kube_twin.url + f"{APPS}/deployments/alpha/scale"
    kube_twin.session().patch(scale, json={"spec": {"replicas": 0}}, timeout=TIMEOUT)
    wait_for(lambda: not _pods(kube_twin, "alpha"), what="alpha scaled to 0")
    deployment = _get(kube_twin, f"{APPS}/deployments/alpha").json()
    assert deployment["spec"]["replicas"] == 0 and deployment["status"]["replicas"] == 0
    kube_twin.session().patch(scale, json={"spec": {"replicas": 1}}, timeout=TIMEOUT)
    wait_for(lambda: [p for p in _pods(kube_twin, "alpha") if _ready(p)], what="alpha back to one")
    invalid = kube_twin.session().patch(scale, json={"spec": {"replicas": "1"}}, timeout=TIMEOUT)
    assert invalid.status_code == 422 and invalid.json()["kind"] == "Status"
