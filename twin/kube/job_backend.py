"""A task's gRPC job as a Kubernetes Job and NodePort Service, through the official client.

Implements the focus server's ``JobBackend`` protocol (``twin/focus_server/jobs.py``)
the way the real focus server does it: ``start`` creates Job
``focus-server-grpc-<task_id>`` and Service ``grpc-service-<task_id>``; ``stop`` deletes
both (``propagationPolicy=Background``, so the Job's pod is stopped); ``is_alive`` is
true while the Job's pod is Pending or Running. On the twin the Job's pod is a
``python -m twin.grpc_job`` process run by the supervisor, on a port picked here and
written both into the container's arguments and into the Service.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from pathlib import Path

from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.rest import ApiException
from urllib3.exceptions import HTTPError

from contract import constants
from twin import config as twin_config
from twin import ports
from twin.grpc_job import protocol

REQUEST_TIMEOUT_S = 10.0
STOP_GRACE_S = 3
_ALIVE_CACHE_S = 0.5
JOB_IMAGE = "twin/focus-grpc-job:1"
log = logging.getLogger(__name__)


def job_name(task_id: str) -> str:
    return f"{constants.GRPC_JOB_PREFIX}{task_id}"


def service_name(task_id: str) -> str:
    return f"{constants.GRPC_SERVICE_PREFIX}{task_id}"


class KubeJobBackend:
    """Runs each task's gRPC job as a Kubernetes Job (plus its NodePort Service)."""

    # Creates are API calls, side by side as the real server's client makes them (below
    # the client's connection pool).
    start_concurrency = 4

    def __init__(
        self,
        kubeconfig: str | Path,
        namespace: str = constants.K8S_NAMESPACE,
        context: str | None = None,
        host: str = twin_config.HOST,
    ) -> None:
        api_client = k8s_config.new_client_from_config(config_file=str(kubeconfig), context=context)
        self.batch = k8s.BatchV1Api(api_client)
        self.core = k8s.CoreV1Api(api_client)
        self.namespace = namespace
        self.host = host
        self._alive: dict[str, tuple[float, bool]] = {}
        self._lock = threading.Lock()

    def _job(self, task_id: str, port: int, config: dict) -> k8s.V1Job:
        name = job_name(task_id)
        labels = {"app": name, "task-id": task_id}
        argv = [sys.executable, "-m", "twin.grpc_job", "--task-id", task_id, "--port", str(port)]
        container = k8s.V1Container(
            name="grpc-job",
            image=JOB_IMAGE,
            command=argv,
            env=[
                k8s.V1EnvVar(name=protocol.CONFIG_ENV, value=json.dumps(config)),
                k8s.V1EnvVar(name="PYTHONPATH", value=str(twin_config.REPO_ROOT)),
            ],
            ports=[k8s.V1ContainerPort(container_port=port, name="grpc")],
            readiness_probe=k8s.V1Probe(grpc=k8s.V1GRPCAction(port=port), period_seconds=1),
        )
        template = k8s.V1PodTemplateSpec(
            metadata=k8s.V1ObjectMeta(labels=labels),
            spec=k8s.V1PodSpec(
                containers=[container],
                restart_policy="Never",
                termination_grace_period_seconds=STOP_GRACE_S,
            ),
        )
        return k8s.V1Job(
            metadata=k8s.V1ObjectMeta(name=name, labels=labels),
            spec=k8s.V1JobSpec(template=template, backoff_limit=0),
        )

    def _service(self, task_id: str, port: int) -> k8s.V1Service:
        labels = {"app": job_name(task_id), "task-id": task_id}
        return k8s.V1Service(
            metadata=k8s.V1ObjectMeta(name=service_name(task_id), labels=labels),
            spec=k8s.V1ServiceSpec(
                type="NodePort",
                selector={"app": job_name(task_id)},
                ports=[k8s.V1ServicePort(name="grpc", port=port, target_port=port, node_port=port)],
            ),
        )

    def start(self, task_id: str, config: dict) -> tuple[str, int]:
        """Create the Job and its Service; ``(host, port)`` of the job's stream.

        Raises OSError when the API refuses, as the process backend does when it
        cannot spawn (the focus server then fails the task with a clear error).
        """
        port = ports.job_port(self.host)
        try:
            self.batch.create_namespaced_job(
                self.namespace, self._job(task_id, port, config), _request_timeout=REQUEST_TIMEOUT_S
            )
            self.core.create_namespaced_service(
                self.namespace, self._service(task_id, port), _request_timeout=REQUEST_TIMEOUT_S
            )
        except ApiException as error:
            self.stop(task_id)
            raise OSError(
                f"cannot create job {job_name(task_id)}: {error.status} {error.reason}"
            ) from None
        with self._lock:
            self._alive[task_id] = (time.monotonic(), True)
        return self.host, port

    def stop(self, task_id: str) -> None:
        """Delete the Job (Background: its pod is stopped) and the Service; no error if gone."""
        with self._lock:
            self._alive.pop(task_id, None)
        for delete, name in (
            (self.batch.delete_namespaced_job, job_name(task_id)),
            (self.core.delete_namespaced_service, service_name(task_id)),
        ):
            try:
                delete(
                    name,
                    self.namespace,
                    propagation_policy="Background",
                    _request_timeout=REQUEST_TIMEOUT_S,
                )
            except ApiException as error:
                if error.status != 404:
                    raise
            except HTTPError as error:  # the API is gone (the twin is stopping): nothing to do
                log.warning("cannot delete %s: %s", name, error)

    def is_alive(self, task_id: str) -> bool:
        """True while the Job's pod is Pending or Running (cached for half a second)."""
        with self._lock:
            cached = self._alive.get(task_id)
        if cached is None:
            return False
        checked, alive = cached
        if time.monotonic() - checked < _ALIVE_CACHE_S:
            return alive
        try:
            pods = self.core.list_namespaced_pod(
                self.namespace,
                label_selector=f"job-name={job_name(task_id)}",
                _request_timeout=REQUEST_TIMEOUT_S,
            ).items
        except (ApiException, HTTPError):
            return alive  # the API is briefly unreachable: keep the last answer
        alive = any(
            pod.status.phase in ("Pending", "Running") and not pod.metadata.deletion_timestamp
            for pod in pods
        )
        with self._lock:
            if task_id in self._alive:
                self._alive[task_id] = (time.monotonic(), alive)
        return alive
