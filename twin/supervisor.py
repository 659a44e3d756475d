"""The twin's supervisor: runs every workload as an OS process, its "pod".

Started detached by ``python -m twin up`` (never by hand). Each pod runs in its
own session/process group, writes to ``logs/<pod>.log``, is restarted when it
crashes (with back-off, counting ``restart_count``), and is stopped with SIGTERM
and then SIGKILL to its whole group after its grace period. ``state.json`` is
rewritten on every change. A watchdog process reaps every pod if the supervisor
itself dies. In lease mode the twin stops by itself once no owner process is
alive (see :mod:`twin.lease`).

Like the Kubernetes controllers, a reconcile step keeps each workload at its
replica count (Terminating pods do not count): a deleted Deployment pod is replaced
at once under a new name, a StatefulSet pod under the same name once the old one is
gone. Jobs created through the API run their pod once (``restartPolicy: Never``).
The Kubernetes API (:mod:`twin.kube`) is served from this event loop.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import importlib
import os
import secrets as random_secrets
import signal
import string
import subprocess
import sys
import time
from pathlib import Path

from twin import bugs, config, lease, processes
from twin.kube.cluster import ClusterView
from twin.kube.jobs import JobRecord
from twin.kube.podlog import PodLog
from twin.workloads import WorkloadSpec

_CRASH_BACKOFF_MAX_S = 10.0
_FAILURES_BEFORE_GIVING_UP = 3
_PROBE_INTERVAL_S = 0.2
_READY_RECHECK_S = 5.0
_SIBLING_POLL_S = 0.05


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _suffix(length: int) -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "".join(random_secrets.choice(alphabet) for _ in range(length))


DEFAULT_WORKLOADS = "twin.workloads:WORKLOADS"


def load_workloads(reference: str) -> tuple[WorkloadSpec, ...]:
    """The workload set named ``module:attribute`` (tests run the supervisor on stand-ins)."""
    module, _, attribute = reference.partition(":")
    return tuple(getattr(importlib.import_module(module), attribute))


class Workload:
    """A Deployment or StatefulSet: its spec, desired replicas and identity."""

    def __init__(self, spec: WorkloadSpec) -> None:
        self.spec = spec
        self.replicas = spec.replicas
        self.uid = random_secrets.token_hex(16)
        self.created_at = _now()
        self.generation = 1
        self.template_hash = hashlib.sha1(spec.name.encode() + self.uid.encode()).hexdigest()[:9]

    @property
    def owner(self) -> dict:
        if self.spec.kind == "StatefulSet":
            return {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": self.spec.name}
        name = f"{self.spec.name}-{self.template_hash}"
        return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": name}


class Pod:
    """One running instance of a workload, its process, and its Kubernetes-like status."""

    def __init__(
        self,
        supervisor: Supervisor,
        spec: WorkloadSpec,
        name: str,
        owner: dict,
        labels: dict | None = None,
    ) -> None:
        self.supervisor = supervisor
        self.spec = spec
        self.name = name
        self.owner = owner
        self.labels = labels or {"app": spec.name}
        self.container_name = spec.name if spec.kind != "Job" else "job"
        self.uid = random_secrets.token_hex(16)
        self.created_at = _now()
        self.started_at: str | None = None
        self.finished_at: str | None = None
        self.process: asyncio.subprocess.Process | None = None
        self.phase = "Pending"
        self.ready = False
        self.ready_since: str | None = None
        self.waiting_reason: str | None = "ContainerCreating"
        self.last_state: dict | None = None
        self.restart_count = 0
        self.last_exit_code: int | None = None
        self.deleting = False
        self.deletion_timestamp: str | None = None
        self.deletion_grace = spec.grace_seconds
        self.failures_before_ready = 0
        self.ever_ready = False
        self.log_path = config.logs_dir(supervisor.base) / f"{name}.log"
        self.log = PodLog(self.log_path)
        self._task: asyncio.Task | None = None
        self._pumps: set[asyncio.Task] = set()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process and self.process.returncode is None else None

    @property
    def process_running(self) -> bool:
        return self.pid is not None

    @property
    def container_id(self) -> str:
        return f"twin://{self.uid[:12]}-{self.restart_count}"

    def describe(self) -> dict:
        return {
            "name": self.name,
            "workload": self.spec.name,
            "kind": self.spec.kind,
            "uid": self.uid,
            "pid": self.pid,
            "phase": self.phase,
            "ready": self.ready,
            "restart_count": self.restart_count,
            "last_exit_code": self.last_exit_code,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "deleting": self.deleting,
            "log": str(self.log_path),
        }

    def run(self) -> None:
        self._task = asyncio.create_task(self._lifecycle(), name=f"pod:{self.name}")

    def _set_ready(self, ready: bool) -> None:
        if ready != self.ready:
            self.ready = ready
            self.ready_since = _now()
            self.supervisor.changed()

    async def _spawn(self) -> None:
        env = processes.pod_environment(self.supervisor.base, self.supervisor.instance, self.name)
        env["TWIN_WORKLOAD"] = self.spec.name
        env.update(dict(self.spec.env))
        with open(self.log_path, "ab", buffering=0) as log:
            log.write(
                f"--- {_now()} starting {self.name} ({' '.join(self.spec.argv())})\n".encode()
            )
        # Our own pipe, not asyncio's: process.wait() must not wait for grandchildren
        # that keep stdout open.
        read_fd, write_fd = os.pipe()
        try:
            self.process = await asyncio.create_subprocess_exec(
                *self.spec.argv(),
                stdin=subprocess.DEVNULL,
                stdout=write_fd,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=str(config.REPO_ROOT),
                start_new_session=True,
            )
        except BaseException:
            os.close(read_fd)
            raise
        finally:
            os.close(write_fd)
        reader = asyncio.StreamReader()
        await asyncio.get_running_loop().connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(read_fd, "rb", buffering=0)
        )
        run = self.log.start_run()
        pump = asyncio.create_task(self.log.pump(reader, run))
        self._pumps.add(pump)
        pump.add_done_callback(self._pumps.discard)
        self.started_at = _now()
        self.finished_at = None
        self.phase = "Running"
        self.waiting_reason = None
        self.supervisor.kube.record_event(
            self, "Started", f"Started container {self.container_name}"
        )
        self.supervisor.changed()

    async def _probe_until_ready(self) -> None:
        endpoints, secrets = self.supervisor.endpoints, self.supervisor.secrets
        while self.process and self.process.returncode is None and not self.deleting:
            serving = await asyncio.to_thread(self.spec.probe, endpoints, secrets)
            if self.deleting:
                break
            if serving:
                self.ever_ready = True
                self.failures_before_ready = 0
            self._set_ready(serving)
            await asyncio.sleep(_READY_RECHECK_S if self.ready else _PROBE_INTERVAL_S)

    def _terminated(self, code: int) -> None:
        """Record the container's end, as the kubelet's lastState does."""
        self.finished_at = _now()
        self.last_exit_code = code
        self._set_ready(False)
        self.last_state = {
            "terminated": {
                "exitCode": code,
                "reason": "Completed" if code == 0 else "Error",
                "startedAt": self.started_at,
                "finishedAt": self.finished_at,
                "containerID": self.container_id,
            }
        }

    async def _wait_for_terminating_siblings(self) -> None:
        """Pods of one workload share its ports: start only once a Terminating one has exited.

        Without this the new process could not bind, and its probe would reach the old
        process and call the replacement Ready before it serves.
        """
        while not self.deleting and any(
            pod is not self and pod.deletion_timestamp and pod.process_running
            for pod in self.supervisor.pods_of(self.spec.name)
        ):
            await asyncio.sleep(_SIBLING_POLL_S)

    async def _lifecycle(self) -> None:
        backoff = 0.5
        if self.spec.kind != "Job":
            await self._wait_for_terminating_siblings()
        while not self.deleting:
            await self._spawn()
            if self.deleting:  # deleted while it was starting
                processes.signal_group(self.process.pid, signal.SIGTERM)
            prober = asyncio.create_task(self._probe_until_ready())
            code = await self.process.wait()
            prober.cancel()
            await processes.kill_group(self.process.pid)
            self._terminated(code)
            if self.deleting or self.supervisor.stopping:
                break
            if self.spec.restart_policy == "Never":
                self.phase = "Succeeded" if code == 0 else "Failed"
                self.supervisor.changed()
                self.supervisor.reconcile()
                return
            # Crashed: restart the container in the same pod, as the kubelet does.
            if not self.ever_ready and not self.supervisor.announced:
                self.failures_before_ready += 1
                if self.failures_before_ready >= _FAILURES_BEFORE_GIVING_UP:
                    self.phase = "Failed"
                    self.supervisor.fail(
                        f"{self.name} exited with code {code} {self.failures_before_ready} times "
                        f"before it served; see {self.log_path}"
                    )
                    return
            self.restart_count += 1
            self.waiting_reason = "CrashLoopBackOff"
            self.supervisor.changed()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, _CRASH_BACKOFF_MAX_S)

    async def stop(self, grace: float | None = None) -> None:
        """SIGTERM the pod's process group, SIGKILL it after the grace period."""
        self.deleting = True
        self.supervisor.changed()
        grace = self.spec.grace_seconds if grace is None else grace
        if self.process and self.process.returncode is None:
            processes.signal_group(self.process.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), timeout=grace)
            except TimeoutError:
                processes.signal_group(self.process.pid, signal.SIGKILL)
                await self.process.wait()
        if self.process:
            await processes.kill_group(self.process.pid)
        if self._task:
            await asyncio.gather(self._task, return_exceptions=True)
        if self._pumps:
            await asyncio.wait(set(self._pumps), timeout=2.0)
        if self.phase not in ("Succeeded", "Failed"):
            self.phase = "Succeeded" if self.last_exit_code == 0 else "Failed"
        self._set_ready(False)


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
        self.kube.sync()

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
        else:
            name = f"{spec.name}-{workload.template_hash}-{_suffix(5)}"
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
            job.condition, job.finished_at = "Complete", _now()
            self.changed()
            return
        failed = sum(1 for pod in pods if pod.phase == "Failed")
        if failed > job.backoff_limit:
            job.condition, job.finished_at = "Failed", _now()
            self.changed()
            return
        active = [p for p in pods if p.phase in ("Pending", "Running") and not p.deletion_timestamp]
        if not active:
            owner = {"apiVersion": "batch/v1", "kind": "Job", "name": job.name, "uid": job.uid}
            labels = dict(job.spec["template"]["metadata"]["labels"])
            labels.setdefault("app", job.name)
            self._start_pod(Pod(self, job.pod_spec, f"{job.name}-{_suffix(5)}", owner, labels))

    # ------------------------------------------------------------------ API actions
    def delete_pod(self, name: str, grace: float | None = None) -> bool:
        """Mark the pod Terminating, stop it in the background, then forget it."""
        pod = self.pods.get(name)
        if pod is None:
            return False
        if pod.deletion_timestamp is None:
            pod.deletion_timestamp = _now()
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
            "updated_at": _now(),
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

    async def _lease_keeper(self) -> None:
        while not self._stop_event.is_set():
            await asyncio.sleep(0.5)
            if lease.expired(self.base):
                print(f"{_now()} no owner process left: stopping the twin", flush=True)
                self.request_stop()

    def _start_watchdog(self) -> None:
        watchdog = subprocess.Popen(
            [sys.executable, "-m", "twin.watchdog", str(os.getpid()), self.instance],
            env=processes.pod_environment(self.base, self.instance, "watchdog", marked=False),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            cwd=str(config.REPO_ROOT),
        )
        self.watchdog_pid = watchdog.pid

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.add_signal_handler(signum, self.request_stop)
        self._start_watchdog()
        writer = asyncio.create_task(self._state_writer())
        keeper = asyncio.create_task(self._lease_keeper()) if self.lease_mode else None
        started = time.monotonic()
        await self.kube.start()
        self.reconcile()
        while not self._stop_event.is_set():
            if self.ready and not self.announced:
                self.announced = True
                print(f"{_now()} twin ready in {time.monotonic() - started:.1f}s", flush=True)
                self.changed()
            try:
                await asyncio.wait_for(self._stop_event.wait(), timeout=0.2)
            except TimeoutError:
                pass
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


def _detach() -> None:
    """Fork: the parent prints the child's pid and exits, so the supervisor is nobody's child.

    Whoever started the twin (a test run, pytest) then never sees its pods among its own
    child processes, and the supervisor is reaped by init whenever it ends.
    """
    pid = os.fork()
    if pid:
        print(pid, flush=True)
        os._exit(0)
    log = os.open(config.logs_dir() / "supervisor.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m twin.supervisor")
    parser.add_argument("--instance", required=True)
    parser.add_argument("--lease", action="store_true")
    parser.add_argument("--workloads", default=DEFAULT_WORKLOADS, help="module:attribute")
    parser.add_argument(
        "--daemon", action="store_true", help="detach: print the supervisor's pid and return"
    )
    args = parser.parse_args(argv)
    if args.daemon:
        _detach()
    supervisor = Supervisor(
        config.twin_dir(), args.instance, args.lease, load_workloads(args.workloads)
    )
    return asyncio.run(supervisor.run())


if __name__ == "__main__":
    sys.exit(main())
