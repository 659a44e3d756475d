"""Deployments and StatefulSets: readiness, scaling, and their services."""

from __future__ import annotations

from datetime import timedelta

from robot.api import logger
from robot.api.deco import keyword

from libraries.kubernetes.client import KubeError, wait_until
from libraries.kubernetes.keywords.base import LibraryComponent
from libraries.kubernetes.recovery import Disruption
from libraries.safety import disruptive


class WorkloadKeywords(LibraryComponent):
    """Keywords on Deployments, StatefulSets and Services."""

    @keyword
    def wait_until_deployment_is_ready(
        self, name: str, timeout: timedelta = timedelta(seconds=120)
    ) -> float:
        """Waits until every desired replica of the Deployment (or StatefulSet) is Ready.

        Terminating pods do not count. Returns the seconds waited.

        | `Wait Until Deployment Is Ready` | mongodb | timeout=2 min |

        Returns the seconds waited, e.g. ``2.7``.
        """
        kube = self.kube
        last = {"text": "nothing read yet"}

        def ready() -> bool:
            done, last["text"] = kube.workload_ready(name)
            return done

        _, waited = wait_until(
            ready,
            timeout.total_seconds(),
            f"workload {kube.namespace}/{name} to be ready",
            lambda: f"{last['text']}; pods: {kube.describe_pods(name)}",
        )
        logger.info(f"{last['text']} after {waited:.2f} s")
        return waited

    @disruptive("scale a workload")
    @keyword
    def scale_deployment(
        self,
        name: str,
        replicas: int,
        wait: bool = True,
        timeout: timedelta = timedelta(seconds=120),
    ) -> float:
        """Scales a Deployment (or StatefulSet); with ``wait``, until it has exactly ``replicas``.

        Scaling to 0 is an outage, back to 1 a recovery: tag the test ``destructive``
        (see `Delete Pod` for the lock it takes). The ``... Should Recover Within``
        keywords (`MongoDB Should Recover Within`, ...) measure from this scale: after
        scaling back up, they wait for a new Ready pod and an answering service.
        Returns the seconds waited (0 without ``wait``).

        | `Scale Deployment` | mongodb | 0 |
        | `Scale Deployment` | mongodb | 1 | timeout=2 min |

        Returns the seconds, e.g. ``3.4``.
        """
        kube = self.kube
        action = f"Scale Deployment {kube.namespace}/{name} to {replicas}"
        pods = kube.workload_pods(name, include_terminating=True)
        self.disruptions.record(Disruption.of(kube.namespace, name, action, pods))
        kind = self.kube.scale(name, replicas)
        logger.info(f"Scaled {kind} {self.kube.namespace}/{name} to {replicas}")
        if not wait:
            return 0.0
        if replicas > 0:
            return self.wait_until_deployment_is_ready(name, timeout)
        kube = self.kube
        _, waited = wait_until(
            lambda: not kube.workload_pods(name, include_terminating=True),
            timeout.total_seconds(),
            f"every pod of {kube.namespace}/{name} to be gone",
            lambda: kube.describe_pods(name),
        )
        return waited

    @keyword
    def get_workload_kind(self, name: str) -> str:
        """``Deployment`` or ``StatefulSet``: the kind of the workload called ``name``.

        Returns ``Deployment`` or ``StatefulSet``.
        """
        kind, _ = self.kube.workload(name)
        return kind

    @keyword
    def get_workload_replicas(self, name: str) -> int:
        """The replicas the Deployment or StatefulSet ``name`` asks for (``spec.replicas``).

        | `Get Workload Replicas` | mongodb |
        """
        _, obj = self.kube.workload(name)
        return int(obj.spec.replicas if obj.spec.replicas is not None else 1)

    @keyword
    def get_service_names(self, label_selector: str = "") -> list[str]:
        """Names of the Services in the namespace (optionally by label selector).

        Returns a sorted list, e.g. ``["grpc-service-3f2a9c0e", "mongodb", "rabbitmq-panda"]``.
        """
        return sorted(svc.metadata.name for svc in self.kube.services(label_selector))

    @keyword
    def services_should_exist(self, *names: str) -> None:
        """Fails naming every Service of ``names`` that does not exist."""
        present = set(self.get_service_names())
        missing = [name for name in names if name not in present]
        if missing:
            raise KubeError(
                f"Services missing in namespace {self.kube.namespace}: {', '.join(missing)}; "
                f"present: {', '.join(sorted(present)) or 'none'}"
            )

    @keyword
    def workloads_should_exist(self, *names: str) -> None:
        """Fails naming every workload (Deployment or StatefulSet) of ``names`` that is missing."""
        missing = []
        for name in names:
            try:
                self.kube.workload(name)
            except KubeError:
                missing.append(name)
        if missing:
            raise KubeError(
                f"Workloads missing in namespace {self.kube.namespace}: {', '.join(missing)}"
            )
