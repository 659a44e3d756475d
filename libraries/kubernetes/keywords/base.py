"""Shared state and helpers of the Kubernetes keyword components."""

from __future__ import annotations

from dataclasses import dataclass, field

from libraries.common.connections import ConnectionRegistry
from libraries.kubernetes.client import KubeClient, KubeError


def _registry() -> ConnectionRegistry[KubeClient]:
    return ConnectionRegistry(
        "Kubernetes",
        "call 'Connect To Kubernetes' (or the resource's 'Connect To Cluster')",
        error=KubeError,
    )


@dataclass
class KubeState:
    """Connections by alias and the current one."""

    connections: ConnectionRegistry[KubeClient] = field(default_factory=_registry)


class LibraryComponent:
    """Base of a keyword component: the current connection."""

    def __init__(self, state: KubeState) -> None:
        self.state = state

    @property
    def kube(self) -> KubeClient:
        return self.state.connections.current


def task_id_of(task: dict | str) -> str:
    """A task is the configure response (dict with ``task_id``) or its id."""
    if isinstance(task, dict):
        if "task_id" not in task:
            raise ValueError(f"not a task: no 'task_id' in {sorted(task)}")
        return str(task["task_id"])
    return str(task)
