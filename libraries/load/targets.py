"""An environment's variables outside Robot (for make baseline / load / fuzz): the twin is
started when ``env`` is ``local`` and not up, and stopped again afterwards."""

from __future__ import annotations

import contextlib
import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from libraries.load.runner import LoadTarget

ROOT = Path(__file__).resolve().parents[2]


def plain(value: object) -> str:
    """The text of a Robot ``Secret`` (or of any value)."""
    return str(getattr(value, "value", value) or "")


def _twin(command: str) -> int:
    return subprocess.run(
        [sys.executable, "-m", "twin", command], cwd=ROOT, capture_output=True, text=True
    ).returncode


@contextlib.contextmanager
def environment(env: str) -> Iterator[dict]:
    """The variables of ``env`` (``variables/<env>.py``); on ``local`` the twin runs meanwhile."""
    started = False
    if env == "local" and _twin("status") != 0:
        if _twin("up") != 0:
            raise RuntimeError("the twin did not start: run 'python -m twin up' to see why")
        started = True
    try:
        module = importlib.import_module(f"variables.{env}")
        yield module.get_variables()
    finally:
        if started:
            _twin("down")


def load_target(variables: dict, amqp_site: str | None = None) -> LoadTarget:
    """The Focus API (and, with ``amqp_site``, RabbitMQ) of an environment's variables."""
    amqp = None
    if amqp_site:
        amqp = {
            "host": variables["RABBITMQ_HOST"],
            "port": int(variables["RABBITMQ_PORT"]),
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
