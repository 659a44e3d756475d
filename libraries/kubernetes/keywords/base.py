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
