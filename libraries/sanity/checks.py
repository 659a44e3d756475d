"""The pre-run sanity check: every service of an environment, at once, in bounded time.

Each check is a function of :class:`Target` returning ``None`` (fine) or a
:class:`Problem` (what failed and how to fix it). :func:`check_all` runs them in
parallel threads and gives up on any that has not answered by the deadline. Robot-free.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import requests

from libraries.common.arguments import plain
from libraries.common.redact import redact, register

CHECK_TIMEOUT_S = 4.0
DEADLINE_S = 10.0
TLS_NOT_TRUSTED = "TLS certificate not trusted"
CA_FIX = "set FOCUS_CA_BUNDLE to the CA that signed the server's certificate"


@dataclass
class Target:
    """The environment's endpoints and credentials (plain strings; never logged, not in
    ``repr``)."""

    env_name: str
    focus_url: str
    focus_user: str
    focus_password: str = field(repr=False)
    ca_bundle: str | None
    mongo_host: str
    mongo_port: int
    mongo_user: str
    mongo_password: str = field(repr=False)
    mongo_auth_source: str
    mongo_database: str
    mongo_tls: bool
    rabbit_host: str
    rabbit_port: int
    rabbit_user: str
    rabbit_password: str = field(repr=False)
    rabbit_vhost: str
    rabbit_tls: bool
    rabbit_mgmt_url: str
    kubeconfig: str | None
    kube_context: str | None
    namespace: str
    ssh_host: str | None = None
    ssh_jump_host: str | None = None
    ssh_user: str | None = None
    ssh_key: str | None = None
    ssh_known_hosts: str | None = None
    timeout: float = CHECK_TIMEOUT_S

    @property
    def local(self) -> bool:
        return self.env_name == "local"


def target_from(env_name: str, variables: Mapping[str, Any]) -> Target:
    """The :class:`Target` of an environment's variables (as its variable file gives them:
    a ``Secret`` is unwrapped here, and only into the Target)."""

    def text(name: str, default: str = "") -> str:
        return plain(variables.get(name)) or default

    return Target(
        env_name=env_name,
        focus_url=text("FOCUS_BASE_URL"),
        focus_user=text("FOCUS_USER"),
        focus_password=text("FOCUS_PASSWORD"),
        ca_bundle=text("CA_BUNDLE") or None,
        mongo_host=text("MONGO_HOST"),
        mongo_port=int(text("MONGO_PORT", "27017")),
        mongo_user=text("MONGO_USER"),
        mongo_password=text("MONGO_PASSWORD"),
        mongo_auth_source=text("MONGO_AUTH_SOURCE", "admin"),
        mongo_database=text("MONGO_DATABASE", "admin"),
        mongo_tls=bool(variables.get("MONGO_TLS")),
        rabbit_host=text("RABBITMQ_HOST"),
        rabbit_port=int(text("RABBITMQ_PORT", "5672")),
        rabbit_user=text("RABBITMQ_USER"),
        rabbit_password=text("RABBITMQ_PASSWORD"),
        rabbit_vhost=text("RABBITMQ_VHOST", "/"),
        rabbit_tls=bool(variables.get("RABBITMQ_TLS")),
        rabbit_mgmt_url=text("RABBITMQ_MGMT_URL"),
        kubeconfig=text("KUBECONFIG") or None,
        kube_context=text("KUBE_CONTEXT") or None,
        namespace=text("K8S_NAMESPACE", "panda"),
        ssh_host=text("SSH_HOST") or None,
        ssh_jump_host=text("SSH_JUMP_HOST") or None,
        ssh_user=text("SSH_USER") or None,
        ssh_key=text("SSH_KEY") or None,
        ssh_known_hosts=text("SSH_KNOWN_HOSTS") or None,
    )


@dataclass
class Problem:
    what: str
    fix: str


@dataclass
class Outcome:
    service: str
    address: str
    problem: Problem | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass
class Check:
    service: str
    address: Callable[[Target], str]
    run: Callable[[Target], Problem | None]
    applies: Callable[[Target], bool] = field(default=lambda target: True)


def _reason(error: BaseException) -> str:
    """A short reason: 'connection refused', 'timed out', 'TLS verification failed'..."""
    text = f"{type(error).__name__}: {error}"
    lowered = text.lower()
    for needle, reason in (
        # First: pymongo's server selection error says "Timeout" whatever the cause.
        ("certificate verify failed", TLS_NOT_TRUSTED),
        ("refused", "connection refused"),
        ("timed out", "no answer (timed out)"),
        ("timeout", "no answer (timed out)"),
        ("name or service not known", "host name not found"),
        ("nodename nor servname", "host name not found"),
        ("no route to host", "no route to host"),
        ("reset by peer", "connection reset"),
    ):
        if needle in lowered:
            return reason
    return text.splitlines()[0][:120]


def _fix(target: Target, remote: str, reason: str = "") -> str:
    """How to fix an unreachable service: the CA bundle when its certificate is not
    trusted, the twin locally, the variable elsewhere."""
    if reason == TLS_NOT_TRUSTED:
        return CA_FIX
    if target.local:
        return "the twin is not serving it: see 'python -m twin status' and 'python -m twin logs'"
    return remote


# ---------------------------------------------------------------------- checks
def check_focus(target: Target) -> Problem | None:
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE must not beat the environment's CA
    verify = target.ca_bundle or True
    base = target.focus_url.rstrip("/")
    try:
        health = session.get(f"{base}/health", timeout=target.timeout, verify=verify)
    except requests.RequestException as error:
        reason = _reason(error)
        fix = _fix(target, "check FOCUS_BASE_URL, and that the server runs and is reachable")
        if "TLS" in reason:
            fix = CA_FIX
        return Problem(reason, fix)
    if health.status_code not in (200, 503):
        return Problem(
            f"GET /health answered {health.status_code}",
            "check FOCUS_BASE_URL: it must end in the API's base path (e.g. /focus-server)",
        )
    try:
        token = session.post(
            f"{base}/auth/token",
            json={"username": target.focus_user, "password": target.focus_password},
            timeout=target.timeout,
            verify=verify,
        )
    except requests.RequestException as error:
        return Problem(f"token request failed: {_reason(error)}", "check the server's logs")
    if token.status_code == 401:
        return Problem("the token was refused (401)", "check FOCUS_USER and FOCUS_PASSWORD")
    if token.status_code != 200 or "access_token" not in token.text:
        return Problem(
            f"POST /auth/token answered {token.status_code} without a token",
            "check the server's logs",
        )
    return None


def check_mongo(target: Target) -> Problem | None:
    import pymongo
    from pymongo.errors import OperationFailure, PyMongoError

    milliseconds = int(target.timeout * 1000)
    # With TLS the server is verified against the environment's CA (the system store
    # without one), as the MongoDB library does.
    trust: dict[str, Any] = (
        {"tlsCAFile": target.ca_bundle} if target.mongo_tls and target.ca_bundle else {}
    )
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
        host=target.mongo_host,
        port=int(target.mongo_port),
        username=target.mongo_user,
        password=target.mongo_password,
        authSource=target.mongo_auth_source,
        tls=target.mongo_tls,
        serverSelectionTimeoutMS=milliseconds,
        connectTimeoutMS=milliseconds,
        socketTimeoutMS=milliseconds,
        **trust,
    )
    try:
        client[target.mongo_database].command("ping")
    except OperationFailure as error:
        if error.code == 18 or "auth" in str(error).lower():
            return Problem(
                "authentication failed", "check the user and password in MONGO_URI (authSource)"
            )
        return Problem(f"ping failed: {error.details or error}"[:120], "check MongoDB's logs")
    except PyMongoError as error:
        reason = _reason(error)
        return Problem(reason, _fix(target, "check the host and port in MONGO_URI", reason))
    finally:
        client.close()
    return None


@contextlib.contextmanager
def _quiet(*names: str) -> Iterator[None]:
    """Silence chatty client loggers (pika logs tracebacks for a refused connection)."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [item.level for item in loggers]
    for item in loggers:
        item.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for item, level in zip(loggers, levels, strict=True):
            item.setLevel(level)


