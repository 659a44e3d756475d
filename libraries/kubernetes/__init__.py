"""Kubernetes: Robot Framework keywords for pods, workloads and task Jobs (contract section 1)."""

from __future__ import annotations

from robot.api.deco import library
from robotlibcore import DynamicCore

from libraries.kubernetes.keywords.base import Disruptions, new_connections
from libraries.kubernetes.keywords.connection import ConnectionKeywords
from libraries.kubernetes.keywords.jobs import JobKeywords
from libraries.kubernetes.keywords.pods import PodKeywords
from libraries.kubernetes.keywords.recovery import RecoveryKeywords
from libraries.kubernetes.keywords.workloads import WorkloadKeywords

__all__ = ["Kubernetes"]


@library(scope="GLOBAL", auto_keywords=False)
class Kubernetes(DynamicCore):
    """Keywords for the Focus stack on Kubernetes: pods, Deployments, StatefulSets, Jobs.

    A thin layer over a plain client (``libraries/kubernetes/client.py``) on the
    official ``kubernetes`` Python client (pinned 36.0.3: 37 is a strict pydantic
    rewrite). It imports without a cluster, so Libdoc runs offline. On the local twin
    it talks to the twin's Kubernetes API (``twin/kube``).

    = Table of contents =

    %TOC%

    = Connections =

    `Connect To Kubernetes` takes a kubeconfig and an optional context, or
    ``in_cluster=True``. Every API request has the connection's ``timeout``. TLS is
    verified with the kubeconfig's certificate authority; the token is never logged.

    = Waits =

    Every wait takes a ``timeout``. A failure names the namespace and the object,
    says what it waited for, for how long, and what it last saw:

    | Waited 30.0 s (timeout 30 s) for a Ready replacement of pod panda/mongodb-7c9-x2 |
    | (workload mongodb); last seen: mongodb-7c9-k4 (Running, ready=False, restarts=0) |

    = Assertions =

    `Get Pod Phase` returns the phase, or with an operator polls until it holds
    (AssertionEngine, as in Browser library):

    | `Get Pod Phase` | ${pod} | ``==`` | Running | timeout=30s |

    = Destructive keywords =

    `Delete Pod`, `Delete Pod And Wait For Replacement` and `Scale Deployment` cause
    outages: tests using them are tagged ``destructive``. Such a test holds the
    ``system`` lock exclusively from its setup to its teardown (every other test holds
    it shared, so under pabot it runs alone and nobody else sees its outage), and it is
    skipped on production unless ``ALLOW_DESTRUCTIVE=1``.

    = Recovery =

    `Delete Pod` returns at once, before the replacement exists; the old pod may still
    answer meanwhile. `Workload Should Recover Within` (and the resource keywords
    `Focus Server Should Recover Within`, `MongoDB Should Recover Within`, ...) wait
    for a new Ready pod, the old one gone and the service answering, measured from the
    delete:

    | `Delete Pod` | ${pod} |
    | ${seconds} = | `Workload Should Recover Within` | mongodb | 30 s |

    = Example =

    | ***** Settings *****
    | Library    libraries.kubernetes.Kubernetes
    |
    | ***** Test Cases *****
    | MongoDB Pod Recovers
    |     [Tags]    destructive
    |     Connect To Kubernetes    ${KUBECONFIG}    context=${KUBE_CONTEXT}
    |     ${pod} =    Get Pod Name    mongodb
    |     ${new}    ${seconds} =    Delete Pod And Wait For Replacement    ${pod}
    |     Wait Until Deployment Is Ready    mongodb
    """

    def __init__(self) -> None:
        """The library takes no arguments: connections carry every setting."""
        connections = new_connections()
        disruptions = Disruptions()  # the pod deletes and scales whose recovery is measured
        super().__init__(
            [
                ConnectionKeywords(connections, disruptions),
                PodKeywords(connections, disruptions),
                WorkloadKeywords(connections, disruptions),
                JobKeywords(connections, disruptions),
                RecoveryKeywords(connections, disruptions),
            ]
        )
