"""The defaults the real API server fills in (``SetDefaults_*`` of k8s.io/kubernetes/pkg/apis).

kubectl's describers dereference these fields without checking (``describe job`` reads
every probe's ``timeoutSeconds``), so an object the twin serves carries them as a real
cluster's does.
"""

from __future__ import annotations

import copy
from typing import Any

PROBE_DEFAULTS = {
    "timeoutSeconds": 1,
    "periodSeconds": 10,
    "successThreshold": 1,
    "failureThreshold": 3,
}


def probe(spec: dict) -> dict:
    filled = {**PROBE_DEFAULTS, **spec}
    for handler in ("httpGet",):
        if handler in filled:
            filled[handler] = {"path": "/", "scheme": "HTTP", **filled[handler]}
    if "grpc" in filled:
        filled["grpc"] = {"service": "", **filled["grpc"]}
    return filled


def container(spec: dict) -> dict:
    filled = copy.deepcopy(spec)
    image = str(filled.get("image", ""))
    latest = ":" not in image.rsplit("/", 1)[-1] or image.endswith(":latest")
    filled.setdefault("imagePullPolicy", "Always" if latest else "IfNotPresent")
    filled.setdefault("terminationMessagePath", "/dev/termination-log")
    filled.setdefault("terminationMessagePolicy", "File")
    filled.setdefault("resources", {})
    for kind in ("livenessProbe", "readinessProbe", "startupProbe"):
        if kind in filled:
            filled[kind] = probe(filled[kind])
    for port in filled.get("ports") or []:
        port.setdefault("protocol", "TCP")
    for variable in filled.get("env") or []:
        if "valueFrom" not in variable:
            variable.setdefault("value", "")
    return filled


def pod_spec(spec: dict, restart_policy: str = "Always") -> dict:
    filled = copy.deepcopy(spec)
    filled["containers"] = [container(c) for c in filled.get("containers") or []]
    if "initContainers" in filled:
        filled["initContainers"] = [container(c) for c in filled["initContainers"]]
    filled.setdefault("restartPolicy", restart_policy)
    filled.setdefault("terminationGracePeriodSeconds", 30)
    filled.setdefault("dnsPolicy", "ClusterFirst")
    filled.setdefault("securityContext", {})
    filled.setdefault("schedulerName", "default-scheduler")
    filled.setdefault("enableServiceLinks", True)
    filled.setdefault("preemptionPolicy", "PreemptLowerPriority")
    filled.setdefault("priority", 0)
    return filled


def template(spec: dict, restart_policy: str = "Always") -> dict:
    filled = copy.deepcopy(spec or {})
    filled.setdefault("metadata", {})
    filled["spec"] = pod_spec(filled.get("spec") or {}, restart_policy)
    return filled


def job_spec(spec: dict) -> dict:
    filled = copy.deepcopy(spec)
    filled.setdefault("parallelism", 1)
    filled.setdefault("completions", 1)
    filled.setdefault("backoffLimit", 6)
    filled.setdefault("completionMode", "NonIndexed")
    filled.setdefault("suspend", False)
    filled.setdefault("manualSelector", False)
    filled.setdefault("podReplacementPolicy", "TerminatingOrFailed")
    filled["template"] = template(filled.get("template") or {}, "Never")
    return filled


def deep_set(obj: dict, path: tuple[str, ...], value: Any) -> None:
    node = obj
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value