def check_amqp(target: Target) -> Problem | None:
    import pika
    from pika.exceptions import AMQPError, ProbableAccessDeniedError, ProbableAuthenticationError

    ssl_options = None
    if target.rabbit_tls:
        context = ssl.create_default_context(cafile=target.ca_bundle or None)
        ssl_options = pika.SSLOptions(context, server_hostname=target.rabbit_host)
    parameters = pika.ConnectionParameters(
        host=target.rabbit_host,
        port=int(target.rabbit_port),
        virtual_host=target.rabbit_vhost,
        credentials=pika.PlainCredentials(target.rabbit_user, target.rabbit_password),
        ssl_options=ssl_options,
        connection_attempts=1,
        socket_timeout=target.timeout,
        stack_timeout=target.timeout,
        blocked_connection_timeout=target.timeout,
    )
    try:
        connection = pika.BlockingConnection(parameters)
    except (ProbableAuthenticationError, ProbableAccessDeniedError):
        return Problem(
            "login refused (user, password or vhost)",
            "check the user, password and vhost in RABBITMQ_URL",
        )
    except (AMQPError, OSError) as error:
        reason = _reason(error) if str(error) else "connection failed"
        if type(error).__name__ == "AMQPConnectionError" and not str(error).strip("()"):
            reason = "connection refused or closed"
        return Problem(reason, _fix(target, "check the host and port in RABBITMQ_URL", reason))
    with contextlib.suppress(Exception):
        connection.close()
    return None


