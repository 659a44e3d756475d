"""twin/README.md: "Writes honour ``dryRun=All``" -- for every write the twin's Kubernetes API
serves, through the official kubernetes client and through ``kubectl --dry-run=server``.

The client table is built from what the API declares (``twin/kube/discovery.py``: each
resource's write verbs, every patch type, the scale subresources), so a verb added there
gets a case here or the completeness test fails. Each case sends one write with
``dryRun=All`` and then checks that nothing changed: every object's uid and
resourceVersion (pods, services, events, namespaces, nodes, deployments, statefulsets,
jobs), and no new event. A write the twin cannot honour in a dry run must refuse with the
API's error instead of acting (the status writes: 405), and change nothing either.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.rest import ApiException

from tests.twin.kube_fixtures import KubeTwin, job_body, start_kube_twin, wait_for
from twin.kube import discovery

pytestmark = [
    pytest.mark.skipif(not shutil.which("kubectl"), reason="kubectl is not installed"),
    pytest.mark.timeout(300),
]

NS = "panda"
WRITE_VERBS = ("create", "delete", "patch", "update")
PATCH_TYPES = {
    "merge": "application/merge-patch+json",
    "strategic": "application/strategic-merge-patch+json",
    "json": "application/json-patch+json",
    "apply": "application/apply-patch+yaml",
}
# Every collection the snapshot reads: what a write could change.
COLLECTIONS = {
    "pods": f"/api/v1/namespaces/{NS}/pods",
    "services": f"/api/v1/namespaces/{NS}/services",
    "events": f"/api/v1/namespaces/{NS}/events",
    "namespaces": "/api/v1/namespaces",
    "nodes": "/api/v1/nodes",
    "deployments": f"/apis/apps/v1/namespaces/{NS}/deployments",
    "statefulsets": f"/apis/apps/v1/namespaces/{NS}/statefulsets",
    "jobs": f"/apis/batch/v1/namespaces/{NS}/jobs",
}
# plural -> (client API class, method suffix, the object the writes aim at)
TARGETS = {
    "pods": (k8s.CoreV1Api, "pod", "beta-0"),
    "services": (k8s.CoreV1Api, "service", "keep"),
    "namespaces": (k8s.CoreV1Api, "namespace", NS),
    "nodes": (k8s.CoreV1Api, "node", "twin"),
    "deployments": (k8s.AppsV1Api, "deployment", "alpha"),
    "statefulsets": (k8s.AppsV1Api, "stateful_set", "beta"),
    "jobs": (k8s.BatchV1Api, "job", "keeper"),
}


@dataclass(frozen=True)
class Case:
    plural: str
    verb: str  # create, delete, patch, update
    variant: str = ""  # the patch type, or "scale" / "status" for a subresource
    refused: int = 0  # the status a refusal must have (0: the write is answered as done)

    @property
    def id(self) -> str:
        return "-".join(part for part in (self.plural, self.verb, self.variant) if part)


def client_cases() -> list[Case]:
    """Every write the API declares, each patch type of each patchable resource, the scale
    subresources, and the status writes it refuses."""
    cases = []
    for resource in discovery.RESOURCES:
        for verb in resource.verbs:
            if verb not in WRITE_VERBS:
                continue
            variants = PATCH_TYPES if verb == "patch" else ("",)
            cases += [Case(resource.plural, verb, variant) for variant in variants]
        for subresource in ("scale",):
            for verb in discovery.verbs(resource, subresource):
                if verb in WRITE_VERBS:
                    cases.append(Case(resource.plural, verb, subresource))
    for plural in ("pods", "deployments", "jobs"):
        cases.append(Case(plural, "patch", "status", refused=405))
    return cases


CLIENT_CASES = client_cases()


def test_the_table_has_a_case_for_every_write_the_api_declares():
    declared = {
        (resource.plural, verb)
        for resource in discovery.RESOURCES
        for verb in resource.verbs
        if verb in WRITE_VERBS
    }
    covered = {(case.plural, case.verb) for case in CLIENT_CASES if not case.variant}
    covered |= {(case.plural, "patch") for case in CLIENT_CASES if case.variant in PATCH_TYPES}
    assert declared <= covered
    assert set(TARGETS) >= {plural for plural, _ in declared}
    scalable = {r.plural for r in discovery.RESOURCES if discovery.verbs(r, "scale")}
    assert {(c.plural, c.verb) for c in CLIENT_CASES if c.variant == "scale"} == {
        (plural, verb) for plural in scalable for verb in ("patch", "update")
    }


# ------------------------------------------------------------------ the twin


@pytest.fixture(scope="module")
def kube_twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeTwin]:
    started = start_kube_twin(tmp_path_factory.mktemp("kube-dry-run"))
    twin = next(started)
    try:
        _prepare(twin)
        yield twin
    finally:
        started.close()


def _prepare(twin: KubeTwin) -> None:
    """Both workloads Ready, a Service and a running Job for the writes to aim at."""
    ready_dir = Path(twin.ca).parent
    for name in ("alpha", "beta"):
        (ready_dir / f"{name}.ready").touch()
    session = twin.session()
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "keep", "labels": {"app": "keep"}},
        "spec": {"ports": [{"port": 8081}], "selector": {"app": "alpha"}},
    }
    created = session.post(twin.url + COLLECTIONS["services"], json=service, timeout=10)
    assert created.status_code == 201, created.text
    job = job_body("keeper", "import time; time.sleep(600)")
    created = session.post(twin.url + COLLECTIONS["jobs"], json=job, timeout=10)
    assert created.status_code == 201, created.text
    for app in ("keeper", "alpha", "beta"):
        wait_for(lambda app=app: _running(session, twin, app), timeout=30, what=f"{app}'s pod")


def _running(session, twin: KubeTwin, app: str) -> bool:
    pods = session.get(
        twin.url + COLLECTIONS["pods"], params={"labelSelector": f"app={app}"}, timeout=10
    ).json()["items"]
    return any(
        pod["status"].get("phase") == "Running"
        and all(c.get("ready") for c in pod["status"].get("containerStatuses", []))
        for pod in pods
    )


@pytest.fixture(scope="module")
def api(kube_twin: KubeTwin) -> Iterator[k8s.ApiClient]:
    api_client = k8s_config.new_client_from_config(config_file=kube_twin.kubeconfig)
    yield api_client
    api_client.close()


def snapshot(twin: KubeTwin) -> dict:
    """Every object's (uid, resourceVersion) per collection, and every event's uid."""
    session = twin.session()
    state = {}
    for plural, path in COLLECTIONS.items():
        answer = session.get(twin.url + path, timeout=10)
        assert answer.status_code == 200, answer.text
        state[plural] = sorted(
            (item["metadata"]["name"], item["metadata"]["uid"], item["metadata"]["resourceVersion"])
            for item in answer.json()["items"]
        )
    return state


def settled_snapshot(twin: KubeTwin) -> dict:
    """A snapshot taken twice in a row with the same answer: the twin is at rest."""
    return wait_for(lambda: _same_twice(twin), timeout=20, what="the twin at rest")


def _same_twice(twin: KubeTwin) -> dict | None:
    first = snapshot(twin)
    return first if snapshot(twin) == first else None


def assert_unchanged(twin: KubeTwin, before: dict, what: str) -> None:
    after = snapshot(twin)
    changed = {
        plural: {"before": before[plural], "after": after[plural]}
        for plural in before
        if before[plural] != after[plural]
    }
    assert not changed, f"{what} with dryRun=All changed {json.dumps(changed, indent=1)}"


# ------------------------------------------------------------------ the client's writes


def _get(api: k8s.ApiClient, case: Case) -> dict:
    api_class, suffix, name = TARGETS[case.plural]
    namespaced = case.plural not in ("namespaces", "nodes")
    method = getattr(api_class(api), f"read_{'namespaced_' if namespaced else ''}{suffix}")
    args = (name, NS) if namespaced else (name,)
    return json.loads(method(*args, _preload_content=False).data)


def _body(api: k8s.ApiClient, case: Case) -> object:
    _, _, name = TARGETS[case.plural]
    if case.verb == "create":
        if case.plural == "jobs":
            return job_body("dry-job", "open('dry-job-ran', 'w')")
        return {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "dry-service"},
            "spec": {"ports": [{"port": 8082}]},
        }
    live = _get(api, case)
    if case.variant == "scale":
        replicas = live["spec"]["replicas"] + 2
        if case.verb == "patch":
            return {"spec": {"replicas": replicas}}
        return {
            "apiVersion": "autoscaling/v1",
            "kind": "Scale",
            "metadata": {"name": name, "namespace": NS},
            "spec": {"replicas": replicas},
        }
    if case.verb == "update":
        replaced = copy.deepcopy(live)
        replaced["metadata"].setdefault("labels", {})["dry"] = "yes"
        return replaced
    if case.variant == "json":
        if live["metadata"].get("labels"):
            return [{"op": "add", "path": "/metadata/labels/dry", "value": "yes"}]
        return [{"op": "add", "path": "/metadata/labels", "value": {"dry": "yes"}}]
    if case.variant == "apply":
        return {
            "apiVersion": live["apiVersion"],
            "kind": live["kind"],
            "metadata": {"name": name, "labels": {"dry": "yes"}},
        }
    return {"metadata": {"labels": {"dry": "yes"}}}


def client_write(api: k8s.ApiClient, case: Case):
    """Send the case's write with ``dry_run="All"`` through the kubernetes client."""
    api_class, suffix, name = TARGETS[case.plural]
    namespaced = case.plural not in ("namespaces", "nodes")
    verb = {"update": "replace"}.get(case.verb, case.verb)
    tail = f"_{case.variant}" if case.variant in ("scale", "status") else ""
    method = getattr(api_class(api), f"{verb}_{'namespaced_' if namespaced else ''}{suffix}{tail}")
    where = (NS,) if namespaced else ()
    options: dict = {"dry_run": "All", "_preload_content": False}
    if case.verb == "create":
        return method(*where, _body(api, case), **options)
    if case.verb == "delete":
        return method(name, *where, **options)
    if case.verb == "patch":
        patch_type = PATCH_TYPES.get(case.variant, PATCH_TYPES["merge"])
        options["_content_type"] = patch_type
        if case.variant == "apply":
            options["field_manager"] = "dry-run-test"
    return method(name, *where, _body(api, case), **options)


