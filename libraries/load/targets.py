"""An environment's variables outside Robot (for make baseline / load / fuzz): on ``local``
the twin is joined, or started, on a lease held by this process (``twin up --lease``): a
twin that another run is just leaving is waited for and started afresh, and a twin this
process started stops by itself once the process has ended."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from libraries import run_environment
from libraries.common.arguments import plain
from libraries.load.runner import LoadTarget

ROOT = Path(__file__).resolve().parents[2]


def _join_twin() -> None:
    """Join the local twin on a lease of this process (start it when it is not up)."""
    result = subprocess.run(
        [sys.executable, "-m", "twin", "up", "--lease", str(os.getpid())],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        lines = (result.stderr.strip() or result.stdout.strip() or "no output").splitlines()
        raise RuntimeError(f"the twin did not start ({lines[-1]}): 'python -m twin up' says why")


def _join_local_twin(name: str) -> None:
    if name == run_environment.LOCAL:
        _join_twin()


@contextlib.contextmanager
def environment(env: str) -> Iterator[Mapping[str, Any]]:
    """The variables of ``env`` (``variables/<env>.py``), resolved as a Robot run resolves
    them (:func:`libraries.run_environment.resolve_environment`: an unknown environment or
    a missing variable is a one-line ``ValueError``); on ``local`` the twin runs meanwhile."""
    yield run_environment.resolve_environment(env, before_loading=_join_local_twin).variables


def load_target(variables: Mapping[str, Any], amqp_site: str | None = None) -> LoadTarget:
    """The Focus API (and, with ``amqp_site``, RabbitMQ) of an environment's variables."""
    amqp = None
    if amqp_site:
        amqp = {
            "host": variables["RABBITMQ_HOST"],
            "port": int(variables["RABBITMQ_PORT"]),
            # amqps:// (RABBITMQ_TLS): verified against the target's CA bundle, like HTTPS.
            "tls": bool(variables.get("RABBITMQ_TLS")),
            "user": plain(variables["RABBITMQ_USER"]),
            "password": plain(variables["RABBITMQ_PASSWORD"]),
            "vhost": variables.get("RABBITMQ_VHOST") or "/",
            "exchange": variables.get("RABBITMQ_EXCHANGE", "prisma"),
            "routing_key": variables.get("ALERT_ROUTING_KEY", "Algorithm.AlertReport"),
            "site_id": amqp_site,
        }
    return LoadTarget(
        variables["FOCUS_BASE_URL"],
        plain(variables["FOCUS_USER"]),
        plain(variables["FOCUS_PASSWORD"]),
        variables.get("CA_BUNDLE"),
        amqp,
    )
