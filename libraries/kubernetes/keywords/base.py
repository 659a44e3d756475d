"""Shared state and helpers of the Kubernetes keyword components."""

from __future__ import annotations

from dataclasses import dataclass, field

from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError

from libraries.common.connections import ConnectionComponent, ConnectionRegistry
from libraries.kubernetes.client import KubeClient, KubeError
from libraries.kubernetes.recovery import Disruption


def new_connections() -> ConnectionRegistry[KubeClient]:
    """The library's connections by alias, and the current one."""
    return ConnectionRegistry(
        "Kubernetes",
        "call 'Connect To Kubernetes' (or the resource's 'Connect To Cluster')",
        error=KubeError,
    )


def running_test() -> str:
    """The running test's long name ("" outside a test, or outside Robot)."""
    try:
        variables = BuiltIn().get_variables()
    except RobotNotRunningError:
        return ""
    test = variables.get("${TEST NAME}")
    return "" if test is None else f"{variables['${SUITE NAME}']}.{test}"


@dataclass
class Disruptions:
    """The last disruption (pod delete, scale) of each workload, and the test it was in."""

    by_workload: dict[tuple[str, str], tuple[Disruption, str]] = field(default_factory=dict)

    def record(self, disruption: Disruption) -> None:
        key = (disruption.namespace, disruption.workload)
        self.by_workload[key] = (disruption, running_test())

    def last(self, namespace: str, workload: str) -> Disruption:
        """The last disruption of ``workload`` in the running test; fails saying how to
        cause one when there is none."""
        found = self.by_workload.get((namespace, workload))
        test = running_test()
        if found is None or found[1] != test:
            raise KubeError(
                f"No pod of workload {namespace}/{workload} was deleted or scaled through the "
                f"Kubernetes library in this {'test' if test else 'run'}: nothing to measure "
                "recovery from. Delete it first with 'Delete Pod' (or 'Scale Deployment')."
            )
        return found[0]


class LibraryComponent(ConnectionComponent[KubeClient]):
    """Base of a keyword component: the current connection and the disruptions seen."""

    def __init__(
        self, connections: ConnectionRegistry[KubeClient], disruptions: Disruptions
    ) -> None:
        super().__init__(connections)
        self.disruptions = disruptions

    @property
    def kube(self) -> KubeClient:
        return self.connections.current
