"""Shared state and helpers of the Kubernetes keyword components."""

from __future__ import annotations

from libraries.common.connections import ConnectionComponent, ConnectionRegistry
from libraries.kubernetes.client import KubeClient, KubeError


def new_connections() -> ConnectionRegistry[KubeClient]:
    """The library's connections by alias, and the current one."""
    return ConnectionRegistry(
        "Kubernetes",
        "call 'Connect To Kubernetes' (or the resource's 'Connect To Cluster')",
        error=KubeError,
    )


class LibraryComponent(ConnectionComponent[KubeClient]):
    """Base of a keyword component: the current connection."""

    @property
    def kube(self) -> KubeClient:
        return self.connections.current


def task_id_of(task: dict | str) -> str:
    """A task is the configure response (dict with ``task_id``) or its id."""
    if isinstance(task, dict):
        if "task_id" not in task:
            raise ValueError(f"not a task: no 'task_id' in {sorted(task)}")
        return str(task["task_id"])
    return str(task)
