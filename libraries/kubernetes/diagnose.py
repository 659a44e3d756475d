"""Why a service does not answer, as its workload's pods tell (no Robot imports).

A client that cannot reach its server calls :func:`workload_note` to say, for
example, "focus-server pod X is terminating; new pod Y not ready yet" instead of a
generic "is it up?": a pod being replaced is not a twin that is down.
"""

from __future__ import annotations

from typing import Any

from libraries.kubernetes.client import KubeClient
from libraries.kubernetes.recovery import describe_pod

DIAGNOSE_TIMEOUT_S = 2.0


def replacement_note(pods: list[Any], label: str) -> str | None:
    """One line on ``pods`` (a workload's, Terminating ones included) when they are being
    replaced or none is Ready; None when every pod is Ready and none is terminating."""
    if not pods:
        return f"{label} has no pod (scaled to 0, or not deployed)"
    terminating = [pod for pod in pods if pod.metadata.deletion_timestamp]
    others = [pod for pod in pods if not pod.metadata.deletion_timestamp]
    ready = [pod for pod in others if _ready(pod)]
    old = ", ".join(pod.metadata.name for pod in terminating)
    if terminating and not others:
        return f"{label} pod {old} is terminating; no new pod yet"
    if terminating and not ready:
        new = ", ".join(describe_pod(pod) for pod in others)
        return f"{label} pod {old} is terminating; new pod {new} not ready yet"
    if terminating:
        return f"{label} pod {old} is terminating; new pod {ready[0].metadata.name} is Ready"
    if not ready:
        return f"{label} pod {', '.join(describe_pod(pod) for pod in others)} is not ready"
    return None


def workload_note(
    kubeconfig: str,
    context: str | None,
    namespace: str,
    workload: str,
    label: str,
    timeout: float = DIAGNOSE_TIMEOUT_S,
) -> str | None:
    """:func:`replacement_note` of ``workload`` read from the cluster; None when the pods
    are fine or the cluster cannot be read (the caller then keeps its own hint)."""
    try:
        kube = KubeClient.from_kubeconfig(kubeconfig, context, namespace, timeout)
    except Exception:  # no kubeconfig, a bad one: no diagnosis, never a second error
        return None
    try:
        pods = kube.workload_pods(workload, include_terminating=True)
    except Exception:  # the API is unreachable too
        return None
    finally:
        kube.close()
    return replacement_note(pods, label)


def _ready(pod: Any) -> bool:
    conditions = (pod.status and pod.status.conditions) or []
    return any(c.type == "Ready" and c.status == "True" for c in conditions)