@pytest.mark.parametrize("case", CLIENT_CASES, ids=[case.id for case in CLIENT_CASES])
def test_a_dry_run_write_through_the_client_changes_nothing(kube_twin, api, case):
    before = settled_snapshot(kube_twin)
    if case.refused:
        with pytest.raises(ApiException) as refused:
            client_write(api, case)
        assert refused.value.status == case.refused
        assert json.loads(refused.value.body)["kind"] == "Status"
    else:
        answer = client_write(api, case)
        assert answer.status in (200, 201, 202)
        shown = json.loads(answer.data)
        if case.verb in ("patch", "update") and case.variant != "scale":
            assert shown["metadata"]["labels"]["dry"] == "yes"  # answered as if done
        if case.variant == "scale":
            assert shown["spec"]["replicas"] == _get(api, case)["spec"]["replicas"] + 2
    assert_unchanged(kube_twin, before, f"{case.id} through the kubernetes client")
    if case.verb == "create":
        assert not (Path(kube_twin.dir) / "dry-job-ran").exists()


# ------------------------------------------------------------------ kubectl's writes


def _kubectl(twin: KubeTwin, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    command = ["kubectl", "--kubeconfig", twin.kubeconfig, "--cache-dir", str(twin.dir / "cache")]
    return subprocess.run(
        [*command, "--request-timeout=10s", *args],
        capture_output=True,
        text=True,
        timeout=60,
        input=stdin,
    )


def _manifest(twin: KubeTwin, name: str, body: dict) -> str:
    path = twin.dir / f"{name}.json"
    path.write_text(json.dumps(body))
    return str(path)


SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "keep", "labels": {"app": "keep", "dry": "yes"}},
    "spec": {"ports": [{"port": 8081}], "selector": {"app": "alpha"}},
}
NEW_SERVICE = {**SERVICE, "metadata": {"name": "dry-new"}}
NEW_JOB = job_body("dry-new-job", "open('dry-job-ran', 'w')")
LABELLED = {
    "pod": "beta-0",
    "service": "keep",
    "deployment": "alpha",
    "statefulset": "beta",
    "job": "keeper",
    "namespace": NS,
    "node": "twin",
}
LABEL_PATCH = '{"metadata":{"labels":{"dry":"yes"}}}'
JSON_PATCH = '[{"op":"add","path":"/metadata/labels/dry","value":"yes"}]'
# Every kubectl write command the READMEs name, --dry-run=server added to each.
KUBECTL_CASES = {
    **{f"label-{kind}": ("label", kind, name, "dry=yes") for kind, name in LABELLED.items()},
    "annotate-deployment": ("annotate", "deployment", "alpha", "dry=yes"),
    "patch-merge": ("patch", "deployment", "alpha", "--type=merge", "-p", LABEL_PATCH),
    "patch-strategic": ("patch", "statefulset", "beta", "-p", LABEL_PATCH),
    "patch-json": ("patch", "job", "keeper", "--type=json", "-p", JSON_PATCH),
    "apply": ("apply", "--validate=false", "-f", "@service"),
    "apply-server-side": ("apply", "--server-side", "--validate=false", "-f", "@service"),
    "replace": ("replace", "--validate=false", "-f", "@live-service"),
    "create-service": ("create", "--validate=false", "-f", "@new-service"),
    "create-job": ("create", "--validate=false", "-f", "@new-job"),
    "set-image": ("set", "image", "deployment/alpha", "*=fake:2"),
    "rollout-restart-deployment": ("rollout", "restart", "deployment/alpha"),
    "rollout-restart-statefulset": ("rollout", "restart", "statefulset/beta"),
    "scale-deployment": ("scale", "deployment/alpha", "--replicas=3"),
    "scale-statefulset": ("scale", "statefulset/beta", "--replicas=3"),
    "delete-pod": ("delete", "pod", "beta-0"),
    "delete-service": ("delete", "service", "keep"),
    "delete-job": ("delete", "job", "keeper"),
}  # fmt: skip


