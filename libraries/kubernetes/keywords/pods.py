"""Pods: list, phase, readiness, delete with recovery time, logs and restart counts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from assertionengine import AssertionOperator, int_str_verify_assertion
from robot.api import logger
from robot.api.deco import keyword

from libraries.common.polling import poll_assertion
from libraries.kubernetes.client import KubeError, pod_ready, pod_summary, wait_until
from libraries.kubernetes.keywords.base import LibraryComponent
from libraries.kubernetes.recovery import Disruption
from libraries.safety import disruptive

LOG_LINES_SHOWN = 20


class PodKeywords(LibraryComponent):
    """Keywords on pods."""

    @keyword
    def list_pods(self, label_selector: str = "", name_pattern: str | None = None) -> list[str]:
        """Names of the pods matching a label selector and/or a name regex, sorted.

        | ${pods} = | `List Pods` | app=mongodb |
        | ${pods} = | `List Pods` | name_pattern=^focus-server-grpc- |

        Returns a list of pod names, e.g.
        ``["panda-panda-focus-server-7d9c4-x2k8p", "segy-recorder-5f6b8-q9w2z"]``.
        """
        pods = self.kube.list_pods(label_selector, name_pattern)
        logger.info("\n".join(pod_summary(pod) for pod in pods) or "no pod")
        return [pod.metadata.name for pod in pods]

    @keyword
    def get_pod_name(self, workload: str, timeout: timedelta = timedelta(seconds=60)) -> str:
        """The name of the Ready, not Terminating, pod of ``workload`` (label ``app``); waits.

        | ${pod} = | `Get Pod Name` | panda-panda-focus-server |

        Returns the pod's name, e.g. ``panda-panda-focus-server-7d9c4-x2k8p`` (a
        StatefulSet's: ``rabbitmq-panda-0``).
        """
        kube = self.kube

        def ready_pod() -> str | None:
            ready = [p for p in kube.workload_pods(workload) if pod_ready(p)]
            return ready[0].metadata.name if ready else None

        name, _ = wait_until(
            ready_pod,
            timeout.total_seconds(),
            f"a Ready pod of workload {kube.namespace}/{workload}",
            lambda: kube.describe_pods(workload),
        )
        return name

    @keyword
    def get_pod_phase(
        self,
        name: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
        timeout: timedelta | None = None,
    ) -> str:
        """The pod's phase; with an assertion, polls until it holds or ``timeout`` passes
        (default: the assertion timeout, see `Set Assertion Timeout`). While polling, a
        pod that no longer exists reads as ``<deleted>``.

        | `Get Pod Phase` | ${pod} | ``==`` | Running | timeout=30s |
        | ${phase} = | `Get Pod Phase` | ${pod} |

        Returns one of ``Pending``, ``Running``, ``Succeeded``, ``Failed``, ``Unknown``.
        """
        kube = self.kube

        def phase() -> str:
            pod = kube.find_pod(name)
            return "<deleted>" if pod is None else pod.status.phase

        if assertion_operator is None:
            now: str = kube.get_pod(name).status.phase
            return now
        returned: str = poll_assertion(
            phase,
            assertion_operator,
            assertion_expected,
            f"Phase of {kube.where('pod', name)}",
            message,
            timeout=timeout,
            error=KubeError,
        )
        return returned

    @keyword
    def wait_until_pod_is_ready(
        self, name: str, timeout: timedelta = timedelta(seconds=60)
    ) -> float:
        """Waits until the pod's Ready condition is True; returns the seconds waited.

        Returns the seconds waited, e.g. ``1.8``.
        """
        kube = self.kube

        def last() -> str:
            pod = kube.find_pod(name)
            return pod_summary(pod) if pod else "the pod does not exist"

        _, waited = wait_until(
            lambda: (pod := kube.find_pod(name)) is not None and pod_ready(pod),
            timeout.total_seconds(),
            f"{kube.where('pod', name)} to be Ready",
            last,
        )
        return waited

    @disruptive("delete a pod")
    @keyword
    def delete_pod(self, name: str, grace_period: timedelta | None = None) -> None:
        """Deletes a pod; returns at once, before its replacement exists.

        The delete only asks Kubernetes to stop the pod: it stays Terminating for up to
        ``grace_period`` (default: the pod's own, often 30 s) and may still answer
        requests meanwhile, and the owning controller creates the replacement a moment
        later. So a check right after it (``Get Health Status    ==    ok``) passes on the
        old pod and proves nothing. To check recovery, follow it with
        `Focus Server Should Recover Within`, `MongoDB Should Recover Within`,
        `RabbitMQ Should Recover Within` or `SEG-Y Recorder Should Recover Within`
        (resources), or `Workload Should Recover Within`: they wait for a new pod that is
        Ready, for the old one to be gone and for the service to answer, and measure
        the time from this delete.

        It causes an outage: tag the test ``destructive``. Such a test holds the
        ``system`` lock exclusively from its setup to its teardown (under pabot no other
        test runs meanwhile: they hold it shared), and on production it does not run
        unless allowed (see the README, "Live systems").

        | `Delete Pod` | ${pod} |
        | `Focus Server Should Recover Within` | 30 s |
        | `Delete Pod` | ${pod} | grace_period=0s |
        """
        grace = None if grace_period is None else int(grace_period.total_seconds())
        self._record_delete(name)
        self.kube.delete_pod(name, grace)
        logger.info(f"Deleted {self.kube.where('pod', name)} (its replacement comes later)")

    def _record_delete(self, name: str) -> None:
        """Remember the pod's workload and uid: recovery is measured from now."""
        kube = self.kube
        pod = kube.find_pod(name)
        workload = pod is not None and (pod.metadata.labels or {}).get("app")
        if workload:
            action = f"Delete Pod {kube.where('pod', name)}"
            self.disruptions.record(Disruption.of(kube.namespace, workload, action, [pod]))

    @disruptive("delete a pod")
    @keyword
    def delete_pod_and_wait_for_replacement(
        self, name: str, timeout: timedelta = timedelta(seconds=120)
    ) -> tuple[str, float]:
        """Deletes a pod and waits until a replacement (a new pod uid) of its workload is Ready.

        Returns the replacement's name (new for a Deployment, the same for a
        StatefulSet) and the recovery time in seconds, from the delete request to
        Ready. The recovery time is logged. Ready is not yet "answers": the
        ``... Should Recover Within`` keywords (see `Delete Pod`) also wait for the old
        pod to be gone and for the service to answer. Tag the test ``destructive``
        (see `Delete Pod` for the lock it takes).

        | ${new}    ${seconds} = | `Delete Pod And Wait For Replacement` | ${pod} | timeout=2 min |

        Returns a list of two, e.g. ``["mongodb-7c9d4-q9w2z", 3.912]``.
        """
        self._record_delete(name)
        result = self.kube.delete_pod_and_wait_for_replacement(name, timeout.total_seconds())
        logger.info(
            f"Recovery: {self.kube.where('pod', name)} replaced by {result.replacement}, "
            f"Ready after {result.seconds:.2f} s"
        )
        return result.replacement, round(result.seconds, 3)

    @keyword
    def get_pod_logs(
        self,
        name: str,
        tail_lines: int | None = None,
        since: timedelta | None = None,
        timestamps: bool = False,
    ) -> str:
        """The pod's log (``tail_lines``, ``since`` and ``timestamps`` as ``kubectl logs``).

        Returns the log text (with ``timestamps=True`` each line starts with an RFC 3339 time).
        """
        since_seconds = None if since is None else max(int(since.total_seconds()), 1)
        text = self.kube.logs(name, tail_lines, since_seconds, timestamps)
        shown = text.splitlines()[-LOG_LINES_SHOWN:]
        logger.info(f"Last {len(shown)} lines of {name}:\n" + "\n".join(shown))
        return text

    @keyword
    def get_restart_counts(self, label_selector: str = "") -> dict[str, int]:
        """Restart count of each pod (name -> count) matching the selector.

        | ${before} = | `Get Restart Counts` | app=mongodb |

        Returns a dict, e.g. ``{"mongodb-7c9d4-x2k8p": 0, "segy-recorder-5f6b8-q9w2z": 1}``.
        """
        counts = {}
        for pod in self.kube.list_pods(label_selector):
            statuses = pod.status.container_statuses or []
            counts[pod.metadata.name] = sum(s.restart_count for s in statuses)
        return counts

    @keyword
    def get_restart_count(
        self,
        name: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
        timeout: timedelta | None = None,
    ) -> int:
        """How many times the pod's containers restarted, in total; with an assertion,
        polls until it holds or ``timeout`` passes (default: the assertion timeout, see
        `Set Assertion Timeout`).

        | `Get Restart Count` | ${pod} | ``==`` | 0 |
        | `Get Restart Count` | ${pod} | >= | 1 | timeout=30s |
        | ${restarts} = | `Get Restart Count` | ${pod} |

        Returns the number, e.g. ``0``.
        """
        kube = self.kube

        def restarts() -> int:
            pod = kube.get_pod(name)
            return sum(s.restart_count for s in pod.status.container_statuses or [])

        returned: int = poll_assertion(
            restarts,
            assertion_operator,
            assertion_expected,
            f"Restart count of {kube.where('pod', name)}",
            message,
            timeout=timeout,
            verify=int_str_verify_assertion,
            error=KubeError,
        )
        return returned

    @keyword
    def get_ready_pod_count(
        self,
        workload: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
        timeout: timedelta | None = None,
    ) -> int:
        """How many pods of ``workload`` (label ``app``) are Ready and not Terminating; with
        an assertion, polls until it holds or ``timeout`` passes (default: the assertion
        timeout, see `Set Assertion Timeout`).

        | `Get Ready Pod Count` | mongodb | ``==`` | 1 | timeout=2 min |
        | ${ready} = | `Get Ready Pod Count` | panda-panda-focus-server |

        Returns the number, e.g. ``1``.
        """
        kube = self.kube
        returned: int = poll_assertion(
            lambda: sum(1 for pod in kube.workload_pods(workload) if pod_ready(pod)),
            assertion_operator,
            assertion_expected,
            f"Ready pods of workload {kube.namespace}/{workload}",
            message,
            timeout=timeout,
            verify=int_str_verify_assertion,
            describe=lambda count: f"{count} ({kube.describe_pods(workload)})",
            error=KubeError,
        )
        return returned

    @keyword
    def pod_restart_count_should_be(self, name: str, expected: int) -> None:
        """Fails unless the pod's containers restarted exactly ``expected`` times in total
        (at once; `Get Restart Count` with ``==`` waits).

        | `Pod Restart Count Should Be` | ${pod} | 0 |
        """
        pod = self.kube.get_pod(name)
        actual = sum(s.restart_count for s in pod.status.container_statuses or [])
        if actual != expected:
            raise KubeError(
                f"{self.kube.where('pod', name)} restarted {actual} times, expected {expected}: "
                f"{pod_summary(pod)}"
            )
