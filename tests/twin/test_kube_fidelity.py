"""kubectl's write commands against the twin's Kubernetes API, as on a real cluster (issue 13).

Dry runs (create, delete, scale, patch) change nothing; a Job with an image the twin does
not have runs nothing on this host and stays Pending with ErrImagePull/ImagePullBackOff;
label, annotate, patch (strategic, merge, JSON), set image, rollout restart, apply
(client- and server-side) and replace work, and a Deployment patch is not a scale; Job
pods carry the template's container and upstream's labels, and ``describe job`` works;
the Node, ``get all``, ``auth can-i``, trailing slashes, ``/status`` and the log options.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.twin.kube_fixtures import KubeTwin, start_kube_twin, wait_for

pytestmark = [
    pytest.mark.skipif(not shutil.which("kubectl"), reason="kubectl is not installed"),
    pytest.mark.timeout(120),
]


@pytest.fixture(scope="module")
def kube_twin(tmp_path_factory: pytest.TempPathFactory):
    for twin in start_kube_twin(tmp_path_factory.mktemp("kube-fidelity")):
        ready_dir = Path(twin.ca).parent
        for name in ("alpha", "beta"):
            (ready_dir / f"{name}.ready").touch()
        yield twin


def run(twin: KubeTwin, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    command = ["kubectl", "--kubeconfig", twin.kubeconfig, "--cache-dir", str(twin.dir / "cache")]
    return subprocess.run(
        [*command, "--request-timeout=10s", *args],
        capture_output=True,
        text=True,
        timeout=60,
        input=stdin,
    )


def kubectl(twin: KubeTwin, *args: str, stdin: str | None = None) -> str:
    done = run(twin, *args, stdin=stdin)
    assert done.returncode == 0, done.stderr
    return done.stdout


def get(twin: KubeTwin, *what: str) -> dict:
    return json.loads(kubectl(twin, "get", *what, "-o", "json"))


def job_manifest(name: str, image: str, command: list[str]) -> dict:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {
            "backoffLimit": 0,
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [
                        {
                            "name": "worker",
                            "image": image,
                            "command": command,
                            "readinessProbe": {"tcpSocket": {"port": 1}},
                        }
                    ],
                }
            },
        },
    }


def write(twin: KubeTwin, name: str, manifest: dict) -> str:
    path = twin.dir / name
    path.write_text(json.dumps(manifest))
    return str(path)


# ---------------------------------------------------------------- dry run


def test_server_dry_run_of_create_delete_scale_and_patch_changes_nothing(kube_twin):
    marker = kube_twin.dir / "dry-run-ran"
    script = f"open({str(marker)!r}, 'w').write('ran')"
    manifest = write(
        kube_twin, "dry.json", job_manifest("dry", "twin/python:3", [sys.executable, "-c", script])
    )
    out = kubectl(kube_twin, "create", "-f", manifest, "--dry-run=server", "--validate=false")
    assert out.strip() == "job.batch/dry created (server dry run)"
    assert run(kube_twin, "get", "job", "dry").returncode != 0
    assert not [
        p for p in get(kube_twin, "pods")["items"] if p["metadata"]["name"].startswith("dry")
    ]
    time.sleep(1.0)
    assert not marker.exists()  # nothing ran

    before = get(kube_twin, "svc")["items"]
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "keep"},
        "spec": {"ports": [{"port": 8081}]},
    }
    kubectl(kube_twin, "create", "-f", write(kube_twin, "keep.json", service), "--validate=false")
    out = kubectl(kube_twin, "delete", "svc", "keep", "--dry-run=server")
    assert out.strip() == 'service "keep" deleted (server dry run)'
    assert get(kube_twin, "svc", "keep")["metadata"]["name"] == "keep"
    assert len(get(kube_twin, "svc")["items"]) == len(before) + 1
    kubectl(kube_twin, "delete", "svc", "keep")

    replicas = get(kube_twin, "deploy", "alpha")["spec"]["replicas"]
    out = kubectl(
        kube_twin, "scale", "deploy", "alpha", f"--replicas={replicas + 2}", "--dry-run=server"
    )
    assert "scaled (server dry run)" in out
    labelled = kubectl(
        kube_twin, "label", "deploy", "alpha", "dry=yes", "--dry-run=server", "-o", "json"
    )
    assert json.loads(labelled)["metadata"]["labels"]["dry"] == "yes"  # answered as if done
    alpha = get(kube_twin, "deploy", "alpha")
    assert alpha["spec"]["replicas"] == replicas and "dry" not in alpha["metadata"]["labels"]


# ---------------------------------------------------------------- images


def test_a_job_with_an_unknown_image_runs_nothing_and_stays_pending(kube_twin):
    marker = kube_twin.dir / "unknown-image-ran"
    manifest = job_manifest("pull", "busybox:1.36", ["sh", "-c", f"echo hi > {marker}"])
    kubectl(kube_twin, "create", "-f", write(kube_twin, "pull.json", manifest), "--validate=false")
    pods = wait_for(lambda: get(kube_twin, "pods", "-l", "job-name=pull")["items"], what="pod")
    time.sleep(1.5)
    pod = get(kube_twin, "pod", pods[0]["metadata"]["name"])
    assert pod["status"]["phase"] == "Pending"
    waiting = pod["status"]["containerStatuses"][0]["state"]["waiting"]
    assert waiting["reason"] == "ImagePullBackOff" and "busybox:1.36" in waiting["message"]
    assert not marker.exists()
    events = kubectl(
        kube_twin,
        "get",
        "events",
        "--field-selector",
        f"involvedObject.name={pods[0]['metadata']['name']}",
    )
    assert "ErrImagePull" in events and "Pulling" in events
    assert "ImagePullBackOff" in kubectl(kube_twin, "get", "pods", "-l", "job-name=pull")
    logs = run(kube_twin, "logs", "job/pull")
    assert logs.returncode != 0 and "waiting to start" in logs.stderr
    kubectl(kube_twin, "delete", "job", "pull")
    wait_for(lambda: not get(kube_twin, "pods", "-l", "job-name=pull")["items"], what="pods gone")


# ---------------------------------------------------------------- Job pods


def test_job_pods_look_like_a_real_clusters_and_describe_job_works(kube_twin):
    command = [sys.executable, "-c", "print('from the job', flush=True)"]
    manifest = write(kube_twin, "real.json", job_manifest("real", "twin/python:3", command))
    kubectl(kube_twin, "create", "-f", manifest, "--validate=false")
    wait_for(lambda: "Complete" in kubectl(kube_twin, "get", "job", "real"), timeout=30)
    job = get(kube_twin, "job", "real")
    pod = get(kube_twin, "pods", "-l", "job-name=real")["items"][0]
    uid = job["metadata"]["uid"]
    container = pod["spec"]["containers"][0]
    assert (container["name"], container["image"]) == ("worker", "twin/python:3")
    assert pod["status"]["containerStatuses"][0]["name"] == "worker"
    assert pod["metadata"]["labels"] == {
        "batch.kubernetes.io/controller-uid": uid,
        "batch.kubernetes.io/job-name": "real",
        "controller-uid": uid,
        "job-name": "real",
    }
    assert job["spec"]["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    probe = container["readinessProbe"]
    assert (probe["timeoutSeconds"], probe["periodSeconds"], probe["failureThreshold"]) == (
        1,
        10,
        3,
    )
    described = kubectl(kube_twin, "describe", "job", "real")
    assert "Pods Statuses:" in described and "1 Succeeded" in described
    assert "from the job" in kubectl(kube_twin, "logs", "job/real")
    kubectl(kube_twin, "delete", "job", "real")


# ---------------------------------------------------------------- updates


def test_label_annotate_and_every_patch_type_on_a_deployment_are_not_a_scale(kube_twin):
    replicas = get(kube_twin, "deploy", "alpha")["spec"]["replicas"]
    kubectl(kube_twin, "label", "deploy", "alpha", "tier=web")
    kubectl(kube_twin, "annotate", "deploy", "alpha", "note=hello")
    kubectl(
        kube_twin,
        "patch",
        "deploy",
        "alpha",
        "--type=merge",
        "-p",
        '{"metadata":{"labels":{"m":"1"}}}',
    )
    kubectl(
        kube_twin,
        "patch",
        "deploy",
        "alpha",
        "--type=json",
        "-p",
        '[{"op":"add","path":"/metadata/labels/j","value":"2"}]',
    )
    kubectl(kube_twin, "patch", "deploy", "alpha", "-p", '{"metadata":{"labels":{"s":"3"}}}')
    alpha = get(kube_twin, "deploy", "alpha")
    labels = alpha["metadata"]["labels"]
    assert (labels["tier"], labels["m"], labels["j"], labels["s"]) == ("web", "1", "2", "3")
    assert alpha["metadata"]["annotations"]["note"] == "hello"
    assert alpha["spec"]["replicas"] == replicas
    kubectl(kube_twin, "label", "deploy", "alpha", "tier-", "m-", "j-", "s-")
    assert "tier" not in get(kube_twin, "deploy", "alpha")["metadata"]["labels"]
    refused = run(kube_twin, "patch", "deploy", "alpha", "-p", '{"spec":{"paused":true}}')
    assert refused.returncode != 0 and "spec.paused" in refused.stderr


def test_label_pod_namespace_and_node(kube_twin):
    kubectl(kube_twin, "label", "pod", "beta-0", "team=qa")
    assert get(kube_twin, "pod", "beta-0")["metadata"]["labels"]["team"] == "qa"
    assert "beta-0" in kubectl(kube_twin, "get", "pods", "-l", "team=qa")
    namespace = get(kube_twin, "ns", "panda")
    assert namespace["metadata"]["labels"]["kubernetes.io/metadata.name"] == "panda"
    kubectl(kube_twin, "label", "node", "twin", "zone=a")
    node = get(kube_twin, "node", "twin")
    assert node["metadata"]["labels"]["zone"] == "a"
    assert kubectl(kube_twin, "get", "nodes").splitlines()[1].split()[:2] == ["twin", "Ready"]
    kubectl(kube_twin, "label", "pod", "beta-0", "team-")
    kubectl(kube_twin, "label", "node", "twin", "zone-")


def test_set_image_rollout_restart_and_rollout_status(kube_twin):
    old_pods = {p["metadata"]["name"] for p in get(kube_twin, "pods", "-l", "app=alpha")["items"]}
    generation = get(kube_twin, "deploy", "alpha")["metadata"]["generation"]
    kubectl(kube_twin, "set", "image", "deploy/alpha", "alpha=fake:2")
    alpha = get(kube_twin, "deploy", "alpha")
    assert alpha["spec"]["template"]["spec"]["containers"][0]["image"] == "fake:2"
    assert alpha["metadata"]["generation"] > generation
    kubectl(kube_twin, "rollout", "restart", "deploy/alpha")
    restarted = get(kube_twin, "deploy", "alpha")["spec"]["template"]["metadata"]["annotations"]
    assert "kubectl.kubernetes.io/restartedAt" in restarted
    wait_for(
        lambda: (
            {p["metadata"]["name"] for p in get(kube_twin, "pods", "-l", "app=alpha")["items"]}
            - old_pods
        ),
        timeout=20,
        what="a new alpha pod",
    )
    assert "successfully rolled out" in kubectl(
        kube_twin, "rollout", "status", "deploy/alpha", "--timeout=30s"
    )
    assert "complete" in kubectl(kube_twin, "rollout", "status", "sts/beta", "--timeout=30s")
    strategy = get(kube_twin, "sts", "beta")["spec"]["updateStrategy"]
    assert strategy["type"] == "RollingUpdate"


def test_apply_replace_and_server_side_apply_of_a_service(kube_twin):
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "labels": {"rev": "1"}},
        "spec": {"ports": [{"port": 8080}], "selector": {"app": "alpha"}},
    }
    path = write(kube_twin, "web.json", service)
    assert (
        kubectl(kube_twin, "apply", "-f", path, "--validate=false").strip() == "service/web created"
    )
    service["metadata"]["labels"]["rev"] = "2"
    write(kube_twin, "web.json", service)
    assert "configured" in kubectl(kube_twin, "apply", "-f", path, "--validate=false")
    assert get(kube_twin, "svc", "web")["metadata"]["labels"]["rev"] == "2"
    live = get(kube_twin, "svc", "web")
    live["metadata"]["labels"]["rev"] = "3"
    replaced = kubectl(
        kube_twin, "replace", "-f", write(kube_twin, "live.json", live), "--validate=false"
    )
    assert replaced.strip() == "service/web replaced"
    assert get(kube_twin, "svc", "web")["metadata"]["labels"]["rev"] == "3"
    service["metadata"]["labels"]["rev"] = "4"
    write(kube_twin, "web.json", service)
    out = kubectl(kube_twin, "apply", "--server-side", "-f", path, "--validate=false")
    assert out.strip() == "service/web serverside-applied"
    assert get(kube_twin, "svc", "web")["metadata"]["labels"]["rev"] == "4"
    diff = run(kube_twin, "diff", "-f", path)
    assert diff.returncode == 0  # nothing to show, nothing created
    kubectl(kube_twin, "delete", "svc", "web")


def test_server_side_apply_scales_a_deployment(kube_twin):
    applied = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "alpha", "labels": {"applied": "yes"}},
        "spec": {"replicas": 1},
    }
    out = kubectl(
        kube_twin,
        "apply",
        "--server-side",
        "--validate=false",
        "-f",
        write(kube_twin, "ssa.json", applied),
    )
    assert out.strip() == "deployment.apps/alpha serverside-applied"
    alpha = get(kube_twin, "deploy", "alpha")
    assert alpha["metadata"]["labels"]["applied"] == "yes" and alpha["spec"]["replicas"] == 1
    kubectl(kube_twin, "label", "deploy", "alpha", "applied-")


# ---------------------------------------------------------------- the rest


def test_get_all_node_and_paths_with_a_trailing_slash(kube_twin):
    everything = kubectl(kube_twin, "get", "all")
    for shown in ("pod/beta-0", "deployment.apps/alpha", "statefulset.apps/beta"):
        assert shown in everything
    session = kube_twin.session()
    for path in ("/api/v1/", "/version/", "/apis/", "/api/v1/namespaces/panda/pods/"):
        assert session.get(kube_twin.url + path, timeout=10).status_code == 200, path
    for path in (
        "/api/v1/namespaces/panda/pods/beta-0/status",
        "/apis/apps/v1/namespaces/panda/statefulsets/beta/status",
        "/apis/apps/v1/namespaces/panda/deployments/alpha/status/",
    ):
        answer = session.get(kube_twin.url + path, timeout=10)
        assert answer.status_code == 200 and "status" in answer.json(), path


def test_logs_since_time_and_limit_bytes(kube_twin):
    script = (
        "import time\nfor i in range(4):\n    print('line', i, flush=True)\n    time.sleep(0.2)"
    )
    manifest = job_manifest("talker", "twin/python:3", [sys.executable, "-c", script])
    kubectl(
        kube_twin, "create", "-f", write(kube_twin, "talker.json", manifest), "--validate=false"
    )
    wait_for(lambda: "Complete" in kubectl(kube_twin, "get", "job", "talker"), timeout=30)
    assert kubectl(kube_twin, "logs", "job/talker", "--limit-bytes=9") == "line 0\nli"
    assert (
        kubectl(kube_twin, "logs", "job/talker", "--since-time=2000-01-01T00:00:00Z").count("line")
        == 4
    )
    assert kubectl(kube_twin, "logs", "job/talker", "--since-time=2099-01-01T00:00:00Z") == ""
    kubectl(kube_twin, "delete", "job", "talker")


# ---------------------------------------------------------------- OpenAPI and protobuf


def test_create_and_apply_validate_against_upstreams_schema(kube_twin):
    command = [sys.executable, "-c", "print('validated')"]
    manifest = job_manifest("valid", "twin/python:3", command)
    bad = json.loads(json.dumps(manifest))
    bad["metadata"]["name"] = "invalid"
    bad["spec"]["template"]["spec"]["containers"][0]["imagee"] = "typo"
    refused = run(kube_twin, "create", "-f", write(kube_twin, "bad.json", bad))
    assert refused.returncode != 0
    assert 'unknown field "spec.template.spec.containers[0].imagee"' in refused.stderr
    assert run(kube_twin, "get", "job", "invalid").returncode != 0
    refused = run(kube_twin, "apply", "-f", write(kube_twin, "bad.json", bad))
    assert refused.returncode != 0 and "imagee" in refused.stderr
    kubectl(kube_twin, "create", "-f", write(kube_twin, "valid.json", manifest))  # validates
    kubectl(kube_twin, "delete", "job", "valid")


def test_explain_reads_the_openapi_documents(kube_twin):
    explained = kubectl(kube_twin, "explain", "pod.spec.containers.image")
    assert "FIELD: image <string>" in explained and "Container image name" in explained
    assert "backoffLimit" in kubectl(kube_twin, "explain", "job.spec")
    v2 = kube_twin.session().get(kube_twin.url + "/openapi/v2", timeout=10).json()
    assert "io.k8s.api.apps.v1.Deployment" in v2["definitions"]


def test_imperative_create_job_and_auth_can_i_over_protobuf(kube_twin):
    out = kubectl(kube_twin, "create", "job", "imperative", "--image=busybox:1.36", "--", "true")
    assert out.strip() == "job.batch/imperative created"
    job = get(kube_twin, "job", "imperative")
    assert job["spec"]["template"]["spec"]["containers"][0]["image"] == "busybox:1.36"
    kubectl(kube_twin, "delete", "job", "imperative")
    refused = run(kube_twin, "create", "deployment", "web", "--image=busybox:1.36")
    assert refused.returncode != 0 and "creates Jobs and Services" in refused.stderr
    assert kubectl(kube_twin, "auth", "can-i", "delete", "pods").strip() == "yes"
    denied = run(kube_twin, "auth", "can-i", "create", "deployments")
    assert denied.stdout.strip() == "no - the twin does not serve create on deployments"
    refused = kube_twin.session().post(
        kube_twin.url + "/api/v1/namespaces/panda/pods/beta-0/exec?command=true", timeout=10
    )
    assert refused.status_code == 403 and "does not exec" in refused.json()["message"]