# What ``kubectl rollout restart`` sends (kubectl pkg/polymorphichelpers/objectrestarter.go):
# a strategic merge patch of this pod-template annotation. A kubectl whose ``rollout restart``
# has no --dry-run flag (v1.32 here) sends this same patch through ``kubectl patch`` instead.
RESTART_PATCH = json.dumps(
    {
        "spec": {
            "template": {
                "metadata": {
                    "annotations": {"kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z"}
                }
            }
        }
    }
)
# kubectl -v=6 logs each request: "round_trippers.go:NNN] PATCH https://... 200 OK in 3 ms"
# kubectl logs each request: "] PATCH https://... 200 OK" up to 1.30; from 1.31 as structured
# text, '"Response" verb="PATCH" url="https://..."' at -v=6, '"Request" verb="PATCH" url=...'
# (and the body) at -v=8.
DELETE_DRY_RUN = re.compile(r'"dryRun":\s*\[\s*"All"\s*\]')
REQUEST_LINE = re.compile(
    r'(?:\] |"(?:Request|Response)" verb=")(POST|PUT|PATCH|DELETE)"?(?: url="| )([^\s"]+)'
)


def _kubectl_has_flag(command: tuple[str, ...], flag: str) -> bool:
    helped = subprocess.run(
        ["kubectl", *command, "--help"], capture_output=True, text=True, timeout=60
    )
    return f"{flag}=" in helped.stdout or f"{flag} " in helped.stdout


