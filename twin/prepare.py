"""Before any workload starts: pick ports, generate credentials, write the twin's files."""

from __future__ import annotations

import secrets as random_secrets
from pathlib import Path

from contract import constants
from twin import config, ports, ssh, tls

# Ports the twin needs, by endpoints.json location.
_PORTS = (
    ("focus", "port"),
    ("mongo", "port"),
    ("mongo", "tls_port"),
    ("rabbitmq", "amqp_port"),
    ("rabbitmq", "amqps_port"),
    ("rabbitmq", "mgmt_port"),
    ("rabbitmq", "management_https_port"),
    ("rabbitmq", "dist_port"),
    ("rabbitmq", "epmd_port"),
    ("kube", "port"),
    ("kube", "internal_port"),
    ("ssh", "jump_port"),
    ("ssh", "worker_port"),
)


def _pick_ports(previous: dict, owner: str = "") -> dict[tuple[str, str], int]:
    """Keep last run's ports where they are still free and nobody else holds them (stable
    URLs); else pick new ones outside the ephemeral range, all reserved (twin/ports.py)."""
    wanted = []
    for section, key in _PORTS:
        old = previous.get(section, {}).get(key)
        wanted.append(old if isinstance(old, int) and old not in wanted else None)
    return dict(zip(_PORTS, ports.reserve(wanted, owner=owner), strict=True))


def _secrets(base: Path) -> dict:
    try:
        existing = config.load_secrets(base)
    except config.TwinNotRunning:
        existing = {}
    generated = {
        "focus_user": "focus-tester",
        "focus_password": random_secrets.token_urlsafe(18),
        "focus_other_user": "focus-observer",
        "focus_other_password": random_secrets.token_urlsafe(18),
        "token_signing_key": random_secrets.token_hex(32),
        "mongo_user": constants.MONGO_USER,
        "mongo_password": random_secrets.token_urlsafe(18),
        "rabbitmq_user": "prisma",
        "rabbitmq_password": random_secrets.token_urlsafe(18),
        "kube_token": random_secrets.token_urlsafe(32),
        "erlang_cookie": random_secrets.token_hex(16).upper(),
    }
    # Credentials persist with the data they protect (MongoDB users, RabbitMQ definitions).
    return {**generated, **existing}


def prepare(base: Path) -> tuple[dict, dict]:
    """Write certificates, ``secrets.json`` and ``endpoints.json``; return both dicts."""
    base.mkdir(parents=True, exist_ok=True)
    (base / "kube-api-closed").unlink(missing_ok=True)  # a fresh twin's API port is open
    try:
        previous = config.load_endpoints(base)
    except config.TwinNotRunning:
        previous = {}
    ports = _pick_ports(previous, owner=str(base.resolve()))
    host = config.HOST
    focus_port = ports[("focus", "port")]
    kube_port = ports[("kube", "port")]
    endpoints = {
        "host": host,
        **tls.ensure_certificates(base),
        "focus": {
            "port": focus_port,
            "base_url": f"https://{host}:{focus_port}/focus-server",
            "ui_url": f"https://{host}:{focus_port}/liveView",
        },
        "mongo": {
            "port": ports[("mongo", "port")],
            # The same server over TLS (server.pem): what a remote-style MONGO_URI uses.
            "tls_port": ports[("mongo", "tls_port")],
            "database": constants.MONGO_DATABASE,
            "auth_source": constants.MONGO_AUTH_SOURCE,
        },
        "rabbitmq": {
            "amqp_port": ports[("rabbitmq", "amqp_port")],
            # AMQP and the management API over TLS (server.pem), beside the plain ones.
            "amqps_port": ports[("rabbitmq", "amqps_port")],
            "mgmt_port": ports[("rabbitmq", "mgmt_port")],
            "management_https_port": ports[("rabbitmq", "management_https_port")],
            "dist_port": ports[("rabbitmq", "dist_port")],
            "epmd_port": ports[("rabbitmq", "epmd_port")],
            "node_name": "twin@localhost",
            "vhost": "/",
        },
        "kube": {
            "port": kube_port,
            "url": f"https://{host}:{kube_port}",
            "kubeconfig": str(base / "kubeconfig"),
            # The worker node's kubectl reaches the API here (see twin/kube/cluster.py).
            "internal_port": ports[("kube", "internal_port")],
            "internal_kubeconfig": str(base / "kubeconfig-internal"),
            "namespace": constants.K8S_NAMESPACE,
        },
    }
    if ssh.installed():
        endpoints["ssh"] = ssh.ensure_keys(
            base, ports[("ssh", "jump_port")], ports[("ssh", "worker_port")]
        )
    secret_values = _secrets(base)
    config.write_json(base / config.SECRETS_FILE, secret_values, private=True)
    config.write_json(base / config.ENDPOINTS_FILE, endpoints)
    return endpoints, secret_values
