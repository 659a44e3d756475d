"""The per-task gRPC job as a real process: health, frames, ROI update, SIGTERM, parent death."""

from __future__ import annotations

import itertools
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import grpc
import psutil
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from contract import constants
from twin import config as twin_config
from twin.grpc_job import protocol
from twin.ports import free_port

LIVE = {
    "timeStatus": "Live",
    "viewType": "MultiChannel",
    "nfft": 512,
    "overlap": 256,
    "channels": {"min": 40, "max": 60},
    "frequencyRange": {"min": 0, "max": 500},
    "startTime": None,
    "endTime": None,
}


def job_env(config: dict) -> dict:
    return {**os.environ, protocol.CONFIG_ENV: json.dumps(config), "PYTHONPATH": "."}


def job_argv(task_id: str, port: int) -> list[str]:
    return [sys.executable, "-m", "twin.grpc_job", "--task-id", task_id, "--port", str(port)]


def health_status(port: int, timeout: float = 0.5) -> int | None:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            return stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=timeout).status
        except grpc.RpcError:
            return None


def wait_serving(port: int, timeout: float = 15.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if health_status(port) == health_pb2.HealthCheckResponse.SERVING:
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"job on port {port} not SERVING after {timeout}s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def start_job(config: dict) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen(
        job_argv("t-1", port),
        env=job_env(config),
        cwd=twin_config.REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    return process, port


@pytest.fixture
def live_job() -> Iterator[tuple[subprocess.Popen, int]]:
    process, port = start_job(LIVE)
    try:
        wait_serving(port)
        yield process, port
    finally:
        stop(process)


def test_health_is_serving_and_frames_are_rows_of_the_task(live_job):
    _, port = live_job
    assert health_status(port) == health_pb2.HealthCheckResponse.SERVING
    frames = protocol.read_frames("127.0.0.1", port, 3)
    assert [frame["seq"] for frame in frames] == [0, 1, 2]
    times = [protocol.parse_utc(frame["timestamp"]).timestamp() for frame in frames]
    step = (LIVE["nfft"] - LIVE["overlap"]) / constants.PRR
    assert all(math.isclose(b - a, step, abs_tol=1e-3) for a, b in itertools.pairwise(times))
    assert abs(times[-1] - time.time()) < 2
    for frame in frames:
        assert len(frame["values"]) == 21 and all(math.isfinite(v) for v in frame["values"])
        assert frame["values"][50 - 40] - statistics.median(frame["values"]) > 6


def test_update_changes_the_roi_of_the_stream(live_job):
    _, port = live_job
    protocol.send_update("127.0.0.1", port, {"channels": {"min": 1, "max": 5}})
    (frame,) = protocol.read_frames("127.0.0.1", port, 1)
    assert frame["channels"] == {"min": 1, "max": 5} and len(frame["values"]) == 5


def test_historic_stream_plays_the_range_then_ends():
    end = datetime.now(UTC) - timedelta(minutes=10)
    start = end - timedelta(minutes=2)
    config = {
        **LIVE,
        "timeStatus": "Historic",
        "startTime": protocol.format_time(start),
        "endTime": protocol.format_time(end),
    }
    process, port = start_job(config)
    try:
        wait_serving(port)
        began = time.monotonic()
        frames = protocol.read_frames("127.0.0.1", port, 1000, timeout=10)
        elapsed = time.monotonic() - began
    finally:
        stop(process)
    assert 1.5 < elapsed < protocol.HISTORIC_MAX_STREAM_S + 2
    stamps = [protocol.parse_utc(frame["timestamp"]) for frame in frames]
    assert len(frames) >= 10 and stamps == sorted(stamps)
    assert start <= stamps[0] and stamps[-1] <= end


def test_sigterm_stops_the_job_cleanly_and_leaves_no_process(live_job):
    process, port = live_job
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=5) == 0
    assert health_status(port) is None
    output = process.stdout.read().decode()
    assert "serving on 127.0.0.1" in output and "stopped" in output
    assert not psutil.pid_exists(process.pid) or psutil.Process(process.pid).status() == "zombie"
    assert psutil.Process().children(recursive=True) == []


def test_job_dies_with_its_parent():
    """The parent is SIGKILLed (no chance to clean up): PDEATHSIG ends the job."""
    port = free_port()
    spawner = (
        "import subprocess, sys, time\n"
        f"child = subprocess.Popen({job_argv('t-orphan', port)!r})\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", spawner],
        env=job_env(LIVE),
        cwd=twin_config.REPO_ROOT,
        stdout=subprocess.PIPE,
    )
    job = psutil.Process(int(parent.stdout.readline()))
    try:
        wait_serving(port)
        parent.kill()
        parent.wait(timeout=5)
        job.wait(timeout=5)
        assert not job.is_running()
    finally:
        stop(parent)
        if job.is_running():
            job.kill()
