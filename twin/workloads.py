"""The twin's long-running workloads: what runs, and how the supervisor knows it serves."""

from __future__ import annotations

import socket
import ssl
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from contract import constants
from twin import ssh
from twin.segy_recorder.probe import probe_segy_recorder

Probe = Callable[[dict, dict], bool]


@dataclass(frozen=True)
class WorkloadSpec:
    """One workload ("Deployment" or "StatefulSet" with one replica) of the twin."""

    name: str
    kind: str
    module: str
    probe: Probe
    image: str
    grace_seconds: float = 10.0
    replicas: int = 1
    # Added for the Kubernetes API (twin/kube): Job pods run a command, not a module.
    command: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    restart_policy: str = "Always"
    service_ports: tuple[tuple[str, str], ...] = ()  # (port name, endpoints.json key path)

    @property
    def is_host(self) -> bool:
        """A host (the SSH jump host, the worker node): supervised, not a Kubernetes pod."""
        return self.kind == "Host"

    def argv(self) -> list[str]:
        return list(self.command) if self.command else [sys.executable, "-m", self.module]


def _tcp_open(port: int, timeout: float = 0.3) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


def _tls_answers(port: int, cafile: str, timeout: float = 1.0) -> bool:
    """A TLS handshake with 127.0.0.1:``port`` succeeds, verified against ``cafile``."""
    context = ssl.create_default_context(cafile=cafile)
    try:
        with (
            socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname="127.0.0.1"),
        ):
            return True
    except OSError:  # ssl.SSLError included; a plain server times the handshake out
        return False


def _tls_ports_serve(endpoints: dict, section: str, keys: tuple[str, ...]) -> bool:
    """Every TLS port of ``section`` that endpoints.json names completes a verified
    handshake (none named: True)."""
    ports = endpoints[section]
    return all(_tls_answers(ports[key], endpoints["ca"]) for key in keys if key in ports)


def probe_mongo(endpoints: dict, secrets: dict) -> bool:
    """Ready when an authenticated ping succeeds and the TLS port completes a handshake."""
    if not _tcp_open(endpoints["mongo"]["port"]):
        return False
    if not _tls_ports_serve(endpoints, "mongo", ("tls_port",)):
        return False
    import pymongo
    from pymongo.errors import PyMongoError

    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
        host="127.0.0.1",
        port=endpoints["mongo"]["port"],
        username=secrets["mongo_user"],
        password=secrets["mongo_password"],
        authSource=endpoints["mongo"]["auth_source"],
        serverSelectionTimeoutMS=500,
        connectTimeoutMS=500,
        socketTimeoutMS=1000,
    )
    try:
        client[endpoints["mongo"]["database"]].command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


def probe_rabbitmq(endpoints: dict, secrets: dict) -> bool:
    """Ready when an authenticated AMQP connection opens and the TLS ports (AMQP, the
    management API) complete a handshake."""
    from twin.rabbitmq import amqp_ready

    if not _tls_ports_serve(endpoints, "rabbitmq", ("amqps_port", "management_https_port")):
        return False
    return amqp_ready(
        "127.0.0.1",
        endpoints["rabbitmq"]["amqp_port"],
        secrets["rabbitmq_user"],
        secrets["rabbitmq_password"],
        vhost=endpoints["rabbitmq"]["vhost"],
        timeout=1.0,
    )


def probe_focus(endpoints: dict, secrets: dict) -> bool:
    """Ready when /health answers 200 over verified HTTPS."""
    if not _tcp_open(endpoints["focus"]["port"]):
        return False
    context = ssl.create_default_context(cafile=endpoints["ca"])
    try:
        with urllib.request.urlopen(
            endpoints["focus"]["base_url"] + "/health", context=context, timeout=2
        ) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


# Hosts, not pods: real OpenSSH servers (twin/ssh), not in the Kubernetes API.
SSH_HOSTS: tuple[WorkloadSpec, ...] = (
    WorkloadSpec(
        name=constants.SSH_JUMP_WORKLOAD,
        kind="Host",
        module="twin.ssh",
        probe=ssh.probe(constants.SSH_JUMP_WORKLOAD),
        image="debian/openssh-server:9.2",
        grace_seconds=5.0,
    ),
    WorkloadSpec(
        name=constants.SSH_WORKER_WORKLOAD,
        kind="Host",
        module="twin.ssh",
        probe=ssh.probe(constants.SSH_WORKER_WORKLOAD),
        image="debian/openssh-server:9.2",
        grace_seconds=5.0,
    ),
)

WORKLOADS: tuple[WorkloadSpec, ...] = (
    WorkloadSpec(
        name=constants.MONGODB_WORKLOAD,
        kind="Deployment",
        module="twin.mongo",
        probe=probe_mongo,
        image="twin/mongodb-standin:1",
        service_ports=(("mongodb", "mongo.port"), ("mongodb-tls", "mongo.tls_port")),
    ),
    WorkloadSpec(
        name=constants.RABBITMQ_WORKLOAD,
        kind="StatefulSet",
        module="twin.rabbitmq",
        probe=probe_rabbitmq,
        image="debian/rabbitmq-server:3",
        grace_seconds=15.0,
        service_ports=(
            ("amqp", "rabbitmq.amqp_port"),
            ("amqps", "rabbitmq.amqps_port"),
            ("management", "rabbitmq.mgmt_port"),
            ("management-https", "rabbitmq.management_https_port"),
        ),
    ),
    WorkloadSpec(
        name=constants.FOCUS_SERVER_WORKLOAD,
        kind="Deployment",
        module="twin.focus_server",
        probe=probe_focus,
        image="twin/focus-server:1",
        service_ports=(("https", "focus.port"),),
    ),
    WorkloadSpec(
        name=constants.SEGY_RECORDER_WORKLOAD,
        kind="Deployment",
        module="twin.segy_recorder",
        probe=probe_segy_recorder,
        image="twin/segy-recorder:1",
    ),
    *SSH_HOSTS,
)
