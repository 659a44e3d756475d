"""Recovery after a pod delete or a scale, measured from the replacement."""

from __future__ import annotations

from datetime import timedelta

from robot.api import logger
from robot.api.deco import keyword
from robot.errors import ExecutionFailed
from robot.libraries.BuiltIn import BuiltIn

from libraries.kubernetes.keywords.base import LibraryComponent
from libraries.kubernetes.recovery import Recovery, wait_for_recovery


class RecoveryKeywords(LibraryComponent):
    """`Workload Should Recover Within` and what it is measured from."""

    @keyword
    def workload_should_recover_within(
        self,
        workload: str,
        timeout: timedelta,
        answers: str | None = None,
        answer_args: list | None = None,
        label: str | None = None,
    ) -> float:
        """Waits until ``workload`` recovered from the last `Delete Pod` or `Scale Deployment`
        of this test; fails when that takes longer than ``timeout`` from the delete or
        scale. Returns the recovery time in seconds and logs it.

        Recovered means, in this order: a new pod (a uid that did not exist at the
        delete) is Ready; no old pod is left (a Terminating pod still answers until its
        process ends, so an answer could come from it); and the keyword ``answers``
        (with ``answer_args``), run only then, passes: the service answers, and it can
        only be the new pod answering. Without ``answers`` the pods alone decide. The
        recovery time runs from the delete (or scale) request to the first passing
        answer. ``label`` names the workload in messages (default: its name).

        The resource keywords `Focus Server Should Recover Within`,
        `MongoDB Should Recover Within`, `RabbitMQ Should Recover Within` and
        `SEG-Y Recorder Should Recover Within` call it with each service's own check.

        | `Delete Pod` | ${pod} |
        | ${seconds} = | `Workload Should Recover Within` | segy-recorder | 30s |
        | ${seconds} = | `Workload Should Recover Within` | ${FOCUS_SERVER_WORKLOAD} | 30s |
        | ... | answers=Focus Server Should Answer |

        A failure says how far recovery got, e.g.:

        | focus-server did not recover within 30 s of Delete Pod
        |   panda/panda-panda-focus-server-7d9c4-x2k8p (workload panda/panda-panda-focus-server):
        |   new pod ...-q9w2z (Running, ready=False, restarts=0) not ready yet.
        | Seen since the disruption:
        |      0.0 s  focus-server pod ...-x2k8p (Running, ready=False, restarts=0, Terminating)
        |             is still there; no new focus-server pod yet
        |      1.2 s  new pod ...-q9w2z (Pending, ready=False, restarts=0) not ready yet
        |      1.4 s  new pod ...-q9w2z (Running, ready=False, restarts=0) not ready yet

        Returns the seconds, e.g. ``4.21``.
        """
        kube = self.kube
        disruption = self.disruptions.last(kube.namespace, workload)
        label = label or workload

        def answered(_new_pod: str) -> str | None:
            if answers is None:
                return None
            try:
                BuiltIn().run_keyword(answers, *(answer_args or []))
            except ExecutionFailed as error:
                if error.dont_continue:  # a test timeout or a fatal error
                    raise
                return str(error).splitlines()[0][:300]
            return None

        recovery = wait_for_recovery(
            lambda: kube.workload_pods(workload, include_terminating=True),
            disruption,
            timeout.total_seconds(),
            answered,
            label,
            on_progress=logger.info,
        )
        _log(label, recovery)
        return round(recovery.seconds, 2)

    @keyword
    def workloads_should_recover_within(self, timeout: timedelta, *workloads: str) -> float:
        """Waits until each of ``workloads`` recovered from its last `Delete Pod` or
        `Scale Deployment` of this test (a new Ready pod, no old pod left; see
        `Workload Should Recover Within`), each within ``timeout`` of its own disruption.
        Returns the seconds until the last one recovered.

        | `Delete Pod` | ${mongodb_pod} |
        | `Delete Pod` | ${recorder_pod} |
        | ${seconds} = | `Workloads Should Recover Within` | 2 min | mongodb | segy-recorder |

        Returns the seconds, e.g. ``7.8``.
        """
        slowest = 0.0
        for workload in workloads:
            slowest = max(slowest, self.workload_should_recover_within(workload, timeout))
        return slowest

    @keyword
    def get_disruption_time(self, workload: str) -> str:
        """When the last `Delete Pod` or `Scale Deployment` of ``workload`` in this test was
        requested, as ISO-8601 UTC with milliseconds: what a check of "something the new
        pod did" compares with.

        | ${since} = | `Get Disruption Time` | segy-recorder |

        Returns, e.g., ``2026-11-22T08:00:03.125Z``.
        """
        moment = self.disruptions.last(self.kube.namespace, workload).started_at
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _log(label: str, recovery: Recovery) -> None:
    logger.info(
        f"{label} recovered in {recovery.seconds:.2f} s: new pod {recovery.new_pod} Ready "
        f"after {recovery.ready_after:.2f} s, no old pod left after "
        f"{recovery.old_gone_after:.2f} s, answered after {recovery.seconds:.2f} s"
    )
