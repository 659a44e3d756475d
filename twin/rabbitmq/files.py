"""The private node's files: configuration, definitions, plugins, cookie, and environment.

Everything lives under one data directory, so two twins (or the system's own
RabbitMQ) never share a file, a port or a node name::

    <data>/runtime/                 a slim RABBITMQ_HOME (symlinks to Debian's files)
    <data>/etc/rabbitmq.conf        listeners on 127.0.0.1, load_definitions, logs
    <data>/etc/definitions.json     user, permissions, exchange and queue (0600)
    <data>/etc/enabled_plugins      [rabbitmq_management].
    <data>/etc/tls/                 the twin's CA, server certificate and key (0600), copied
                                    here so the node's own user can read them
    <data>/home/.erlang.cookie      the twin's cookie (0400)
    <data>/mnesia/                  the node's database (persistent messages too)
    <data>/log/<node>.log           the node's own log
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import pwd
import secrets
import stat
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

from contract import constants
from twin import config
from twin.rabbitmq import runtime

SERVICE_USER = "rabbitmq"
PLUGINS = ("rabbitmq_management",)
HASHING_ALGORITHM = "rabbit_password_hashing_sha256"
# Resolve "localhost" (the node's host) from this file: no inet_gethost helper, no DNS.
INETRC = '{lookup, [file]}.\n{host, {127,0,0,1}, ["localhost"]}.\n'
# Environment variables of the caller that would leak into the node's set-up.
_INHERITED_PREFIXES = ("RABBITMQ_", "ERL_", "NOTIFY_SOCKET")


@dataclass(frozen=True)
class TlsListeners:
    """The TLS listeners beside the plain ones (AMQP and the management API, both on
    127.0.0.1) and the files they present: the twin's ``server.pem`` signed by its CA."""

    amqps_port: int
    management_https_port: int
    ca_file: Path
    cert_file: Path
    key_file: Path


