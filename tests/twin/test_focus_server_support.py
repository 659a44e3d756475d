"""Helpers (no tests) shared by the Focus Server tests: settings, a fake job backend, clients."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent import futures
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import grpc
import mongomock
import numpy as np
import segyio
from fastapi.testclient import TestClient
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from pymongo.database import Database

from contract import constants
from twin.focus_server import API_PREFIX
from twin.focus_server.app import create_app
from twin.focus_server.settings import Settings

USER, PASSWORD = "focus-tester", "s3cret-password"


class FakeJobBackend:
    """Jobs that are only a shared in-process gRPC health server (SERVING)."""

    start_concurrency = 1

    def __init__(self, port: int) -> None:
        self.port = port
        self.alive: set[str] = set()
        self.started: list[str] = []
        self.stopped: list[str] = []
        self._lock = threading.Lock()

    def start(self, task_id: str, config: dict) -> tuple[str, int]:
        with self._lock:
            self.alive.add(task_id)
            self.started.append(task_id)
        return "127.0.0.1", self.port

    def stop(self, task_id: str) -> None:
        with self._lock:
            self.alive.discard(task_id)
            self.stopped.append(task_id)

    def is_alive(self, task_id: str) -> bool:
        with self._lock:
            return task_id in self.alive


@contextmanager
def health_server() -> Iterator[int]:
    """An in-process gRPC server whose health service answers SERVING; yields its port."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield port
    finally:
        server.stop(grace=None).wait(timeout=5)


@contextmanager
def tcp_listener() -> Iterator[tuple[str, int]]:
    """A listening TCP socket standing in for RabbitMQ's AMQP port."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()


def closed_port() -> int:
    """A port nothing listens on (bound then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_settings(db, backend, rabbitmq, **overrides) -> Settings:
    """Settings on a mongomock database (or any pymongo Database)."""
    values = {
        "focus_user": USER,
        "focus_password": PASSWORD,
        "token_signing_key": "test-signing-key",
        "database": lambda: db,
        "mongo_ping": lambda: db.command("ping"),
        "rabbitmq": rabbitmq,
        "job_backend": backend,
        "running_timeout_s": 5.0,
        "health_poll_s": 0.05,
    }
    values.update(overrides)
    return Settings(**values)


def new_db():
    return mongomock.MongoClient(tz_aware=True)["prisma"]


class Api:
    """A TestClient that prefixes the API path and carries a bearer token."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.token = self.login().json()["access_token"]

    def login(self, **extra) -> object:
        body = {"username": USER, "password": PASSWORD, **extra}
        return self.client.post(f"{API_PREFIX}/auth/token", json=body)

    def request(self, method: str, path: str, token: str | None = None, **kwargs):
        headers = kwargs.pop("headers", {})
        headers.setdefault("Authorization", f"Bearer {token or self.token}")
        return self.client.request(method, f"{API_PREFIX}{path}", headers=headers, **kwargs)

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs):
        return self.request("POST", path, **kwargs)

    def delete(self, path: str, **kwargs):
        return self.request("DELETE", path, **kwargs)


@contextmanager
def running_api(settings: Settings) -> Iterator[Api]:
    """The application in-process (lifespan included) and an authenticated client."""
    app = create_app(settings)
    with TestClient(app) as client:
        yield Api(client)
    assert app.state.internal_errors == 0, "a request reached the catch-all 500 handler"


def wait_for(predicate: Callable[[], object], timeout: float, what: str) -> object:
    """Poll ``predicate`` every 50 ms until truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError(f"waited {timeout}s for {what}; last saw {last!r}")


def live_config(**changes) -> dict:
    config = {
        "timeStatus": "Live",
        "viewType": "MultiChannel",
        "nfft": 1024,
        "overlap": 512,
        "channels": {"min": 11, "max": 109},
        "frequencyRange": {"min": 0, "max": 500},
        "startTime": None,
        "endTime": None,
    }
    config.update(changes)
    return config


# A small recorded history for the in-process tests (the twin's recorder writes the real one).
SEED_FILES = 12
FILE_DURATION = timedelta(minutes=10)
SAMPLES_PER_TRACE = 16


def write_segy(path: Path, channel_count: int) -> None:
    """A minimal SEG-Y file with one trace per channel."""
    spec = segyio.spec()
    spec.format = 5
    spec.samples = list(range(SAMPLES_PER_TRACE))
    spec.tracecount = channel_count
    path.parent.mkdir(parents=True, exist_ok=True)
    with segyio.create(str(path), spec) as handle:
        handle.trace = np.zeros((channel_count, SAMPLES_PER_TRACE), dtype=np.float32)


def seed_recordings(db: Database, directory: Path, now: datetime) -> int:
    """Seed the history when ``recordings`` is empty; the number of documents written."""
    collection = db["recordings"]
    if collection.count_documents({}, limit=1):
        return 0
    end = now.replace(second=0, microsecond=0)
    documents = []
    for number in range(SEED_FILES, 0, -1):
        start = end - number * FILE_DURATION
        name = str(uuid.uuid4())
        path = directory / f"{start:%Y%m%dT%H%M%S}-{name}.segy"
        write_segy(path, constants.SENSORS_RANGE)
        documents.append(
            {
                "uuid": name,
                "start_time": start,
                "end_time": start + FILE_DURATION,
                "file_path": str(path),
                "channel_count": constants.SENSORS_RANGE,
                "classification": "complete",
                "deleted": False,
            }
        )
    collection.insert_many(documents)
    return len(documents)
