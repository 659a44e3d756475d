"""The supervisor as the API server sees it: objects to serve, actions to take.

:class:`ClusterView` mirrors the supervisor's pods, workloads, Jobs and Services into
the :class:`~twin.kube.store.Store` on every change (which emits the watch events),
implements the API server's :class:`~twin.kube.server.Cluster` protocol, writes the
kubeconfig and runs the HTTPS server.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets as random_secrets
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from twin import config
from twin.kube import discovery, objects
from twin.kube.jobs import InvalidObject, JobRecord, job_from_body, service_from_body
from twin.kube.podlog import PodLog
from twin.kube.server import ApiError, serve
from twin.kube.store import DEFAULT_HISTORY, Store

if TYPE_CHECKING:
    from aiohttp import web

HISTORY_ENV = "TWIN_KUBE_EVENT_HISTORY"
# While this file exists in the twin's directory the external API port is closed.
KUBE_API_CLOSED = "kube-api-closed"
_KEEP_EVENTS = 300


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _uid() -> str:
    return random_secrets.token_hex(16)


class Controller(Protocol):
    """What the API server's view needs of the supervisor's controller
    (:class:`twin.supervisor.controller.Supervisor`); declared here, so ``twin.kube``
    does not import the supervisor that imports it."""

    base: Path
    stopping: bool
    endpoints: dict
    secrets: dict
    workloads: dict[str, Any]
    pods: dict[str, Any]
    jobs: dict[str, Any]

    def pods_of(self, owner_name: str) -> list[Any]: ...

    def changed(self) -> None: ...

    def delete_pod(self, name: str, grace: float | None = None) -> bool: ...

    def scale(self, name: str, replicas: int) -> bool: ...

    def add_job(self, job: JobRecord) -> None: ...

    def remove_job(self, name: str, delete_pods: bool) -> bool: ...


class ClusterView:
    """The supervisor's Kubernetes face (one per supervisor)."""

    def __init__(self, supervisor: Controller) -> None:
        self.supervisor = supervisor
        self.namespace = supervisor.endpoints["kube"]["namespace"]
        self.store = Store(int(os.environ.get(HISTORY_ENV, DEFAULT_HISTORY)))
        self.created_at = _now()
        self.services: dict[str, dict] = {}
        self.events: deque[dict] = deque(maxlen=_KEEP_EVENTS)
        self._runner: web.AppRunner | None = None
        self._internal: web.AppRunner | None = None
        for workload in supervisor.workloads.values():
            if workload.spec.service_ports:
                self.services[workload.spec.name] = objects.workload_service(
                    workload.spec, supervisor.endpoints, _uid(), self.created_at, self.namespace
                )

    # ------------------------------------------------------------------ mirror
    def sync(self) -> None:
        sup, ns = self.supervisor, self.namespace
        pods = {
            name: objects.pod_object(pod, ns)
            for name, pod in sup.pods.items()
            if pod.spec.kind != "Host"  # the SSH hosts are machines, not pods
        }
        self.store.sync("Pod", pods)
        for kind in ("Deployment", "StatefulSet"):
            self.store.sync(
                kind,
                {
                    name: objects.workload_object(workload, sup.pods_of(name), ns)
                    for name, workload in sup.workloads.items()
                    if workload.spec.kind == kind
                },
            )
        self.store.sync(
            "Job",
            {
                name: objects.job_object(job, sup.pods_of(name), ns)
                for name, job in sup.jobs.items()
            },
        )
        self.store.sync("Service", dict(self.services))
        self.store.sync("Event", {event["metadata"]["name"]: event for event in self.events})
        self.store.sync(
            "Namespace",
            {name: objects.namespace_object(name, self.created_at) for name in (ns, "default")},
        )

    def record_event(self, pod: Any, reason: str, message: str) -> None:
        if pod.spec.kind == "Host":
            return
        now = _now()
        self.events.append(
            {
                "kind": "Event",
                "apiVersion": "v1",
                "metadata": objects.meta(f"{pod.name}.{_uid()[:16]}", self.namespace, _uid(), now),
                "involvedObject": {
                    "kind": "Pod",
                    "namespace": self.namespace,
                    "name": pod.name,
                    "uid": pod.uid,
                    "apiVersion": "v1",
                },
                "reason": reason,
                "message": message,
                "type": "Normal",
                "count": 1,
                "firstTimestamp": now,
                "lastTimestamp": now,
                "source": {"component": "twin-supervisor", "host": objects.NODE},
            }
        )

    # ------------------------------------------------------------------ Cluster protocol
    def delete_pod(self, name: str, grace: float | None) -> bool:
        return self.supervisor.delete_pod(name, grace)

    def scale(self, kind: str, name: str, replicas: int) -> bool:
        return self.supervisor.scale(name, replicas)

    def create_job(self, body: dict) -> str:
        try:
            job = job_from_body(body, _uid(), _now())
        except InvalidObject as error:
            raise ApiError(422, "Invalid", f"Job is invalid: {error}") from None
        if job.name in self.supervisor.jobs:
            raise _already_exists("jobs", "batch", job.name)
        self.supervisor.add_job(job)
        return job.name

    def delete_job(self, name: str, propagation: str | None) -> bool:
        return self.supervisor.remove_job(name, delete_pods=propagation != "Orphan")

    def create_service(self, body: dict) -> str:
        try:
            service = service_from_body(body, _uid(), _now(), self.namespace)
        except InvalidObject as error:
            raise ApiError(422, "Invalid", f"Service is invalid: {error}") from None
        name = service["metadata"]["name"]
        if name in self.services:
            raise _already_exists("services", "", name)
        self.services[name] = service
        self.supervisor.changed()
        return name

    def delete_service(self, name: str) -> bool:
        found = self.services.pop(name, None) is not None
        self.supervisor.changed()
        return found

    def pod_log(self, name: str) -> tuple[PodLog, str] | None:
        pod = self.supervisor.pods.get(name)
        return (pod.log, pod.container_name) if pod and pod.spec.kind != "Host" else None

    # ------------------------------------------------------------------ server
    def write_kubeconfig(self) -> None:
        kube = self.supervisor.endpoints["kube"]
        targets = [(kube["url"], kube["kubeconfig"])]
        if kube.get("internal_port"):
            internal = f"https://{config.HOST}:{kube['internal_port']}"
            targets.append((internal, kube["internal_kubeconfig"]))
        for server, target in targets:
            text = discovery.kubeconfig(
                server,
                self.supervisor.endpoints["ca"],
                self.supervisor.secrets["kube_token"],
                kube["namespace"],
            )
            fd = os.open(f"{target}.tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(text)
            os.replace(f"{target}.tmp", target)

    async def _serve(self, port: int) -> web.AppRunner:
        endpoints = self.supervisor.endpoints
        return await serve(
            self,
            self.supervisor.secrets["kube_token"],
            port,
            endpoints["server_cert"],
            endpoints["server_key"],
        )

    async def start(self) -> None:
        self.write_kubeconfig()
        self.sync()
        kube = self.supervisor.endpoints["kube"]
        self._runner = await self._serve(kube["port"])
        # The cluster-internal address (the worker node's kubectl): it stays open while
        # the external port is closed, as a firewall between tester and cluster would.
        if kube.get("internal_port"):
            self._internal = await self._serve(kube["internal_port"])

    async def apply_port_switch(self) -> None:
        """Close the external API port while ``<twin>/kube-api-closed`` exists; reopen after.

        ``python -m twin``'s :func:`twin.control.set_kube_api_port` writes the file; the
        SSH fallback tests use it to take the API away from the tester only.
        """
        closed = (self.supervisor.base / KUBE_API_CLOSED).exists()
        if closed and self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
        elif not closed and self._runner is None and not self.supervisor.stopping:
            self._runner = await self._serve(self.supervisor.endpoints["kube"]["port"])

    async def stop(self) -> None:
        for queue in list(self.store.watchers):
            queue.put_nowait(None)
        for runner in (self._runner, self._internal):
            if runner is not None:
                await runner.cleanup()
        self._runner = self._internal = None


def _already_exists(plural: str, group: str, name: str) -> ApiError:
    qualified = f"{plural}.{group}" if group else plural
    return ApiError(
        409,
        "AlreadyExists",
        f'{qualified} "{name}" already exists',
        {"name": name, "group": group, "kind": plural},
    )
