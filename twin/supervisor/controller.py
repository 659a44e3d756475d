"""The supervisor's controller loop: keeps each workload at its replica count.

Like the Kubernetes controllers, a reconcile step keeps each workload at its
replica count (Terminating pods do not count): a deleted Deployment pod is replaced
at once under a new name, a StatefulSet pod under the same name once the old one is
gone. Jobs created through the API run their pod once (``restartPolicy: Never``).
``state.json`` is rewritten on every change. The Kubernetes API (:mod:`twin.kube`) is
served from this event loop. In lease mode the twin stops by itself once no owner
process is alive (see :mod:`twin.supervisor.daemon`).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets as random_secrets
import signal
import time
from pathlib import Path

from twin import bugs, config, processes
from twin.kube.cluster import ClusterView
from twin.kube.jobs import JobRecord
from twin.supervisor import daemon
from twin.supervisor.pod import Pod, now, suffix
from twin.workloads import WorkloadSpec


class Workload:
    """A Deployment or StatefulSet: its spec, desired replicas and identity."""

    def __init__(self, spec: WorkloadSpec) -> None:
        self.spec = spec
        self.replicas = spec.replicas
        self.uid = random_secrets.token_hex(16)
        self.created_at = now()
        self.generation = 1
        self.template_hash = hashlib.sha1(spec.name.encode() + self.uid.encode()).hexdigest()[:9]

    @property
    def owner(self) -> dict:
        if self.spec.kind == "StatefulSet":
            return {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": self.spec.name}
        name = f"{self.spec.name}-{self.template_hash}"
        return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": name}


class Supervisor:
    """Keeps every workload at its replica count, runs Jobs, and writes ``state.json``."""

    def __init__(
        self, base: Path, instance: str, lease_mode: bool, workloads: tuple[WorkloadSpec, ...]
    ) -> None:
        self.base = base
        self.workloads = {spec.name: Workload(spec) for spec in workloads}
        self.instance = instance
        self.lease_mode = lease_mode
        self.endpoints = config.load_endpoints(base)
        self.secrets = config.load_secrets(base)
        self.pods: dict[str, Pod] = {}
        self.jobs: dict[str, JobRecord] = {}
        self.stopping = False
        self.announced = False
        self.error: str | None = None
        self.watchdog_pid: int | None = None
        self.kube = ClusterView(self)
        self._stop_event = asyncio.Event()
        self._dirty = asyncio.Event()
        self._deletions: set[asyncio.Task] = set()

    @property
    def replicas(self) -> dict[str, int]:
        return {name: workload.replicas for name, workload in self.workloads.items()}

    def changed(self) -> None:
        self._dirty.set()
        self.kube.mark_dirty()

    def fail(self, message: str) -> None:
        self.error = message
        self.changed()
        self._stop_event.set()

    def request_stop(self) -> None:
        self._stop_event.set()

    @property
    def ready(self) -> bool:
        return all(
            any(pod.ready for pod in self.pods.values() if pod.spec.name == name)
            for name, workload in self.workloads.items()
            if workload.replicas > 0
        )

    def pods_of(self, owner_name: str) -> list[Pod]:
        return [pod for pod in self.pods.values() if pod.spec.name == owner_name]

    def _start_pod(self, pod: Pod) -> Pod:
        self.pods[pod.name] = pod
        self.kube.record_event(pod, "Scheduled", f"Successfully assigned panda/{pod.name} to twin")
        pod.run()
        self.changed()
        return pod

    def new_pod(self, workload: Workload, ordinal: int = 0) -> Pod:
        spec = workload.spec
        owner = {**workload.owner, "uid": workload.uid}
        if spec.kind == "StatefulSet":
            name = f"{spec.name}-{ordinal}"
            labels = {"app": spec.name, "statefulset.kubernetes.io/pod-name": name}
        elif spec.kind == "Host":
            name, labels = spec.name, {"app": spec.name}
        else:
            name = f"{spec.name}-{workload.template_hash}-{suffix(5)}"
            labels = {"app": spec.name, "pod-template-hash": workload.template_hash}
        return self._start_pod(Pod(self, spec, name, owner, labels))

    # ------------------------------------------------------------------ reconcile
    def reconcile(self) -> None:
        """Bring every workload to its replica count and every Job to one live pod."""
        if self.stopping:
            return
        for workload in self.workloads.values():
            self._reconcile_workload(workload)
        for job in list(self.jobs.values()):
            self._reconcile_job(job)

    def _reconcile_workload(self, workload: Workload) -> None:
        pods = self.pods_of(workload.spec.name)
        live = [pod for pod in pods if not pod.deletion_timestamp]
        want = workload.replicas
        if workload.spec.kind == "StatefulSet":
            for ordinal in range(want):
                if f"{workload.spec.name}-{ordinal}" not in self.pods:
                    self.new_pod(workload, ordinal)
            extra = [p for p in live if int(p.name.rsplit("-", 1)[1]) >= want]
        else:
            for _ in range(want - len(live)):
                self.new_pod(workload)
            extra = sorted(live, key=lambda p: p.created_at)[want:] if len(live) > want else []
        for pod in extra:
            self.delete_pod(pod.name)

    def _reconcile_job(self, job: JobRecord) -> None:
        if job.condition:
            return
        pods = self.pods_of(job.name)
        if any(pod.phase == "Succeeded" for pod in pods):
            job.condition, job.finished_at = "Complete", now()
            self.changed()
            return
        failed = sum(1 for pod in pods if pod.phase == "Failed")
        if failed > job.backoff_limit:
            job.condition, job.finished_at = "Failed", now()
            self.changed()
            return
        active = [p for p in pods if p.phase in ("Pending", "Running") and not p.deletion_timestamp]
        if not active:
            owner = {"apiVersion": "batch/v1", "kind": "Job", "name": job.name, "uid": job.uid}
            labels = dict(job.spec["template"]["metadata"]["labels"])
            labels.setdefault("app", job.name)
            self._start_pod(Pod(self, job.pod_spec, f"{job.name}-{suffix(5)}", owner, labels))

    # ------------------------------------------------------------------ API actions
    def delete_pod(self, name: str, grace: float | None = None) -> bool:
        """Mark the pod Terminating, stop it in the background, then forget it."""
        pod = self.pods.get(name)
        if pod is None:
            return False
        if pod.deletion_timestamp is None:
            pod.deletion_timestamp = now()
            pod.deletion_grace = pod.spec.grace_seconds if grace is None else grace
            pod.ready = False  # a Terminating pod no longer serves (one MODIFIED event)
            self.kube.record_event(pod, "Killing", f"Stopping container {pod.container_name}")
            self.changed()
            task = asyncio.create_task(self._finish_delete(pod))
            self._deletions.add(task)
            task.add_done_callback(self._deletions.discard)
            self.reconcile()
        return True

    async def _finish_delete(self, pod: Pod) -> None:
        await pod.stop(pod.deletion_grace)
        if self.pods.get(pod.name) is pod:
            del self.pods[pod.name]
        self.changed()
        self.reconcile()

    def scale(self, name: str, replicas: int) -> bool:
        workload = self.workloads.get(name)
        if workload is None:
            return False
        if workload.replicas != replicas:
            workload.replicas = replicas
            workload.generation += 1
            self.changed()
            self.reconcile()
        return True

    def add_job(self, job: JobRecord) -> None:
        self.jobs[job.name] = job
        self.changed()
        self.reconcile()

    def remove_job(self, name: str, delete_pods: bool) -> bool:
        job = self.jobs.pop(name, None)
        if job is None:
            return False
        self.changed()
        if delete_pods:
            for pod in self.pods_of(name):
                self.delete_pod(pod.name)
        return True

    # ------------------------------------------------------------------ state
    def write_state(self) -> None:
        state = {
            "instance": self.instance,
            "supervisor_pid": os.getpid(),
            "watchdog_pid": self.watchdog_pid,
            "mode": "lease" if self.lease_mode else "persistent",
            "ready": self.ready and not self.stopping,
            "stopping": self.stopping,
            "error": self.error,
            "updated_at": now(),
            "replicas": self.replicas,
            "bugs": sorted(bugs.active()),
            "jobs": sorted(self.jobs),
            "pods": [pod.describe() for pod in self.pods.values()],
        }
        config.write_json(self.base / config.STATE_FILE, state)

    async def _state_writer(self) -> None:
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            self.write_state()
            await asyncio.sleep(0.05)

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.add_signal_handler(signum, self.request_stop)
        self.watchdog_pid = daemon.start_watchdog(self.base, self.instance)
        writer = asyncio.create_task(self._state_writer())
        keeper = (
            asyncio.create_task(daemon.keep_lease(self.base, self._stop_event, self.request_stop))
            if self.lease_mode
            else None
        )
        started = time.monotonic()
        await self.kube.start()
        self.reconcile()
        while not self._stop_event.is_set():
            if self.ready and not self.announced:
                self.announced = True
                print(f"{now()} twin ready in {time.monotonic() - started:.1f}s", flush=True)
                self.changed()
            try:
                await asyncio.wait_for(self._stop_event.wait(), timeout=0.2)
            except TimeoutError:
                pass
            await self.kube.apply_port_switch()
        await self.shutdown()
        if keeper:
            keeper.cancel()
        writer.cancel()
        self.write_state()
        processes.stop_watchdog(self.watchdog_pid)
        return 1 if self.error else 0

    async def shutdown(self) -> None:
        self.stopping = True
        self.changed()
        # Pods first: the focus server deletes its task Jobs through the API as it stops.
        await asyncio.gather(*(pod.stop() for pod in list(self.pods.values())))
        await asyncio.gather(*self._deletions, return_exceptions=True)
        await self.kube.stop()
        # Anything a pod left behind outside its process group still carries the marker.
        processes.kill_marked(self.instance, exclude={os.getpid()})
