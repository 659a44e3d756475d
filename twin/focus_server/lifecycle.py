"""Task lifecycle: capacity, job start, waiting -> running -> completed/failed/stopped.

One asyncio monitor per active task polls the job's health until SERVING (then the
task runs), ends Historic tasks once their range is streamed and notices a dead job.
Blocking work (pymongo, gRPC health checks, the job's liveness, reaping) runs in threads,
never on the event loop; jobs are started from dedicated long-lived threads (a forked
job's death signal follows the thread that forked it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import grpc
from pymongo.errors import PyMongoError

from contract import constants
from twin import bugs
from twin.focus_server.errors import ApiError, not_found
from twin.focus_server.jobs import JobBackend, job_name
from twin.focus_server.settings import Settings
from twin.focus_server.store import TaskStore
from twin.grpc_job.protocol import HealthProbe, historic_stream_seconds, parse_utc, send_update

log = logging.getLogger("focus_server.tasks")

FINISHED = ("completed", "failed", "stopped")
LIVENESS_POLL_S = 0.5
ABANDON_RETRY_S = 1.0


class TaskManager:
    """Creates, watches, reconfigures and stops tasks and their gRPC jobs."""

    def __init__(self, settings: Settings, store: TaskStore) -> None:
        self.settings = settings
        self.store = store
        self.backend: JobBackend = settings.job_backend
        self._capacity = asyncio.Lock()
        self._monitors: dict[str, asyncio.Task] = {}
        self._active: set[str] = set()  # waiting/running tasks, as this process knows them
        self._retries: set[asyncio.Task] = set()  # tasks being marked failed after a half-creation
        # Jobs start off the event loop, from long-lived threads: a forked job's death
        # signal follows the thread that forked it (the process backend: one thread); jobs
        # created through an API start side by side, as the real server's do.
        self._spawner = ThreadPoolExecutor(
            max_workers=self.backend.start_concurrency, thread_name_prefix="job-start"
        )

    async def get(self, task_id: str) -> dict:
        task = await asyncio.to_thread(self.store.get, task_id)
        if task is None:
            raise not_found(f"task {task_id}")
        return task

    async def create(self, config: dict) -> dict:
        """Store a waiting task and start its job; 503 CAPACITY_EXCEEDED when full."""
        now = datetime.now(UTC)
        task: dict[str, Any] = {
            "task_id": str(uuid.uuid4()),
            "config": config,
            "status": "waiting",
            "created_at": now,
            "updated_at": now,
            "job": None,
            "stream": None,
            "running_at": None,
        }
        # Refuse at once, without MongoDB, when this process's own tally is full (before
        # and after waiting for the lock: a burst queues there); otherwise MongoDB's
        # count, under the lock, is the authority.
        if self._full():
            raise self._capacity_exceeded()
        async with self._capacity:
            if self._full():
                if bugs.is_on("PZ-13986"):  # the bug: a queued request crashes instead
                    raise RuntimeError("capacity tally changed while waiting for the lock")
                raise self._capacity_exceeded()
            active = await asyncio.to_thread(self.store.count_active)
            if active >= self.settings.max_windows:
                raise self._capacity_exceeded()
            self._active.add(task["task_id"])
            try:
                await asyncio.to_thread(self.store.insert, task)
            except Exception:
                # The insert may have been applied before it failed (a reply that timed
                # out): a task nobody was told about must not keep a slot.
                await self._abandon(task["task_id"])
                raise
        return await self._launch(task)

    def _full(self) -> bool:
        return len(self._active) >= self.settings.max_windows

    def _capacity_exceeded(self) -> ApiError:
        return ApiError(
            503,
            "CAPACITY_EXCEEDED",
            f"at most {self.settings.max_windows} tasks may be waiting or running",
            None,
            {"Retry-After": str(self.settings.capacity_retry_after_s)},
        )

    async def _launch(self, task: dict) -> dict:
        task_id = task["task_id"]
        loop = asyncio.get_running_loop()
        try:
            host, port = await loop.run_in_executor(
                self._spawner, self.backend.start, task_id, task["config"]
            )
            fields = {"stream": {"host": host, "port": port}, "job": job_name(task_id)}
            updated = await asyncio.to_thread(self.store.update, task_id, fields)
            if updated is None:  # deleted meanwhile: fail the start like any other cause
                raise LookupError(f"task {task_id} vanished while its job started")
        except Exception as error:
            # Whatever failed (the job API refused or timed out, MongoDB did not answer),
            # the client gets no task id: the task must not keep its slot nor its job.
            log.error("cannot start job %s: %s: %s", job_name(task_id), type(error).__name__, error)
            await self._abandon(task_id)
            if isinstance(error, PyMongoError):
                raise  # 503 DEPENDENCY_UNAVAILABLE, as every MongoDB failure
            raise ApiError(503, "JOB_START_FAILED", "the task's job could not start") from None
        self._monitors[task_id] = asyncio.create_task(self._supervise(updated))
        return updated

    async def _abandon(self, task_id: str) -> None:
        """A task whose creation failed half-way: its slot freed, its job stopped, and marked
        failed (in the background until MongoDB answers, for at most the running timeout)."""
        self._active.discard(task_id)
        try:
            await asyncio.to_thread(self.backend.stop, task_id)
        except Exception as error:
            log.error("task %s: cannot stop its job: %s: %s", task_id, type(error).__name__, error)
        retry = asyncio.create_task(self._mark_failed(task_id))
        self._retries.add(retry)
        retry.add_done_callback(self._retries.discard)

    async def _mark_failed(self, task_id: str) -> None:
        deadline = time.monotonic() + self.settings.running_timeout_s
        while True:
            try:
                await asyncio.to_thread(self.store.transition, task_id, ("waiting",), "failed")
                return
            except Exception as error:
                if time.monotonic() >= deadline:
                    log.error("task %s: cannot mark it failed: %s", task_id, error)
                    return
            await asyncio.sleep(ABANDON_RETRY_S)

    async def _supervise(self, task: dict) -> None:
        task_id = task["task_id"]
        try:
            if not await self._wait_serving(task_id, task["stream"]):
                await self._finish(task_id, ("waiting",), "failed")
                return
            running = await asyncio.to_thread(
                self.store.transition, task_id, ("waiting",), "running", running_at=_now()
            )
            if running is None:
                return
            log.info("task %s running", task_id)
            config = task["config"]
            if config["timeStatus"] == "Historic":
                start, end = parse_utc(config["startTime"]), parse_utc(config["endTime"])
                await asyncio.sleep(historic_stream_seconds(start, end))
                await self._finish(task_id, ("running",), "completed")
                return
            while await asyncio.to_thread(self.backend.is_alive, task_id):
                await asyncio.sleep(LIVENESS_POLL_S)
            log.warning("job %s died", job_name(task_id))
            await self._finish(task_id, ("running",), "failed")
        except Exception:
            log.exception("monitor of task %s crashed", task_id)
            raise
        finally:
            self._monitors.pop(task_id, None)

    async def _wait_serving(self, task_id: str, stream: dict) -> bool:
        deadline = time.monotonic() + self.settings.running_timeout_s
        probe = HealthProbe(stream["host"], stream["port"])
        try:
            while time.monotonic() < deadline:
                if not await asyncio.to_thread(self.backend.is_alive, task_id):
                    return False
                if await asyncio.to_thread(probe.serving, 0.5):
                    return True
                await asyncio.sleep(self.settings.health_poll_s)
            return False
        finally:
            probe.close()

    async def _finish(self, task_id: str, allowed: tuple[str, ...], status: str) -> None:
        try:
            await asyncio.to_thread(self.store.transition, task_id, allowed, status)
        finally:
            # Also when MongoDB did not answer (the write may have been applied): this
            # tally only refuses early (MongoDB's count is the authority), so it must
            # never keep a task that may have ended, nor may its job run on.
            self._active.discard(task_id)
            await asyncio.to_thread(self.backend.stop, task_id)
        log.info("task %s %s", task_id, status)

    async def stop(self, task_id: str) -> None:
        """DELETE: stop the task and its job (idempotent); 404 when unknown."""
        await self.get(task_id)
        monitor = self._monitors.pop(task_id, None)
        if monitor is not None:
            monitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await monitor
        await self._finish(task_id, constants.ACTIVE_TASK_STATUSES, "stopped")

    async def reconfigure(self, task_id: str, changes: dict) -> dict:
        """Dynamic ROI on an active task; 409 once it has finished."""
        task = await self.get(task_id)
        if task["status"] in FINISHED:
            raise ApiError(409, "TASK_FINISHED", f"task {task_id} is {task['status']}")
        fields = {f"config.{name}": value for name, value in changes.items()}
        updated = await asyncio.to_thread(self.store.update, task_id, fields)
        if updated is None:  # deleted since the read above
            raise not_found(f"task {task_id}")
        stream = updated.get("stream")
        if updated["status"] == "running" and stream:
            try:
                await asyncio.to_thread(send_update, stream["host"], stream["port"], changes)
            except grpc.RpcError as error:  # the job may be finishing: best effort
                log.warning("job %s did not take the new ROI: %s", job_name(task_id), error)
        return updated

    async def recover(self) -> int:
        """After a restart: start the jobs of every task still waiting or running."""
        tasks = await asyncio.to_thread(self.store.active)
        for task in tasks:
            if task["task_id"] in self._monitors:
                continue
            await asyncio.to_thread(
                self.store.transition, task["task_id"], constants.ACTIVE_TASK_STATUSES, "waiting"
            )
            self._active.add(task["task_id"])
            await self._launch(task)
        return len(tasks)

    async def shutdown(self) -> None:
        """Stop watching and stop every job this process runs (tasks stay in MongoDB)."""
        monitors = dict(self._monitors)
        self._monitors.clear()
        for monitor in [*monitors.values(), *self._retries]:
            monitor.cancel()
        await asyncio.gather(*monitors.values(), return_exceptions=True)
        await asyncio.gather(
            *(asyncio.to_thread(self.backend.stop, task_id) for task_id in monitors)
        )
        self._spawner.shutdown(wait=True)


def _now() -> datetime:
    return datetime.now(UTC)
