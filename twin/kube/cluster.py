"""The supervisor as the API server sees it: objects to serve, actions to take.

:class:`ClusterView` mirrors the supervisor's pods, workloads, Jobs and Services into
the :class:`~twin.kube.store.Store` on every change (which emits the watch events),
implements the API server's :class:`~twin.kube.handling.Cluster` protocol, writes the
kubeconfig and runs the HTTPS server.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import os
import secrets as random_secrets
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from twin import config
from twin.kube import discovery, objects, update
from twin.kube.handling import ApiError
from twin.kube.handling import status as status_body
from twin.kube.jobs import KNOWN_IMAGES, InvalidObject, JobRecord, job_from_body, service_from_body
from twin.kube.podlog import PodLog
from twin.kube.routes import serve
from twin.kube.store import DEFAULT_HISTORY, Store
from twin.workloads import WorkloadSpec

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


@dataclass
class BlockedPod:
    """A pod whose image the twin does not have: it stays Pending and runs nothing."""

    name: str
    spec: WorkloadSpec
    owner: dict
    labels: dict
    uid: str
    created_at: str
    container_name: str
    image: str
    phase: str = "Pending"
    ready: bool = False
    ready_since: str | None = None
    process_running: bool = False
    deletion_timestamp: str | None = None
    deletion_grace: float = 0.0
    started_at: str | None = None
    finished_at: str | None = None
    last_exit_code: int | None = None
    last_state: dict | None = None
    restart_count: int = 0
    waiting_reason: str = "ImagePullBackOff"

    @property
    def waiting_message(self) -> str:
        return (
            f'Back-off pulling image "{self.image}": ErrImagePull: failed to pull and unpack '
            f'image "{self.image}": the twin has no such image (it runs only '
            f"{', '.join(sorted(KNOWN_IMAGES))})"
        )

    @property
    def container_id(self) -> str:
        return ""


@dataclass
class BlockedJob:
    job: JobRecord
    pod: BlockedPod


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
        self.store.before_read = self.flush
        self._sync_pending = False
        self.created_at = _now()
        self.services: dict[str, dict] = {}
        self.events: deque[dict] = deque(maxlen=_KEEP_EVENTS)
        self.overlays: dict[str, dict] = {}  # uid -> what clients changed (labels, images ...)
        self.blocked: dict[str, BlockedJob] = {}  # Jobs whose image the twin does not have
        self.node = objects.node_object(self.created_at)
        self._runner: web.AppRunner | None = None
        self._internal: web.AppRunner | None = None
        for workload in supervisor.workloads.values():
            if workload.spec.service_ports:
                self.services[workload.spec.name] = objects.workload_service(
                    workload.spec, supervisor.endpoints, _uid(), self.created_at, self.namespace
                )

    # ------------------------------------------------------------------ mirror
    def mark_dirty(self) -> None:
        """The supervisor changed: sync once, at the end of this burst of changes (the next
        turn of the event loop), or before anything reads the store, whichever is first.
        Syncing on every change rebuilt every object several times per pod start."""
        if self._sync_pending:
            return
        self._sync_pending = True
        try:
            asyncio.get_running_loop().call_soon(self.flush)
        except RuntimeError:  # no event loop (a test of the view alone): at once
            self.flush()

    def flush(self) -> None:
        """Sync now if a change is waiting (every read of the store calls this first)."""
        if self._sync_pending:
            self._sync_pending = False
            self.sync()

    def sync(self) -> None:
        sup, ns = self.supervisor, self.namespace
        pods = {}
        for name, pod in sup.pods.items():
            if pod.spec.kind == "Host":  # the SSH hosts are machines, not pods
                continue
            job = sup.jobs.get(pod.owner["name"]) if pod.owner["kind"] == "Job" else None
            template = job.spec["template"] if job is not None else None
            if template is not None:
                # the kubelet names the container as the template does
                pod.container_name = template["spec"]["containers"][0]["name"]
            pods[name] = objects.pod_object(pod, ns, template)
        for blocked in self.blocked.values():
            pods[blocked.pod.name] = objects.pod_object(
                blocked.pod, ns, blocked.job.spec["template"]
            )
        self.store.sync("Pod", self._dressed(pods))
        for kind in ("Deployment", "StatefulSet"):
            self.store.sync(
                kind,
                self._dressed(
                    {
                        name: objects.workload_object(workload, sup.pods_of(name), ns)
                        for name, workload in sup.workloads.items()
                        if workload.spec.kind == kind
                    }
                ),
            )
        jobs = {
            name: objects.job_object(job, sup.pods_of(name), ns) for name, job in sup.jobs.items()
        }
        for name, blocked in self.blocked.items():
            jobs[name] = objects.job_object(blocked.job, [blocked.pod], ns)
        self.store.sync("Job", self._dressed(jobs))
        self.store.sync("Service", self._dressed(dict(self.services)))
        self.store.sync("Event", {event["metadata"]["name"]: event for event in self.events})
        self.store.sync(
            "Namespace",
            self._dressed(
                {name: objects.namespace_object(name, self.created_at) for name in (ns, "default")}
            ),
        )
        self.store.sync("Node", self._dressed({objects.NODE: self.node}))

    def _dressed(self, current: dict[str, dict]) -> dict[str, dict]:
        """The objects with the metadata and template changes clients made through the API."""
        for obj in current.values():
            overlay = self.overlays.get(obj["metadata"]["uid"])
            if overlay:
                update.dress(obj, overlay)
        return current

    def record_event(
        self, pod: Any, reason: str, message: str, kind_of_event: str = "Normal"
    ) -> None:
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
                "type": kind_of_event,
                "count": 1,
                "firstTimestamp": now,
                "lastTimestamp": now,
                "source": {"component": "twin-supervisor", "host": objects.NODE},
            }
        )

    # ------------------------------------------------------------------ Cluster protocol
    def create(self, kind: str, body: dict, dry_run: bool) -> dict:
        if kind == "Job":
            return self._create_job(body, dry_run)
        if kind == "Service":
            return self._create_service(body, dry_run)
        raise ApiError(
            405,
            "MethodNotAllowed",
            f"create is not supported for {kind} on the twin (it creates Jobs and Services)",
        )

    def _create_job(self, body: dict, dry_run: bool) -> dict:
        try:
            job = job_from_body(body, _uid(), _now())
        except InvalidObject as error:
            raise ApiError(422, "Invalid", f"Job.batch is invalid: {error}") from None
        if job.name in self.supervisor.jobs or job.name in self.blocked:
            raise _already_exists("jobs", "batch", job.name)
        if dry_run:
            return self._stamped(objects.job_object(job, [], self.namespace))
        if job.image_known:
            self.supervisor.add_job(job)
        else:
            self.blocked[job.name] = BlockedJob(job, self._blocked_pod(job))
            self.supervisor.changed()
        return self.store.written("Job", job.name)

    def _blocked_pod(self, job: JobRecord) -> BlockedPod:
        """A Job pod whose image the twin does not have: Pending, pulling, never run."""
        pod = BlockedPod(
            name=f"{job.name}-{_uid()[:5]}",
            spec=job.pod_spec,
            owner={"apiVersion": "batch/v1", "kind": "Job", "name": job.name, "uid": job.uid},
            labels=dict(job.spec["template"]["metadata"]["labels"]),
            uid=_uid(),
            created_at=_now(),
            container_name=job.container["name"],
            image=job.container["image"],
        )
        self.record_event(
            pod, "Scheduled", f"Successfully assigned {self.namespace}/{pod.name} to twin"
        )
        self.record_event(pod, "Pulling", f'Pulling image "{pod.image}"')
        self.record_event(pod, "Failed", pod.waiting_message, "Warning")
        self.record_event(pod, "Failed", "Error: ErrImagePull", "Warning")
        self.record_event(pod, "BackOff", f'Back-off pulling image "{pod.image}"', "Normal")
        self.record_event(pod, "Failed", "Error: ImagePullBackOff", "Warning")
        return pod

    def _create_service(self, body: dict, dry_run: bool) -> dict:
        try:
            service = service_from_body(body, _uid(), _now(), self.namespace)
        except InvalidObject as error:
            raise ApiError(422, "Invalid", f"Service is invalid: {error}") from None
        name = service["metadata"]["name"]
        if name in self.services:
            raise _already_exists("services", "", name)
        if dry_run:
            return self._stamped(service)
        self.services[name] = service
        self.supervisor.changed()
        return self.store.written("Service", name)

    def _stamped(self, obj: dict) -> dict:
        obj = copy.deepcopy(obj)
        obj["metadata"].pop("resourceVersion", None)
        return obj

    def delete(
        self, kind: str, obj: dict, grace: float | None, propagation: str | None, dry_run: bool
    ) -> dict:
        """Delete ``obj``; the answer is the object (or a Status for a Job), as upstream's."""
        name = obj["metadata"]["name"]
        if kind == "Pod":
            if dry_run:
                return obj
            blocked = next((b for b in self.blocked.values() if b.pod.name == name), None)
            if blocked is not None:  # the Job controller replaces it at once
                blocked.pod = self._blocked_pod(blocked.job)
                self.supervisor.changed()
                return obj
            self.supervisor.delete_pod(name, grace)
            return self.store.get("Pod", name) or obj
        if kind == "Job":
            if not dry_run:
                if self.blocked.pop(name, None) is not None:
                    self.supervisor.changed()
                else:
                    self.supervisor.remove_job(name, delete_pods=propagation != "Orphan")
            details = {
                "name": name,
                "group": "batch",
                "kind": "jobs",
                "uid": obj["metadata"]["uid"],
            }
            return status_body(200, "", "", details) | {"status": "Success"}
        if kind == "Service":
            if not dry_run:
                self.services.pop(name, None)
                self.supervisor.changed()
            return obj
        raise ApiError(
            405,
            "MethodNotAllowed",
            f"delete is not supported for {kind} on the twin (it deletes Pods, Jobs and Services)",
        )

    def scale(self, kind: str, name: str, replicas: int, dry_run: bool) -> bool:
        if dry_run:
            return name in self.supervisor.workloads
        return self.supervisor.scale(name, replicas)

    def update(self, kind: str, old: dict, new: dict, dry_run: bool) -> dict:
        """Make ``old`` into ``new`` where the twin can; the object as it then is."""
        change = update.plan(kind, old, new)
        if dry_run:
            return update.preview(old, new, change)
        uid = old["metadata"]["uid"]
        overlay = self.overlays.setdefault(uid, {})
        overlay.update(change.overlay)
        name = old["metadata"]["name"]
        workload = self.supervisor.workloads.get(name) if kind in update.WORKLOADS else None
        if workload is not None and change.template_changed:
            workload.generation += 1
            for pod in self.supervisor.pods_of(name):  # a rollout: new pods from the template
                self.supervisor.delete_pod(pod.name)
        if change.replicas is not None and workload is not None:
            self.supervisor.scale(name, change.replicas)
        self.supervisor.changed()
        return self.store.written(kind, name)

    def pod_log(self, name: str) -> tuple[PodLog, str] | None:
        blocked = next((b for b in self.blocked.values() if b.pod.name == name), None)
        if blocked is not None:
            raise ApiError(
                400,
                "BadRequest",
                f'container "{blocked.pod.container_name}" in pod "{name}" is waiting to start: '
                "trying and failing to pull image",
            )
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
