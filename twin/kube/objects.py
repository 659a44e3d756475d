"""Kubernetes objects (plain dicts) built from the supervisor's pods, workloads and jobs.

Both generations of the official client reject a container status without ``imageID``
or a container without ``name``, so every field they require is always present.
"""

from __future__ import annotations

import os
import platform
from typing import Any

from twin.config import HOST
from twin.kube import defaults

NODE = "twin"
API_VERSIONS = {
    "Pod": "v1",
    "Service": "v1",
    "Event": "v1",
    "Namespace": "v1",
    "Deployment": "apps/v1",
    "StatefulSet": "apps/v1",
    "Job": "batch/v1",
    "Node": "v1",
}


def meta(name: str, namespace: str | None, uid: str, created: str, **extra: Any) -> dict:
    metadata = {"name": name, "uid": uid, "creationTimestamp": created, **extra}
    if namespace:
        metadata["namespace"] = namespace
    return metadata


def _condition(kind: str, true: bool, since: str | None) -> dict:
    return {"type": kind, "status": "True" if true else "False", "lastTransitionTime": since}


def _container_state(pod: Any) -> tuple[dict, dict]:
    """(state, lastState) of the pod's only container."""
    if pod.process_running:
        return {"running": {"startedAt": pod.started_at}}, pod.last_state or {}
    if pod.phase in ("Succeeded", "Failed") or (pod.deletion_timestamp and pod.finished_at):
        code = pod.last_exit_code if pod.last_exit_code is not None else 137
        return {
            "terminated": {
                "exitCode": code,
                "reason": "Completed" if code == 0 else "Error",
                "startedAt": pod.started_at,
                "finishedAt": pod.finished_at,
                "containerID": pod.container_id,
            }
        }, pod.last_state or {}
    waiting = {"reason": pod.waiting_reason or "ContainerCreating"}
    if getattr(pod, "waiting_message", None):
        waiting["message"] = pod.waiting_message
    return {"waiting": waiting}, pod.last_state or {}


