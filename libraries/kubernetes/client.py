"""A plain Kubernetes client for the suite (no Robot imports), over the official client.

Every call has a request timeout; every wait has a timeout and fails with a
:class:`KubeError` that names the namespace and the object, what it waited for, for
how long, and what it last saw.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.rest import ApiException
from urllib3.exceptions import HTTPError as Urllib3Error

from libraries.common import polling
from libraries.kubernetes.ssh_fallback import KubectlOverSsh, SshRoute

T = TypeVar("T")
POLL_S = 0.1


# urllib3 warns on the console for each retry of an unreachable API; the keyword's own
# failure (or the SSH fallback's note) says it once, in the log.
logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)

# The API cannot be reached at all (refused, timed out, TLS, DNS): not an API answer.
UNREACHABLE = (Urllib3Error, ConnectionError, TimeoutError, OSError)


def short_reason(error: BaseException) -> str:
    text = str(getattr(error, "reason", "") or error)
    found = re.search(r"\[Errno -?\d+\] ([^'\")]+)", text)
    if found:
        return found.group(1).strip().lower()
    return "timed out" if "timed out" in text.lower() else text.splitlines()[0][:120]


class KubeError(AssertionError):
    """A Kubernetes check or wait failed; the message says where and what was seen."""


@dataclass(frozen=True)
class Replacement:
    """The outcome of deleting a pod: who replaced it and how long recovery took."""

    deleted: str
    replacement: str
    seconds: float


def pod_ready(pod: Any) -> bool:
    conditions = (pod.status and pod.status.conditions) or []
    return any(c.type == "Ready" and c.status == "True" for c in conditions)


def pod_summary(pod: Any) -> str:
    """One line: name, phase, Ready, restarts, Terminating."""
    statuses = (pod.status and pod.status.container_statuses) or []
    restarts = sum(s.restart_count for s in statuses)
    terminating = " Terminating" if pod.metadata.deletion_timestamp else ""
    return (
        f"{pod.metadata.name} ({pod.status.phase}, ready={pod_ready(pod)}, "
        f"restarts={restarts}{terminating})"
    )


def wait_until(
    probe: Callable[[], T | None], timeout: float, what: str, last_seen: Callable[[], str]
) -> tuple[T, float]:
    """Poll ``probe`` until it returns a value; (value, seconds waited) or KubeError.

    The loop is the shared one (:func:`libraries.common.polling.wait_until`);
    ``last_seen()`` describes the cluster for the failure message.
    """
    started = time.monotonic()
    value = polling.wait_until(
        probe,
        lambda value: value is not None and value is not False,
        what=what,
        timeout=timeout,
        interval=POLL_S,
        describe=lambda _: last_seen(),
        error=KubeError,
    )
    assert value is not None  # the check above let only a value through
    return value, time.monotonic() - started


class KubeClient:
    """One connection: an API client, a namespace and a request timeout."""

    def __init__(self, api_client: k8s.ApiClient, namespace: str, request_timeout: float) -> None:
        self.api_client = api_client
        self.namespace = namespace
        self.timeout = request_timeout
        self.core = k8s.CoreV1Api(api_client)
        self.apps = k8s.AppsV1Api(api_client)
        self.batch = k8s.BatchV1Api(api_client)
        # kubectl over SSH on the worker node, for when the API is unreachable from here.
        self.fallback: KubectlOverSsh | None = None
        self.on_fallback: Callable[[str], None] = lambda note: None

    @classmethod
    def from_kubeconfig(
        cls, kubeconfig: str, context: str | None, namespace: str, request_timeout: float
    ) -> KubeClient:
        api_client = k8s_config.new_client_from_config(config_file=kubeconfig, context=context)
        return cls(api_client, namespace, request_timeout)

    @classmethod
    def in_cluster(cls, namespace: str, request_timeout: float) -> KubeClient:
        configuration = k8s.Configuration()
        k8s_config.load_incluster_config(client_configuration=configuration)
        return cls(k8s.ApiClient(configuration), namespace, request_timeout)

    def close(self) -> None:
        self.api_client.close()
        if self.fallback is not None:
            self.fallback.close()

    def use_ssh_fallback(self, route: SshRoute) -> None:
        """When the API is unreachable, list/read/delete pods and read logs with kubectl
        on the worker node over SSH; the answers have the same shapes."""
        self.fallback = KubectlOverSsh(route, self.namespace, KubeError)

    def _api_or_ssh(self, api: Callable[[], T], ssh: Callable[[KubectlOverSsh], T]) -> T:
        if self.fallback is None:
            return api()
        try:
            return api()
        except UNREACHABLE as error:
            reason = short_reason(error)
        self.on_fallback(
            f"Kubernetes API at {self.api_client.configuration.host} unreachable ({reason}): "
            f"using {self.fallback.route.describe()}"
        )
        return ssh(self.fallback)

    def where(self, kind: str, name: str) -> str:
        return f"{kind} {self.namespace}/{name}"

    # ------------------------------------------------------------------ pods
    def list_pods(self, label_selector: str = "", name_pattern: str | None = None) -> list[Any]:
        pods = self._api_or_ssh(
            lambda: (
                self.core.list_namespaced_pod(
                    self.namespace, label_selector=label_selector, _request_timeout=self.timeout
                ).items
            ),
            lambda ssh: ssh.list_pods(label_selector),
        )
        if name_pattern:
            pattern = re.compile(name_pattern)
            pods = [pod for pod in pods if pattern.search(pod.metadata.name)]
        return sorted(pods, key=lambda pod: pod.metadata.name)

    def get_pod(self, name: str) -> Any:
        try:
            return self._api_or_ssh(
                lambda: self.core.read_namespaced_pod(
                    name, self.namespace, _request_timeout=self.timeout
                ),
                lambda ssh: ssh.get_pod(name),
            )
        except ApiException as error:
            if error.status == 404:
                raise KubeError(f"{self.where('pod', name)} does not exist") from None
            raise

    def find_pod(self, name: str) -> Any | None:
        try:
            return self.get_pod(name)
        except KubeError:
            return None

    def workload_pods(self, workload: str, include_terminating: bool = False) -> list[Any]:
        pods = self.list_pods(f"app={workload}")
        return [p for p in pods if include_terminating or not p.metadata.deletion_timestamp]

    def describe_pods(self, workload: str) -> str:
        pods = self.workload_pods(workload, include_terminating=True)
        return ", ".join(pod_summary(pod) for pod in pods) or "no pod"

    def delete_pod(self, name: str, grace_seconds: int | None = None) -> Any:
        try:
            return self._api_or_ssh(
                lambda: self.core.delete_namespaced_pod(
                    name,
                    self.namespace,
                    grace_period_seconds=grace_seconds,
                    _request_timeout=self.timeout,
                ),
                lambda ssh: ssh.delete_pod(name, grace_seconds),
            )
        except ApiException as error:
            if error.status == 404:
                raise KubeError(f"cannot delete {self.where('pod', name)}: not found") from None
            raise

    def delete_pod_and_wait_for_replacement(
        self, name: str, timeout: float, grace_seconds: int | None = None
    ) -> Replacement:
        """Delete a workload's pod; wait until another pod of it (new uid) is Ready.

        The recovery time runs from the delete request to the replacement's Ready.
        """
        pod = self.get_pod(name)
        workload = (pod.metadata.labels or {}).get("app")
        if not workload:
            raise KubeError(f"{self.where('pod', name)} has no 'app' label: no owner to wait on")
        old_uid = pod.metadata.uid
        started = time.monotonic()
        self.delete_pod(name, grace_seconds)

        def replacement() -> Any | None:
            for candidate in self.workload_pods(workload):
                if candidate.metadata.uid != old_uid and pod_ready(candidate):
                    return candidate
            return None

        new, _ = wait_until(
            replacement,
            timeout,
            f"a Ready replacement of {self.where('pod', name)} (workload {workload})",
            lambda: self.describe_pods(workload),
        )
        return Replacement(name, new.metadata.name, time.monotonic() - started)

    def logs(
        self,
        name: str,
        tail_lines: int | None = None,
        since_seconds: int | None = None,
        timestamps: bool = False,
    ) -> str:
        kwargs: dict[str, Any] = {"timestamps": timestamps, "_request_timeout": self.timeout}
        if tail_lines is not None:
            kwargs["tail_lines"] = tail_lines
        if since_seconds is not None:
            kwargs["since_seconds"] = since_seconds
        try:
            return self._api_or_ssh(
                lambda: self.core.read_namespaced_pod_log(name, self.namespace, **kwargs) or "",
                lambda ssh: ssh.logs(name, tail_lines, since_seconds, timestamps),
            )
        except ApiException as error:
            if error.status == 404:
                raise KubeError(f"no logs: {self.where('pod', name)} does not exist") from None
            raise

    # ------------------------------------------------------------------ workloads
    def workload(self, name: str) -> tuple[str, Any]:
        """("Deployment" | "StatefulSet", object) of the workload called ``name``."""
        for kind, read in (
            ("Deployment", self.apps.read_namespaced_deployment),
            ("StatefulSet", self.apps.read_namespaced_stateful_set),
        ):
            try:
                return kind, read(name, self.namespace, _request_timeout=self.timeout)
            except ApiException as error:
                if error.status != 404:
                    raise
        raise KubeError(f"no Deployment or StatefulSet {self.namespace}/{name}")

    def workload_ready(self, name: str) -> tuple[bool, str]:
        """(ready, description): all desired replicas Ready and none missing."""
        kind, obj = self.workload(name)
        desired = obj.spec.replicas or 0
        ready = (obj.status and obj.status.ready_replicas) or 0
        current = (obj.status and obj.status.replicas) or 0
        text = f"{kind} {self.namespace}/{name}: {ready}/{desired} ready, {current} current"
        return ready == desired and current == desired, text

    def scale(self, name: str, replicas: int) -> str:
        kind, _ = self.workload(name)
        body = {"spec": {"replicas": int(replicas)}}
        if kind == "Deployment":
            self.apps.patch_namespaced_deployment_scale(
                name, self.namespace, body, _request_timeout=self.timeout
            )
        else:
            self.apps.patch_namespaced_stateful_set_scale(
                name, self.namespace, body, _request_timeout=self.timeout
            )
        return kind

    def services(self, label_selector: str = "") -> list[Any]:
        found: list[Any] = self.core.list_namespaced_service(
            self.namespace, label_selector=label_selector, _request_timeout=self.timeout
        ).items
        return found

    def service(self, name: str) -> Any | None:
        try:
            return self.core.read_namespaced_service(
                name, self.namespace, _request_timeout=self.timeout
            )
        except ApiException as error:
            if error.status == 404:
                return None
            raise

    # ------------------------------------------------------------------ jobs
    def jobs(self, label_selector: str = "", name_prefix: str = "") -> list[Any]:
        jobs = self.batch.list_namespaced_job(
            self.namespace, label_selector=label_selector, _request_timeout=self.timeout
        ).items
        return sorted(
            (job for job in jobs if job.metadata.name.startswith(name_prefix)),
            key=lambda job: job.metadata.name,
        )

    def job(self, name: str) -> Any | None:
        try:
            return self.batch.read_namespaced_job(
                name, self.namespace, _request_timeout=self.timeout
            )
        except ApiException as error:
            if error.status == 404:
                return None
            raise

    def job_pods(self, job_name: str) -> list[Any]:
        return self.list_pods(f"job-name={job_name}")
