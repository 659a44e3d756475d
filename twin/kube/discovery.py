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
    categories: tuple[str, ...] = ()


_READ = ("get", "list", "watch")
_UPDATE = ("patch", "update")
_ALL = ("all",)
RESOURCES = (
    Resource("pods", "Pod", "", True, (*_READ, *_UPDATE, "delete"), ("po",), _ALL),
    Resource(
        "services", "Service", "", True, (*_READ, *_UPDATE, "create", "delete"), ("svc",), _ALL
    ),
    Resource("events", "Event", "", True, _READ, ("ev",)),
    Resource("namespaces", "Namespace", "", False, (*_READ, *_UPDATE), ("ns",)),
    Resource("nodes", "Node", "", False, (*_READ, *_UPDATE), ("no",)),
    Resource("deployments", "Deployment", "apps", True, (*_READ, *_UPDATE), ("deploy",), _ALL),
    Resource("statefulsets", "StatefulSet", "apps", True, (*_READ, *_UPDATE), ("sts",), _ALL),
    Resource("jobs", "Job", "batch", True, (*_READ, *_UPDATE, "create", "delete"), (), _ALL),
)
_SCALE = ("get", "patch", "update")
SUBRESOURCES = {
    "": (
        ("pods/log", "Pod", ("get",)),
        ("pods/status", "Pod", ("get",)),
    ),
    "apps": (
        ("deployments/scale", "Scale", _SCALE),
        ("deployments/status", "Deployment", ("get",)),
        ("statefulsets/scale", "Scale", _SCALE),
        ("statefulsets/status", "StatefulSet", ("get",)),
    ),
    "batch": (("jobs/status", "Job", ("get",)),),
    "authorization.k8s.io": (),
}
ACCESS_REVIEW = {
    "name": "selfsubjectaccessreviews",
    "singularName": "selfsubjectaccessreview",
    "namespaced": False,
    "kind": "SelfSubjectAccessReview",
    "verbs": ["create"],
}
GROUPS = ("apps", "batch", "authorization.k8s.io")


def verbs(resource: Resource, subresource: str = "") -> tuple[str, ...]:
    """The verbs the twin serves on ``resource`` (or one of its subresources)."""
    if not subresource:
        return resource.verbs
    for name, _, allowed in SUBRESOURCES.get(resource.group, ()):
        if name == f"{resource.plural}/{subresource}":
            return allowed
    return ()


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
    for group in GROUPS:
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
        if resource.categories:
            entry["categories"] = list(resource.categories)
        resources.append(entry)
    for name, kind, allowed in SUBRESOURCES[group]:
        entry = {"name": name, "singularName": "", "namespaced": True, "kind": kind}
        if kind == "Scale":
            entry.update(group="autoscaling", version="v1")
        resources.append({**entry, "verbs": list(allowed)})
    if group == "authorization.k8s.io":
        resources.append(dict(ACCESS_REVIEW))
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