def pod_object(pod: Any, namespace: str, template: dict | None = None) -> dict:
    """A pod; ``template`` (a Job's pod template, defaults filled) gives its containers."""
    spec = pod.spec
    state, last_state = _container_state(pod)
    extra: dict[str, Any] = {
        "labels": dict(pod.labels),
        "ownerReferences": [
            {
                "apiVersion": pod.owner["apiVersion"],
                "kind": pod.owner["kind"],
                "name": pod.owner["name"],
                "uid": pod.owner["uid"],
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ],
    }
    if pod.deletion_timestamp:
        extra["deletionTimestamp"] = pod.deletion_timestamp
        extra["deletionGracePeriodSeconds"] = int(pod.deletion_grace)
    container: dict[str, Any] = {"name": pod.container_name, "image": spec.image}
    if spec.command:
        container["command"] = list(spec.command)
    if spec.env:
        container["env"] = [{"name": key, "value": value} for key, value in spec.env]
    scheduled = pod.created_at
    ready_since = pod.ready_since or pod.created_at
    status: dict[str, Any] = {
        "phase": pod.phase,
        "conditions": [
            _condition("PodScheduled", True, scheduled),
            _condition("Initialized", True, scheduled),
            _condition("ContainersReady", pod.ready, ready_since),
            _condition("Ready", pod.ready, ready_since),
        ],
        "hostIP": HOST,
        "podIP": HOST,
        "podIPs": [{"ip": HOST}],
        "startTime": pod.created_at,
        "qosClass": "BestEffort",
        "containerStatuses": [
            {
                "name": pod.container_name,
                "image": spec.image,
                "imageID": f"twin://{spec.image}",
                "containerID": pod.container_id,
                "ready": pod.ready,
                "started": pod.process_running,
                "restartCount": pod.restart_count,
                "state": state,
                "lastState": last_state,
            }
        ],
    }
    pod_spec = {
        "containers": [container],
        "restartPolicy": spec.restart_policy,
        "terminationGracePeriodSeconds": int(spec.grace_seconds),
    }
    if template is not None:
        pod_spec = dict(template["spec"])
        first = pod_spec["containers"][0]
        status["containerStatuses"][0].update(name=first["name"], image=first["image"])
        extra["generateName"] = f"{pod.owner['name']}-"
        extra["labels"] = dict(template["metadata"].get("labels") or {})
        extra["annotations"] = dict(template["metadata"].get("annotations") or {})
    pod_spec = defaults.pod_spec(pod_spec, spec.restart_policy)
    pod_spec.update(nodeName=NODE, serviceAccountName="default", serviceAccount="default")
    pod_spec.setdefault(
        "tolerations",
        [
            {
                "key": f"node.kubernetes.io/{taint}",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 300,
            }
            for taint in ("not-ready", "unreachable")
        ],
    )
    return {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": meta(pod.name, namespace, pod.uid, pod.created_at, **extra),
        "spec": pod_spec,
        "status": status,
    }


def workload_object(workload: Any, pods: list, namespace: str) -> dict:
    """A Deployment or StatefulSet with its live status (Terminating pods not counted)."""
    spec = workload.spec
    live = [pod for pod in pods if not pod.deletion_timestamp]
    ready = sum(1 for pod in live if pod.ready)
    labels = {"app": spec.name}
    template = defaults.template(
        {
            "metadata": {"labels": labels},
            "spec": {
                "containers": [{"name": spec.name, "image": spec.image}],
                "terminationGracePeriodSeconds": int(spec.grace_seconds),
            },
        }
    )
    body: dict[str, Any] = {
        "replicas": workload.replicas,
        # Its own dict: a JSON patch of metadata.labels (deepcopy keeps shared dicts shared)
        # must not reach spec.selector.matchLabels, which no write may change.
        "selector": {"matchLabels": dict(labels)},
        "template": template,
        "revisionHistoryLimit": 10,
    }
    status: dict[str, Any] = {
        "observedGeneration": workload.generation,
        "replicas": len(live),
        "readyReplicas": ready,
        "availableReplicas": ready,
        "updatedReplicas": len(live),
    }
    revision = f"{spec.name}-{workload.template_hash}"
    if spec.kind == "StatefulSet":
        body["serviceName"] = spec.name
        body["podManagementPolicy"] = "OrderedReady"
        body["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
        body["persistentVolumeClaimRetentionPolicy"] = {
            "whenDeleted": "Retain",
            "whenScaled": "Retain",
        }
        status.update(
            currentReplicas=len(live),
            currentRevision=revision,
            updateRevision=revision,
            collisionCount=0,
        )
    else:
        body["strategy"] = {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
        }
        body["progressDeadlineSeconds"] = 600
        status["unavailableReplicas"] = max(workload.replicas - ready, 0)
        status["conditions"] = [
            _condition("Available", ready >= workload.replicas, workload.created_at),
            {
                **_condition("Progressing", True, workload.created_at),
                "reason": "NewReplicaSetAvailable",
                "message": f'ReplicaSet "{revision}" has successfully progressed.',
            },
        ]
    return {
        "kind": spec.kind,
        "apiVersion": "apps/v1",
        "metadata": meta(
            spec.name,
            namespace,
            workload.uid,
            workload.created_at,
            labels=labels,
            generation=workload.generation,
            **(
                {}
                if spec.kind == "StatefulSet"
                else {"annotations": {"deployment.kubernetes.io/revision": "1"}}
            ),
        ),
        "spec": body,
        "status": status,
    }


def job_object(job: Any, pods: list, namespace: str) -> dict:
    active = [p for p in pods if p.phase in ("Pending", "Running") and not p.deletion_timestamp]
    status: dict[str, Any] = {
        "startTime": job.created_at,
        "active": len(active),
        "ready": sum(1 for pod in active if pod.ready),
        "succeeded": sum(1 for pod in pods if pod.phase == "Succeeded"),
        "failed": sum(1 for pod in pods if pod.phase == "Failed"),
    }
    if job.condition:
        status["conditions"] = [
            {**_condition(job.condition, True, job.finished_at), "lastProbeTime": job.finished_at}
        ]
        if job.condition == "Complete":
            status["completionTime"] = job.finished_at
    return {
        "kind": "Job",
        "apiVersion": "batch/v1",
        "metadata": meta(
            job.name, namespace, job.uid, job.created_at, labels=dict(job.labels), generation=1
        ),
        "spec": job.spec,
        "status": status,
    }


def workload_service(spec: Any, endpoints: dict, uid: str, created: str, namespace: str) -> dict:
    ports = []
    for port_name, path in spec.service_ports:
        section, key = path.split(".")
        number = endpoints[section][key]
        ports.append({"name": port_name, "port": number, "targetPort": number, "protocol": "TCP"})
    return {
        "kind": "Service",
        "apiVersion": "v1",
        "metadata": meta(spec.name, namespace, uid, created, labels={"app": spec.name}),
        "spec": {
            "type": "ClusterIP",
            "clusterIP": HOST,
            "clusterIPs": [HOST],
            "selector": {"app": spec.name},
            "ports": ports,
        },
        "status": {"loadBalancer": {}},
    }


def namespace_object(name: str, created: str) -> dict:
    return {
        "kind": "Namespace",
        "apiVersion": "v1",
        "metadata": meta(
            name, None, f"ns-{name}", created, labels={"kubernetes.io/metadata.name": name}
        ),
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


def node_object(created: str) -> dict:
    """This machine as the cluster's only Node (Ready, its CPUs and memory)."""
    try:
        memory_kib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 1024
    except (ValueError, OSError):
        memory_kib = 0
    capacity = {"cpu": str(os.cpu_count() or 1), "memory": f"{memory_kib}Ki", "pods": "110"}
    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
    return {
        "kind": "Node",
        "apiVersion": "v1",
        "metadata": meta(
            NODE,
            None,
            f"node-{NODE}",
            created,
            labels={
                "kubernetes.io/hostname": NODE,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": arch,
                "node-role.kubernetes.io/control-plane": "",
            },
        ),
        "spec": {},
        "status": {
            "capacity": capacity,
            "allocatable": dict(capacity),
            "conditions": [
                {
                    **_condition("Ready", True, created),
                    "lastHeartbeatTime": created,
                    "reason": "KubeletReady",
                    "message": "kubelet is posting ready status",
                }
            ],
            "addresses": [
                {"type": "InternalIP", "address": HOST},
                {"type": "Hostname", "address": NODE},
            ],
            "nodeInfo": {
                "machineID": "twin",
                "systemUUID": "twin",
                "bootID": "twin",
                "kernelVersion": platform.release(),
                "osImage": "twin",
                "containerRuntimeVersion": "twin://1",
                "kubeletVersion": "v1.33.0-twin",
                "kubeProxyVersion": "v1.33.0-twin",
                "operatingSystem": "linux",
                "architecture": arch,
            },
        },
    }