def check_management(target: Target) -> Problem | None:
    url = target.rabbit_mgmt_url.rstrip("/") + "/api/overview"
    try:
        response = requests.get(
            url,
            auth=(target.rabbit_user, target.rabbit_password),
            timeout=target.timeout,
            verify=target.ca_bundle or True,
        )
    except requests.RequestException as error:
        reason = _reason(error)
        return Problem(
            reason,
            _fix(target, "check RABBITMQ_MGMT_URL (default: the AMQP host, port 15672)", reason),
        )
    if response.status_code == 401:
        return Problem("login refused (401)", "the RABBITMQ_URL user needs management access")
    if response.status_code != 200:
        return Problem(
            f"GET /api/overview answered {response.status_code}", "check RABBITMQ_MGMT_URL"
        )
    return None


def check_kubernetes(target: Target) -> Problem | None:
    if not target.kubeconfig:
        return Problem("no kubeconfig", "set KUBECONFIG")
    from kubernetes import client as k8s
    from kubernetes import config as k8s_config
    from kubernetes.client.rest import ApiException

    configuration = k8s.Configuration()
    try:
        k8s_config.load_kube_config(
            config_file=target.kubeconfig,
            context=target.kube_context,
            client_configuration=configuration,
            persist_config=False,
        )
    except Exception as error:  # a missing or malformed kubeconfig, an unknown context
        return Problem(
            f"kubeconfig unusable: {str(error).splitlines()[0][:100]}",
            "check KUBECONFIG (and KUBE_CONTEXT)",
        )
    configuration.retries = 0
    api = k8s.ApiClient(configuration)
    try:
        k8s.CoreV1Api(api).read_namespace(
            target.namespace, _request_timeout=(target.timeout, target.timeout)
        )
    except ApiException as error:
        if error.status == 404:
            return Problem(
                f"namespace '{target.namespace}' does not exist",
                "check the namespace (K8S_NAMESPACE) and KUBE_CONTEXT",
            )
        if error.status in (401, 403):
            return Problem(f"access refused ({error.status})", "the kubeconfig's user lacks access")
        return Problem(f"the API answered {error.status}", "check the cluster")
    except Exception as error:
        return Problem(
            _reason(error),
            _fix(target, "check the server in KUBECONFIG, and the network path to it"),
        )
    finally:
        api.close()
    return None


def _split_host(text: str, default_port: int = 22) -> tuple[str, int]:
    host, _, port = text.rpartition(":") if ":" in text else (text, "", "")
    return (host or text), int(port or default_port)


def _ssh_banner(address: str, timeout: float) -> Problem | None:
    host, port = _split_host(address)
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            banner = sock.recv(256)
    except OSError as error:
        return Problem(f"{address}: {_reason(error)}", "check SSH_HOST / SSH_JUMP_HOST")
    if not banner.startswith(b"SSH-"):
        return Problem(
            f"{address} does not speak SSH", "check the port in SSH_HOST / SSH_JUMP_HOST"
        )
    return None


def check_ssh(target: Target) -> Problem | None:
    if not target.ssh_host:  # the check applies only with an SSH host (CHECKS below)
        return None
    first = target.ssh_jump_host or target.ssh_host
    problem = _ssh_banner(first, target.timeout)
    if problem or not target.ssh_key or not target.ssh_user:
        return problem
    from libraries.ssh.client import SshError, connect_worker

    try:
        connection = connect_worker(
            target.ssh_host,
            target.ssh_user,
            target.ssh_key,
            jump_host=target.ssh_jump_host,
            known_hosts=target.ssh_known_hosts,
            timeout=target.timeout,
        )
    except SshError as error:
        what, _, fix = str(error).partition(": ")
        return Problem(what, fix or "check SSH_USER and SSH_KEY")
    connection.close()
    return None


def _ssh_address(target: Target) -> str:
    if target.ssh_jump_host:
        return f"{target.ssh_host} via {target.ssh_jump_host}"
    return str(target.ssh_host)


