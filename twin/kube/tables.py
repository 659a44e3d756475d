"""``meta.k8s.io/v1`` Table responses: the columns kubectl prints for each kind."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

TABLE_ACCEPT = "as=Table"


def _parse(stamp: str | None) -> dt.datetime | None:
    if not stamp:
        return None
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def human_duration(seconds: float) -> str:
    """kubectl's short duration: 45s, 3m20s, 25m, 5h3m, 20h, 3d."""
    seconds = int(max(seconds, 0))
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s" if seconds % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    return f"{hours // 24}d"


def age(obj: dict, now: dt.datetime) -> str:
    created = _parse(obj["metadata"].get("creationTimestamp"))
    return human_duration((now - created).total_seconds()) if created else "<unknown>"


def _pod_status(pod: dict) -> str:
    if pod["metadata"].get("deletionTimestamp"):
        return "Terminating"
    state = pod["status"]["containerStatuses"][0]["state"]
    if "waiting" in state:
        return state["waiting"]["reason"]
    if "terminated" in state:
        return state["terminated"]["reason"]
    return pod["status"]["phase"]


def _pod_row(pod: dict, now: dt.datetime) -> list:
    container = pod["status"]["containerStatuses"][0]
    return [
        pod["metadata"]["name"],
        f"{1 if container['ready'] else 0}/1",
        _pod_status(pod),
        container["restartCount"],
        age(pod, now),
        pod["status"].get("podIP") or "<none>",
        pod["spec"].get("nodeName") or "<none>",
    ]


def _ready(obj: dict) -> str:
    return f"{obj['status'].get('readyReplicas', 0)}/{obj['spec']['replicas']}"


def _job_row(job: dict, now: dt.datetime) -> list:
    status = job["status"]
    kinds = [c["type"] for c in status.get("conditions", [])]
    state = "Complete" if "Complete" in kinds else "Failed" if "Failed" in kinds else "Running"
    start = _parse(status.get("startTime"))
    end = _parse(status.get("completionTime")) or now
    return [
        job["metadata"]["name"],
        state,
        f"{status.get('succeeded', 0)}/1",
        human_duration((end - start).total_seconds()) if start else "",
        age(job, now),
    ]


def _service_row(svc: dict, now: dt.datetime) -> list:
    spec = svc["spec"]
    ports = ",".join(
        f"{p['port']}:{p['nodePort']}/{p.get('protocol', 'TCP')}"
        if p.get("nodePort")
        else f"{p['port']}/{p.get('protocol', 'TCP')}"
        for p in spec.get("ports", [])
    )
    return [
        svc["metadata"]["name"],
        spec.get("type", "ClusterIP"),
        spec.get("clusterIP", "<none>"),
        "<none>",
        ports or "<none>",
        age(svc, now),
    ]


def _event_row(event: dict, now: dt.datetime) -> list:
    involved = event["involvedObject"]
    last = _parse(event.get("lastTimestamp"))
    return [
        human_duration((now - last).total_seconds()) if last else "<unknown>",
        event.get("type", "Normal"),
        event.get("reason", ""),
        f"{involved['kind'].lower()}/{involved['name']}",
        event.get("message", ""),
    ]


_NAME = ("Name", "string", "name")
COLUMNS: dict[str, tuple[list[tuple[str, str, str]], Callable[[dict, dt.datetime], list]]] = {
    "Pod": (
        [
            _NAME,
            ("Ready", "string", ""),
            ("Status", "string", ""),
            ("Restarts", "integer", ""),
            ("Age", "string", ""),
            ("IP", "string", ""),
            ("Node", "string", ""),
        ],
        _pod_row,
    ),
    "Deployment": (
        [
            _NAME,
            ("Ready", "string", ""),
            ("Up-to-date", "integer", ""),
            ("Available", "integer", ""),
            ("Age", "string", ""),
        ],
        lambda d, now: [
            d["metadata"]["name"],
            _ready(d),
            d["status"].get("updatedReplicas", 0),
            d["status"].get("availableReplicas", 0),
            age(d, now),
        ],
    ),
    "StatefulSet": (
        [_NAME, ("Ready", "string", ""), ("Age", "string", "")],
        lambda s, now: [s["metadata"]["name"], _ready(s), age(s, now)],
    ),
    "Job": (
        [
            _NAME,
            ("Status", "string", ""),
            ("Completions", "string", ""),
            ("Duration", "string", ""),
            ("Age", "string", ""),
        ],
        _job_row,
    ),
    "Service": (
        [
            _NAME,
            ("Type", "string", ""),
            ("Cluster-IP", "string", ""),
            ("External-IP", "string", ""),
            ("Port(s)", "string", ""),
            ("Age", "string", ""),
        ],
        _service_row,
    ),
    "Event": (
        [
            ("Last Seen", "string", ""),
            ("Type", "string", ""),
            ("Reason", "string", ""),
            ("Object", "string", ""),
            ("Message", "string", ""),
        ],
        _event_row,
    ),
    "Namespace": (
        [_NAME, ("Status", "string", ""), ("Age", "string", "")],
        lambda n, now: [n["metadata"]["name"], n["status"]["phase"], age(n, now)],
    ),
    "Node": (
        [
            _NAME,
            ("Status", "string", ""),
            ("Roles", "string", ""),
            ("Age", "string", ""),
            ("Version", "string", ""),
        ],
        lambda n, now: [
            n["metadata"]["name"],
            "Ready",
            ",".join(
                sorted(
                    key.split("/", 1)[1]
                    for key in n["metadata"].get("labels", {})
                    if key.startswith("node-role.kubernetes.io/")
                )
            )
            or "<none>",
            age(n, now),
            n["status"]["nodeInfo"]["kubeletVersion"],
        ],
    ),
}
_WIDE_ONLY = {"IP", "Node"}


def wants_table(accept: str) -> bool:
    return TABLE_ACCEPT in accept.replace(" ", "")


def to_table(kind: str, objects: list[dict], resource_version: str, include: str) -> dict:
    """A Table of ``objects``; ``include`` is ``Object``, ``Metadata`` (default) or ``None``."""
    columns, row = COLUMNS[kind]
    now = dt.datetime.now(dt.UTC)
    rows = []
    for obj in objects:
        entry: dict = {"cells": row(obj, now)}
        if include == "Object":
            entry["object"] = obj
        elif include != "None":
            entry["object"] = {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": obj["metadata"],
            }
        rows.append(entry)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version},
        "columnDefinitions": [
            {
                "name": name,
                "type": kind_of,
                "format": fmt,
                "description": name,
                "priority": 1 if name in _WIDE_ONLY else 0,
            }
            for name, kind_of, fmt in columns
        ],
        "rows": rows,
    }