@dataclass(frozen=True)
class NodeSpec:
    """A prepared node: where its files are, its ports, and who runs it."""

    data_dir: Path
    node_name: str
    amqp_port: int
    mgmt_port: int
    dist_port: int
    epmd_port: int
    user: str
    password: str = field(repr=False)
    vhost: str = "/"
    run_as: tuple[int, int] | None = None
    tls: TlsListeners | None = None

    @property
    def etc_dir(self) -> Path:
        return self.data_dir / "etc"

    @property
    def home(self) -> Path:
        return self.data_dir / "home"

    @property
    def runtime_dir(self) -> Path:
        """The slim ``RABBITMQ_HOME`` (see :mod:`twin.rabbitmq.runtime`)."""
        return self.data_dir / "runtime"

    @property
    def server_script(self) -> Path:
        return self.runtime_dir / "sbin" / "rabbitmq-server"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "log"

    @property
    def log_file(self) -> Path:
        """The node's own log: the place to look when it does not start."""
        return self.log_dir / f"{self.node_name}.log"

    @property
    def config_file(self) -> Path:
        return self.etc_dir / "rabbitmq.conf"

    @property
    def definitions_file(self) -> Path:
        return self.etc_dir / "definitions.json"

    @property
    def plugins_file(self) -> Path:
        return self.etc_dir / "enabled_plugins"

    @property
    def tls_dir(self) -> Path:
        """The node's copy of the certificate files (its own user must read the key)."""
        return self.etc_dir / "tls"

    def environment(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """The node's environment: ``base`` (default: ours) minus RabbitMQ/Erlang settings."""
        env = {
            key: value
            for key, value in (os.environ if base is None else base).items()
            if not key.startswith(_INHERITED_PREFIXES)
        }
        etc = self.etc_dir
        env.update(
            HOME=str(self.home),
            LANG="C.UTF-8",
            LC_ALL="C.UTF-8",
            ERL_EPMD_PORT=str(self.epmd_port),
            ERL_EPMD_ADDRESS=config.HOST,
            ERL_CRASH_DUMP=str(self.log_dir / "erl_crash.dump"),
            ERL_INETRC=str(etc / "inetrc"),
            RABBITMQ_SCRIPTS_DIR=str(self.runtime_dir / "sbin"),
            RABBITMQ_NODENAME=self.node_name,
            RABBITMQ_USE_LONGNAME="false",
            RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_CONF_ENV_FILE=str(etc / "rabbitmq-env.conf"),
            RABBITMQ_CONFIG_FILE=str(self.config_file),
            RABBITMQ_CONFIG_FILES=str(etc / "conf.d"),
            RABBITMQ_ADVANCED_CONFIG_FILE=str(etc / "advanced.config"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(self.plugins_file),
            RABBITMQ_MOTD_FILE=str(etc / "motd"),
            RABBITMQ_MNESIA_BASE=str(self.data_dir / "mnesia"),
            RABBITMQ_LOG_BASE=str(self.log_dir),
            RABBITMQ_PID_FILE=str(self.data_dir / f"{self.node_name}.pid"),
            RABBITMQ_SCHEDULER_BIND_TYPE="u",
            RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=(
                "-kernel inet_dist_use_interface {127,0,0,1}"
                f" -kernel inet_dist_listen_min {self.dist_port}"
                f" -kernel inet_dist_listen_max {self.dist_port}"
            ),
        )
        return env


def password_hash(password: str, salt: bytes | None = None) -> str:
    """RabbitMQ's sha256 password hash: ``base64(salt + sha256(salt + password))``."""
    salt = secrets.token_bytes(4) if salt is None else salt
    digest = hashlib.sha256(salt + password.encode("utf-8")).digest()
    return base64.b64encode(salt + digest).decode("ascii")


def definitions(user: str, password: str, vhost: str = "/") -> dict:
    """Boot-time definitions: the one administrator, the alert exchange and queue."""
    return {
        "users": [
            {
                "name": user,
                "password_hash": password_hash(password),
                "hashing_algorithm": HASHING_ALGORITHM,
                "tags": "administrator",
            }
        ],
        "vhosts": [{"name": vhost}],
        "permissions": [
            {"user": user, "vhost": vhost, "configure": ".*", "write": ".*", "read": ".*"}
        ],
        "exchanges": [
            {
                "name": constants.ALERT_EXCHANGE,
                "vhost": vhost,
                "type": "topic",
                "durable": True,
                "auto_delete": False,
                "internal": False,
                "arguments": {},
            }
        ],
        "queues": [
            {
                "name": name,
                "vhost": vhost,
                "durable": True,
                "auto_delete": False,
                "arguments": {},
            }
            for name in (constants.ALERT_REJECTED_QUEUE, constants.ALERT_CONSUMER_QUEUE)
        ],
        # The focus server's queue is part of the deployment: an alert published while the
        # consumer is down (a focus-server restart) waits in it instead of being unroutable.
        "bindings": [
            {
                "source": constants.ALERT_EXCHANGE,
                "vhost": vhost,
                "destination": constants.ALERT_CONSUMER_QUEUE,
                "destination_type": "queue",
                "routing_key": constants.ALERT_ROUTING_KEY,
                "arguments": {},
            },
            # Rejections reach their queue through the exchange, so a test can bind a
            # private queue beside it (contract section 3, decided).
            {
                "source": constants.ALERT_REJECTED_EXCHANGE,
                "vhost": vhost,
                "destination": constants.ALERT_REJECTED_QUEUE,
                "destination_type": "queue",
                "routing_key": constants.ALERT_REJECTED_ROUTING_KEY,
                "arguments": {},
            },
        ],
    }


def _tls_conf(tls: TlsListeners) -> list[str]:
    """AMQP over TLS and the management API over HTTPS (RabbitMQ's documented keys,
    https://www.rabbitmq.com/docs/ssl and /docs/management#single-listener-https): the
    server presents its certificate and asks none of the client."""
    files = (("cacertfile", tls.ca_file), ("certfile", tls.cert_file), ("keyfile", tls.key_file))
    return [
        f"listeners.ssl.1 = {config.HOST}:{tls.amqps_port}",
        *(f"ssl_options.{key} = {path}" for key, path in files),
        "ssl_options.verify = verify_none",
        "ssl_options.fail_if_no_peer_cert = false",
        f"management.ssl.ip = {config.HOST}",
        f"management.ssl.port = {tls.management_https_port}",
        *(f"management.ssl.{key} = {path}" for key, path in files),
    ]


def rabbitmq_conf(spec: NodeSpec) -> str:
    """``rabbitmq.conf``: loopback listeners (plain, and TLS when the spec has them), boot
    definitions, logs to file and console."""
    lines = [
        f"listeners.tcp.1 = {config.HOST}:{spec.amqp_port}",
        f"management.tcp.ip = {config.HOST}",
        f"management.tcp.port = {spec.mgmt_port}",
        *(_tls_conf(spec.tls) if spec.tls is not None else []),
        f"load_definitions = {spec.definitions_file}",
        f"log.file = {spec.log_file}",
        "log.file.level = info",
        "log.console = true",
        "log.console.level = info",
        "log.console.use_colors = off",
    ]
    return "\n".join(lines) + "\n"


def _service_account(name: str) -> tuple[int, int] | None:
    """``(uid, gid)`` of ``name`` when we are root and it exists, else None (run as ourselves)."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return None
    return entry.pw_uid, entry.pw_gid


def _reachable(path: Path, uid: int, gid: int) -> bool:
    """Whether ``uid``/``gid`` may traverse every directory down to ``path``."""
    for directory in [path, *path.parents]:
        mode = directory.stat()
        if mode.st_uid == uid:
            allowed = mode.st_mode & stat.S_IXUSR
        elif mode.st_gid == gid:
            allowed = mode.st_mode & stat.S_IXGRP
        else:
            allowed = mode.st_mode & stat.S_IXOTH
        if not allowed:
            return False
    return True


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def _copy_certificates(tls: TlsListeners, into: Path) -> TlsListeners:
    """Copy the CA, certificate and key into the node's ``etc/tls`` (the key 0600; the
    whole tree is handed to the node's user afterwards); return the copies' paths."""
    into.mkdir(exist_ok=True)
    copied = replace(
        tls,
        ca_file=into / "ca.pem",
        cert_file=into / "server.pem",
        key_file=into / "server-key.pem",
    )
    for source, target, mode in (
        (tls.ca_file, copied.ca_file, 0o644),
        (tls.cert_file, copied.cert_file, 0o644),
        (tls.key_file, copied.key_file, 0o600),
    ):
        _write(target, Path(source).read_text(), mode)
    return copied


def _chown_tree(root: Path, uid: int, gid: int) -> None:
    os.chown(root, uid, gid)
    for directory, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            os.lchown(os.path.join(directory, name), uid, gid)


def prepare(
    base_dir: Path,
    *,
    amqp_port: int,
    mgmt_port: int,
    dist_port: int,
    epmd_port: int,
    user: str,
    password: str,
    cookie: str,
    node_name: str | None = None,
    vhost: str = "/",
    tls: TlsListeners | None = None,
) -> NodeSpec:
    """Write the node's files under ``base_dir`` and return its spec.

    With ``tls`` the node also listens for AMQP over TLS and the management API over
    HTTPS, presenting copies of the given files kept under ``etc/tls``.

    When root, the node runs as the ``rabbitmq`` service user (as Debian's own
    service does), provided that user can reach ``base_dir``; otherwise, and when
    not root, it runs as the current user.
    """
    base_dir = Path(base_dir).resolve()
    base_dir.mkdir(parents=True, exist_ok=True)
    account = _service_account(SERVICE_USER)
    if account is not None and not _reachable(base_dir, *account):
        print(
            f"rabbitmq-panda: {base_dir} is not reachable by user {SERVICE_USER}: "
            "running the node as root",
            file=sys.stderr,
        )
        account = None
    spec = NodeSpec(
        data_dir=base_dir,
        node_name=node_name or f"twin-{amqp_port}@localhost",
        amqp_port=amqp_port,
        mgmt_port=mgmt_port,
        dist_port=dist_port,
        epmd_port=epmd_port,
        user=user,
        password=password,
        vhost=vhost,
        run_as=account,
    )
    for directory in (spec.etc_dir, spec.home, spec.log_dir, base_dir / "mnesia"):
        directory.mkdir(parents=True, exist_ok=True)
    if tls is not None:
        spec = replace(spec, tls=_copy_certificates(tls, spec.tls_dir))
    (spec.etc_dir / "conf.d").mkdir(exist_ok=True)
    _write(spec.etc_dir / "rabbitmq-env.conf", "# the twin sets everything in the environment\n")
    _write(spec.config_file, rabbitmq_conf(spec), 0o600)
    _write(spec.definitions_file, json.dumps(definitions(user, password, vhost), indent=2), 0o600)
    _write(spec.plugins_file, f"[{','.join(PLUGINS)}].\n")
    _write(spec.etc_dir / "inetrc", INETRC)
    runtime.build(spec.runtime_dir, PLUGINS)
    cookie_file = spec.home / ".erlang.cookie"
    if cookie_file.exists():
        cookie_file.chmod(0o600)
    _write(cookie_file, cookie, 0o400)
    if account is not None:
        _chown_tree(base_dir, *account)
    return spec