def _kubectl_args(name: str) -> list[str]:
    args = list(KUBECTL_CASES[name])
    if args[:2] == ["rollout", "restart"] and not _kubectl_has_flag(
        ("rollout", "restart"), "--dry-run"
    ):
        kind, target = args[2].split("/")
        return ["patch", kind, target, "-p", RESTART_PATCH]
    return args


def _writes(log: str) -> list[str]:
    """The write requests kubectl's -v=6 log shows, as "VERB URL"."""
    return [" ".join(found.groups()) for found in REQUEST_LINE.finditer(log)]


@pytest.mark.parametrize("name", list(KUBECTL_CASES))
def test_a_kubectl_dry_run_changes_nothing(kube_twin, name):
    args = _kubectl_args(name)
    live = json.loads(_kubectl(kube_twin, "get", "service", "keep", "-o", "json").stdout)
    live["metadata"].setdefault("labels", {})["dry"] = "yes"
    files = {
        "@service": _manifest(kube_twin, "service", SERVICE),
        "@live-service": _manifest(kube_twin, "live-service", live),
        "@new-service": _manifest(kube_twin, "new-service", NEW_SERVICE),
        "@new-job": _manifest(kube_twin, "new-job", NEW_JOB),
    }
    args = [files.get(arg, arg) for arg in args]
    before = settled_snapshot(kube_twin)
    done = _kubectl(kube_twin, *args, "--dry-run=server", "-v=8")
    assert done.returncode == 0, done.stderr
    writes = _writes(done.stderr)
    assert writes, f"kubectl sent no write: {done.stderr}"
    # A DELETE carries dryRun in its DeleteOptions body ({"dryRun":["All"]}), which -v=8
    # logs; the other writes carry it in the query string.
    for write in writes:
        if write.startswith("DELETE "):
            assert DELETE_DRY_RUN.search(done.stderr), f"{write} without dryRun: {done.stderr}"
        else:
            assert "dryRun=All" in write, writes
    if args[0] == "patch":
        # kubectl patch prints "patched" without the dry-run suffix: its ToPrinter overwrites
        # the operation PrintFlagsWithDryRunStrategy had set (kubectl pkg/cmd/patch/patch.go).
        # "(no change)" would mean the server answered the object unpatched.
        assert "patched" in done.stdout and "(no change)" not in done.stdout, done.stdout
    else:
        assert "(server dry run)" in done.stdout
    assert_unchanged(kube_twin, before, f"kubectl {' '.join(args)} --dry-run=server")
    assert not (Path(kube_twin.dir) / "dry-job-ran").exists()


def test_the_kubectl_table_names_every_kind_the_api_writes():
    kinds = {args[1] for name, args in KUBECTL_CASES.items() if name.startswith("label-")}
    assert len(kinds) == len([r for r in discovery.RESOURCES if "patch" in r.verbs])
    assert sys.executable  # the job manifests run this interpreter
