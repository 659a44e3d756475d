"""What kubectl discovers: API groups, resources (with subresources) and the version."""

from __future__ import annotations

from dataclasses import dataclass

import yaml


@dataclass(frozen=True)
class Resource:
    plural: str
    kind: str
    group: str  # "" for the core group
    namespaced: bool
    verbs: tuple[str, ...]
    short: tuple[str, ...] = ()


_READ = ("get", "list", "watch")
RESOURCES = (
    Resource("pods", "Pod", "", True, (*_READ, "delete"), ("po",)),
    Resource("services", "Service", "", True, (*_READ, "create", "delete"), ("svc",)),
    Resource("events", "Event", "", True, _READ, ("ev",)),
    Resource("namespaces", "Namespace", "", False, _READ, ("ns",)),
    Resource("deployments", "Deployment", "apps", True, (*_READ, "patch", "update"), ("deploy",)),
    Resource("statefulsets", "StatefulSet", "apps", True, (*_READ, "patch", "update"), ("sts",)),
    Resource("jobs", "Job", "batch", True, (*_READ, "create", "delete")),
)
SUBRESOURCES = {
    "": (("pods/log", "Pod", ("get",)),),
    "apps": (
        ("deployments/scale", "Scale", ("get", "patch", "update")),
        ("statefulsets/scale", "Scale", ("get", "patch", "update")),
    ),
    "batch": (),
}


def by_plural(group: str, plural: str) -> Resource | None:
    for resource in RESOURCES:
        if resource.group == group and resource.plural == plural:
            return resource
    return None


def version() -> dict:
    return {
        "major": "1",
        "minor": "33",
        "gitVersion": "v1.33.0-twin",
        "gitCommit": "twin",
        "gitTreeState": "clean",
        "buildDate": "2026-11-22T00:00:00Z",
        "goVersion": "go1.24",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


def core_versions() -> dict:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": ""}],
    }


def groups() -> dict:
    items = []
    for group in ("apps", "batch"):
        gv = {"groupVersion": f"{group}/v1", "version": "v1"}
        items.append({"name": group, "versions": [gv], "preferredVersion": gv})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": items}


def resource_list(group: str) -> dict:
    resources = []
    for resource in RESOURCES:
        if resource.group != group:
            continue
        entry = {
            "name": resource.plural,
            "singularName": resource.kind.lower(),
            "namespaced": resource.namespaced,
            "kind": resource.kind,
            "verbs": list(resource.verbs),
        }
        if resource.short:
            entry["shortNames"] = list(resource.short)
        resources.append(entry)
    for name, kind, verbs in SUBRESOURCES[group]:
        entry = {"name": name, "singularName": "", "namespaced": True, "kind": kind}
        if kind == "Scale":
            entry.update(group="autoscaling", version="v1")
        resources.append({**entry, "verbs": list(verbs)})
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/v1" if group else "v1",
        "resources": resources,
    }


def kubeconfig(server: str, ca: str, token: str, namespace: str) -> str:
    """The twin's kubeconfig (context ``twin``); it contains the token: write it 0600."""
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": "twin", "cluster": {"server": server, "certificate-authority": ca}}
            ],
            "users": [{"name": "twin", "user": {"token": token}}],
            "contexts": [
                {
                    "name": "twin",
                    "context": {"cluster": "twin", "user": "twin", "namespace": namespace},
                }
            ],
            "current-context": "twin",
            "preferences": {},
        },
        sort_keys=False,
    )
