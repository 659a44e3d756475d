"""The gRPC Job and Service of each Focus task (``focus-server-grpc-<id>``)."""

from __future__ import annotations

from datetime import timedelta

from robot.api import logger
from robot.api.deco import keyword

from contract import constants
from libraries.common.arguments import task_id_of
from libraries.kubernetes.client import KubeError, pod_summary, wait_until
from libraries.kubernetes.keywords.base import LibraryComponent


def job_name(task: dict | str) -> str:
    return f"{constants.GRPC_JOB_PREFIX}{task_id_of(task)}"


def service_name(task: dict | str) -> str:
    return f"{constants.GRPC_SERVICE_PREFIX}{task_id_of(task)}"


class JobKeywords(LibraryComponent):
    """Keywords on the per-task Jobs, their pods and Services."""

    @keyword
    def get_jobs_for_task(self, task: dict | str) -> list[str]:
        """Names of the Jobs of a task (a configure response or a task id).

        | ${jobs} = | `Get Jobs For Task` | ${task} |
        | Length Should Be | ${jobs} | 1 |

        Returns a list, e.g. ``["focus-server-grpc-3f2a9c0e"]``.
        """
        return [job.metadata.name for job in self.kube.jobs(name_prefix=job_name(task))]

    @keyword
    def get_task_job_names(self) -> list[str]:
        """Names of every task Job (``focus-server-grpc-*``) in the namespace.

        Returns a list, e.g. ``["focus-server-grpc-3f2a9c0e", "focus-server-grpc-7b1d4e22"]``.
        """
        return [j.metadata.name for j in self.kube.jobs(name_prefix=constants.GRPC_JOB_PREFIX)]

    @keyword
    def wait_until_job_pod_is_running(
        self, task: dict | str, timeout: timedelta = timedelta(seconds=30)
    ) -> float:
        """Waits until the task's Job has a Running pod; returns the seconds waited.

        | ${seconds} = | `Wait Until Job Pod Is Running` | ${task} | timeout=30s |

        Returns the seconds waited, e.g. ``0.9``.
        """
        kube, name = self.kube, job_name(task)

        def running() -> bool:
            return any(p.status.phase == "Running" for p in kube.job_pods(name))

        _, waited = wait_until(
            running,
            timeout.total_seconds(),
            f"a Running pod of Job {kube.namespace}/{name}",
            lambda: ", ".join(pod_summary(p) for p in kube.job_pods(name)) or "no pod",
        )
        logger.info(f"Job {name}: pod Running after {waited:.2f} s")
        return waited

    @keyword
    def task_job_should_exist(self, task: dict | str) -> None:
        """Fails unless the task's Job and its NodePort Service exist."""
        kube = self.kube
        if kube.job(job_name(task)) is None:
            raise KubeError(f"Job {kube.namespace}/{job_name(task)} does not exist")
        service = kube.service(service_name(task))
        if service is None:
            raise KubeError(f"Service {kube.namespace}/{service_name(task)} does not exist")
        if service.spec.type != "NodePort":
            raise KubeError(
                f"Service {kube.namespace}/{service_name(task)} is {service.spec.type}, "
                "expected NodePort"
            )

    @keyword
    def wait_until_job_is_gone(
        self, task: dict | str, timeout: timedelta = timedelta(seconds=30)
    ) -> float:
        """Waits until the task's Job, its pods and its Service are all deleted.

        | `Wait Until Job Is Gone` | ${task} | timeout=30s |

        Returns the seconds waited, e.g. ``0.4``.
        """
        kube, name, service = self.kube, job_name(task), service_name(task)

        def leftovers() -> list[str]:
            found = [f"Job {name}"] if kube.job(name) is not None else []
            found += [f"pod {pod_summary(p)}" for p in kube.job_pods(name)]
            if kube.service(service) is not None:
                found.append(f"Service {service}")
            return found

        _, waited = wait_until(
            lambda: not leftovers(),
            timeout.total_seconds(),
            f"Job {kube.namespace}/{name} and Service {service} to be gone",
            lambda: ", ".join(leftovers()) or "nothing left",
        )
        return waited

    @keyword
    def wait_until_no_task_jobs_remain(self, timeout: timedelta = timedelta(seconds=60)) -> None:
        """Waits until no task Job, task Service or task pod is left (no leaks)."""
        kube = self.kube

        def leftovers() -> list[str]:
            jobs = self.get_task_job_names()
            pods = [p.metadata.name for p in kube.list_pods("job-name")]
            services = [
                s.metadata.name
                for s in kube.services()
                if s.metadata.name.startswith(constants.GRPC_SERVICE_PREFIX)
            ]
            return jobs + pods + services

        wait_until(
            lambda: not leftovers(),
            timeout.total_seconds(),
            f"no task Job, pod or Service in namespace {kube.namespace}",
            lambda: ", ".join(leftovers()),
        )
