"""The twin's supervisor: runs every workload as an OS process, its "pod".

Started detached by ``python -m twin up`` (never by hand). Each pod runs in its
own session/process group, writes to ``logs/<pod>.log``, is restarted when it
crashes (with back-off, counting ``restart_count``), and is stopped with SIGTERM
and then SIGKILL to its whole group after its grace period. ``state.json`` is
rewritten on every change. A watchdog process reaps every pod if the supervisor
itself dies. In lease mode the twin stops by itself once no owner process is
alive (see :mod:`twin.lease`).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import importlib
import os
import secrets as random_secrets
import signal
import string
import subprocess
import sys
import time
from pathlib import Path

from twin import config, lease, processes
from twin.workloads import WorkloadSpec

_CRASH_BACKOFF_MAX_S = 10.0
_FAILURES_BEFORE_GIVING_UP = 3
_PROBE_INTERVAL_S = 0.2
_READY_RECHECK_S = 5.0


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


class Pod:
    """One running instance of a workload, its process, and its Kubernetes-like status."""

    def __init__(self, supervisor: Supervisor, spec: WorkloadSpec, name: str) -> None:
        self.supervisor = supervisor
        self.spec = spec
        self.name = name
        self.uid = random_secrets.token_hex(16)
        self.created_at = _now()
        self.started_at: str | None = None
        self.process: asyncio.subprocess.Process | None = None
        self.phase = "Pending"
        self.ready = False
        self.restart_count = 0
        self.last_exit_code: int | None = None
        self.deleting = False
        self.failures_before_ready = 0
        self.ever_ready = False
        self.log_path = config.logs_dir(supervisor.base) / f"{name}.log"
        self._task: asyncio.Task | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process and self.process.returncode is None else None

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

    async def _spawn(self) -> None:
        env = processes.pod_environment(self.supervisor.base, self.supervisor.instance, self.name)
        env["TWIN_WORKLOAD"] = self.spec.name
        log = open(self.log_path, "ab", buffering=0)  # noqa: SIM115 - handed to the child
        try:
            command = " ".join(self.spec.argv())
            log.write(f"--- {_now()} starting {self.name} ({command})\n".encode())
            self.process = await asyncio.create_subprocess_exec(
                *self.spec.argv(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=str(config.REPO_ROOT),
                start_new_session=True,
            )
        finally:
            log.close()
        self.started_at = _now()
        self.phase = "Running"
        self.supervisor.changed()

    async def _probe_until_ready(self) -> None:
        endpoints, secrets = self.supervisor.endpoints, self.supervisor.secrets
        while self.process and self.process.returncode is None and not self.deleting:
            serving = await asyncio.to_thread(self.spec.probe, endpoints, secrets)
            if serving != self.ready:
                self.ready = serving
                if serving:
                    self.ever_ready = True
                    self.failures_before_ready = 0
                self.supervisor.changed()
            await asyncio.sleep(_READY_RECHECK_S if self.ready else _PROBE_INTERVAL_S)

    async def _lifecycle(self) -> None:
        backoff = 0.5
        while not self.deleting:
            await self._spawn()
            prober = asyncio.create_task(self._probe_until_ready())
            code = await self.process.wait()
            prober.cancel()
            await processes.kill_group(self.process.pid)
            self.ready = False
            self.last_exit_code = code
            if self.deleting or self.supervisor.stopping:
                break
            # Crashed: restart the container in the same pod, as the kubelet does.
            if not self.ever_ready:
                self.failures_before_ready += 1
                if self.failures_before_ready >= _FAILURES_BEFORE_GIVING_UP:
                    self.phase = "Failed"
                    self.supervisor.fail(
                        f"{self.name} exited with code {code} {self.failures_before_ready} times "
                        f"before it served; see {self.log_path}"
                    )
                    return
            self.restart_count += 1
            self.phase = "Pending"
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
        self.phase = "Succeeded" if self.last_exit_code == 0 else "Failed"
        self.ready = False


class Supervisor:
    """Keeps one pod per workload alive and writes ``state.json``."""

    def __init__(
        self, base: Path, instance: str, lease_mode: bool, workloads: tuple[WorkloadSpec, ...]
    ) -> None:
        self.base = base
        self.workloads = workloads
        self.instance = instance
        self.lease_mode = lease_mode
        self.endpoints = config.load_endpoints(base)
        self.secrets = config.load_secrets(base)
        self.pods: dict[str, Pod] = {}
        self.replicas = {spec.name: spec.replicas for spec in workloads}
        self.stopping = False
        self.error: str | None = None
        self.watchdog_pid: int | None = None
        self._stop_event = asyncio.Event()
        self._dirty = asyncio.Event()

    def changed(self) -> None:
        self._dirty.set()

    def fail(self, message: str) -> None:
        self.error = message
        self.changed()
        self._stop_event.set()

    def request_stop(self) -> None:
        self._stop_event.set()

    @property
    def ready(self) -> bool:
        return all(
            any(pod.ready for pod in self.pods.values() if pod.spec.name == spec.name)
            for spec in self.workloads
            if self.replicas[spec.name] > 0
        )

    def new_pod(self, spec: WorkloadSpec) -> Pod:
        if spec.kind == "StatefulSet":
            name = f"{spec.name}-0"
        else:
            name = f"{spec.name}-{_suffix(9)}-{_suffix(5)}"
        pod = Pod(self, spec, name)
        self.pods[name] = pod
        pod.run()
        self.changed()
        return pod

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
        for spec in self.workloads:
            self.new_pod(spec)
        announced = False
        while not self._stop_event.is_set():
            if self.ready and not announced:
                announced = True
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
        await asyncio.gather(*(pod.stop() for pod in list(self.pods.values())))
        # Anything a pod left behind outside its process group still carries the marker.
        processes.kill_marked(self.instance, exclude={os.getpid()})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m twin.supervisor")
    parser.add_argument("--instance", required=True)
    parser.add_argument("--lease", action="store_true")
    parser.add_argument("--workloads", default=DEFAULT_WORKLOADS, help="module:attribute")
    args = parser.parse_args(argv)
    supervisor = Supervisor(
        config.twin_dir(), args.instance, args.lease, load_workloads(args.workloads)
    )
    return asyncio.run(supervisor.run())


if __name__ == "__main__":
    sys.exit(main())