CHECKS: tuple[Check, ...] = (
    Check("Focus API + token", lambda t: t.focus_url, check_focus),
    Check(
        "MongoDB (auth)",
        lambda t: f"{t.mongo_host}:{t.mongo_port}/{t.mongo_database}",
        check_mongo,
    ),
    Check("RabbitMQ AMQP", lambda t: f"{t.rabbit_host}:{t.rabbit_port}", check_amqp),
    Check("RabbitMQ management", lambda t: t.rabbit_mgmt_url, check_management),
    Check(
        "Kubernetes API + namespace",
        lambda t: f"{_kube_server(t)} ns={t.namespace}",
        check_kubernetes,
    ),
    Check("SSH", _ssh_address, check_ssh, applies=lambda t: bool(t.ssh_host)),
)


def _kube_server(target: Target) -> str:
    if not target.kubeconfig:
        return "(no kubeconfig)"
    try:
        import yaml

        with open(target.kubeconfig) as handle:
            document = yaml.safe_load(handle)
        clusters = {c["name"]: c["cluster"] for c in document.get("clusters", [])}
        contexts = {c["name"]: c["context"] for c in document.get("contexts", [])}
        context = contexts[target.kube_context or document["current-context"]]
        server: str = clusters[context["cluster"]]["server"]
        return server
    except Exception:
        return target.kubeconfig


# The clients the checks use, imported before the deadline's clock starts. Imported inside
# the checks' threads, they counted against it: the kubernetes client alone takes seconds
# of CPU to import, and under pabot --processes 10 on 2 cores a suite's check once said
# "no answer within 10 s" of a Kubernetes API that was answering.
CLIENT_MODULES = (
    "pymongo",
    "pika",
    "kubernetes.client",
    "kubernetes.config",
    "yaml",
    "libraries.ssh.client",
)


def _load_clients() -> None:
    for name in CLIENT_MODULES:
        importlib.import_module(name)


def check_all(target: Target, deadline: float = DEADLINE_S) -> list[Outcome]:
    """Run every check that applies, in parallel; a check still running at the deadline
    is reported as not answering. The answer keeps the order of :data:`CHECKS`."""
    for user, password in (
        (target.focus_user, target.focus_password),
        (target.mongo_user, target.mongo_password),
        (target.rabbit_user, target.rabbit_password),
    ):
        register(password, user)  # never in the table (libraries/common/redact.py)
    checks = [check for check in CHECKS if check.applies(target)]
    outcomes = [Outcome(check.service, check.address(target)) for check in checks]
    done = [threading.Event() for _ in checks]

    def run(index: int) -> None:
        started = time.monotonic()
        try:
            outcomes[index].problem = checks[index].run(target)
        except Exception as error:  # a check's own bug must still give one row
            outcomes[index].problem = Problem(_reason(error), "see the log for details")
        outcomes[index].seconds = time.monotonic() - started
        done[index].set()

    _load_clients()  # before the clock: the deadline is for the services' answers
    started = time.monotonic()
    pool = ThreadPoolExecutor(max_workers=len(checks), thread_name_prefix="sanity")
    with _quiet("pika", "urllib3", "kubernetes", "pymongo"):
        for index in range(len(checks)):
            pool.submit(run, index)
        for index, event in enumerate(done):
            if not event.wait(max(deadline - (time.monotonic() - started), 0)):
                outcomes[index].problem = Problem(
                    f"no answer within {deadline:g} s", _fix(target, "check the network path")
                )
    pool.shutdown(wait=False, cancel_futures=True)
    return outcomes


def table(outcomes: list[Outcome], env_name: str, seconds: float) -> str:
    """The one table: service, address, what failed, how to fix (failed rows only)."""
    failed = [outcome for outcome in outcomes if not outcome.ok]
    rows = [("service", "address", "what failed", "how to fix")]
    rows += [
        (redact(o.service), redact(o.address), redact(o.problem.what), redact(o.problem.fix))
        for o in failed
        if o.problem
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    rule = "+" + "+".join("-" * (width + 2) for width in widths) + "+"
    lines = [
        f"Environment '{env_name}' is not ready: {len(failed)} of {len(outcomes)} services "
        f"failed the sanity check ({seconds:.1f} s). Nothing was tested.",
        rule,
    ]
    for number, row in enumerate(rows):
        lines.append("| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) + " |")
        if number == 0:
            lines.append(rule)
    lines.append(rule)
    return "\n".join(lines)
