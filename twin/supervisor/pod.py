"""A pod of the twin: one workload instance run as an OS process, with its status.

Each pod runs in its own session/process group, writes to ``logs/<pod>.log``, is
restarted when it crashes (with back-off, counting ``restart_count``), and is stopped
with SIGTERM and then SIGKILL to its whole group after its grace period. What the pod
needs of the controller that owns it is the :class:`PodOwner` protocol.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import secrets as random_secrets
import signal
import string
import subprocess
from pathlib import Path
from typing import Any, Protocol

from twin import config, processes
from twin.kube.podlog import PodLog
from twin.workloads import WorkloadSpec

_CRASH_BACKOFF_MAX_S = 10.0
_FAILURES_BEFORE_GIVING_UP = 3
_PROBE_INTERVAL_S = 0.2
_READY_RECHECK_S = 5.0
_SIBLING_POLL_S = 0.05


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def suffix(length: int) -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "".join(random_secrets.choice(alphabet) for _ in range(length))


class EventRecorder(Protocol):
    def record_event(self, pod: Any, reason: str, message: str) -> None: ...


class PodOwner(Protocol):
    """What a pod asks of the controller that runs it."""

    base: Path
    instance: str
    endpoints: dict
    secrets: dict
    stopping: bool
    announced: bool

    @property  # read-only here, so that a richer recorder (ClusterView) satisfies it
    def kube(self) -> EventRecorder: ...

    def changed(self) -> None: ...

    def fail(self, message: str) -> None: ...

    def reconcile(self) -> None: ...

    def pods_of(self, owner_name: str) -> list[Pod]: ...


class Pod:
    """One running instance of a workload, its process, and its Kubernetes-like status."""

    def __init__(
        self,
        supervisor: PodOwner,
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
        self.created_at = now()
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
            self.ready_since = now()
            self.supervisor.changed()

    async def _spawn(self) -> asyncio.subprocess.Process:
        env = processes.pod_environment(self.supervisor.base, self.supervisor.instance, self.name)
        env["TWIN_WORKLOAD"] = self.spec.name
        env.update(dict(self.spec.env))
        with open(self.log_path, "ab", buffering=0) as log:
            log.write(f"--- {now()} starting {self.name} ({' '.join(self.spec.argv())})\n".encode())
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
        self.started_at = now()
        self.finished_at = None
        self.phase = "Running"
        self.waiting_reason = None
        self.supervisor.kube.record_event(
            self, "Started", f"Started container {self.container_name}"
        )
        self.supervisor.changed()
        return self.process

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
        self.finished_at = now()
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
            process = await self._spawn()
            if self.deleting:  # deleted while it was starting
                processes.signal_group(process.pid, signal.SIGTERM)
            prober = asyncio.create_task(self._probe_until_ready())
            code = await process.wait()
            prober.cancel()
            await processes.kill_group(process.pid)
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
