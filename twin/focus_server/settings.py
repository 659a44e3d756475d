"""Everything the Focus Server application needs, injected (tests build their own)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pymongo
from pymongo.database import Database

from contract import constants
from twin import config as twin_config
from twin.focus_server.alerts_consumer import AlertConsumer
from twin.focus_server.jobs import JobBackend, ProcessJobBackend
from twin.kube.job_backend import KubeJobBackend

DEFAULT_TOKEN_TTL_S = 3600
DEFAULT_RATE_PER_S = 200.0
DEFAULT_RATE_BURST = 400


class AlertConsumerLike(Protocol):
    """What the server needs of the RabbitMQ alert consumer (alerts_consumer.py)."""

    def start(self, wait: float | None = ...) -> None: ...

    def stop(self, timeout: float = ...) -> None: ...


@dataclass
class Settings:
    """Credentials, dependencies and limits of one Focus Server instance.

    ``database`` is a factory of the ``prisma`` database (pymongo or mongomock);
    ``mongo_ping`` raises when MongoDB does not answer quickly (health probe);
    ``rabbitmq`` is the AMQP address the health probe connects to;
    ``alert_consumer`` builds the consumer of ``Algorithm.AlertReport`` (none in unit tests).
    """

    focus_user: str
    # Secrets stay out of the repr: a failed test prints its fixtures (pytest.xml).
    focus_password: str = field(repr=False)
    token_signing_key: str = field(repr=False)
    database: Callable[[], Database]
    mongo_ping: Callable[[], object]
    rabbitmq: tuple[str, int] | None
    job_backend: JobBackend
    alert_consumer: Callable[[Database], AlertConsumerLike] | None = None
    token_ttl_s: int = DEFAULT_TOKEN_TTL_S
    rate_per_s: float = DEFAULT_RATE_PER_S
    rate_burst: int = DEFAULT_RATE_BURST
    max_windows: int = constants.MAX_WINDOWS
    running_timeout_s: float = constants.TASK_RUNNING_TIMEOUT_S
    health_poll_s: float = 0.1
    capacity_retry_after_s: int = 5
    clock: Callable[[], float] = time.time
    # More accounts beside ``focus_user`` (user -> password): the twin's second tester,
    # whose tokens the per-token rate limit must keep apart from the first one's.
    other_users: dict[str, str] = field(default_factory=dict, repr=False)

    def accounts(self) -> dict[str, str]:
        """Every account that may log in: user -> password."""
        return {self.focus_user: self.focus_password, **self.other_users}


def _mongo_client(endpoints: dict, secrets: dict, timeout_ms: int) -> pymongo.MongoClient:
    return pymongo.MongoClient(
        host=twin_config.HOST,
        port=endpoints["mongo"]["port"],
        username=secrets["mongo_user"],
        password=secrets["mongo_password"],
        authSource=constants.MONGO_AUTH_SOURCE,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        socketTimeoutMS=2 * timeout_ms,
        tz_aware=True,
        connect=False,
    )


def _job_backend(endpoints: dict, base: Path | None) -> JobBackend:
    """Jobs are Kubernetes Jobs on the twin; a server run without the twin's Kubernetes API
    (a test of the server alone) starts them as its own processes."""
    if "kube" in endpoints:
        return KubeJobBackend(endpoints["kube"]["kubeconfig"])
    return ProcessJobBackend(twin_config.logs_dir(base))


def from_twin(base: Path | None = None) -> Settings:
    """Settings of the twin's ``panda-panda-focus-server`` from ``$FOCUS_TWIN_DIR``."""
    endpoints = twin_config.load_endpoints(base)
    secrets = twin_config.load_secrets(base)
    client = _mongo_client(endpoints, secrets, 1000)
    probe = _mongo_client(endpoints, secrets, 500)
    return Settings(
        focus_user=secrets["focus_user"],
        focus_password=secrets["focus_password"],
        token_signing_key=secrets["token_signing_key"],
        database=lambda: client[constants.MONGO_DATABASE],
        mongo_ping=lambda: probe[constants.MONGO_DATABASE].command("ping"),
        rabbitmq=(twin_config.HOST, endpoints["rabbitmq"]["amqp_port"]),
        job_backend=_job_backend(endpoints, base),
        alert_consumer=lambda db: AlertConsumer(endpoints, secrets, db),
        other_users=(
            {secrets["focus_other_user"]: secrets["focus_other_password"]}
            if secrets.get("focus_other_user")
            else {}
        ),
    )
