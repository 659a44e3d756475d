"""Which environments exist, and how their variable files read the process environment.

The staging and production variable files take every host, user and secret from
environment variables, with no defaults: a missing one stops the run with one
line that names it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from urllib.parse import unquote, urlsplit

from robot.api.types import Secret

from contract import constants

VALID_ENVIRONMENTS = ("local", "staging", "production")
DEFAULT_ENVIRONMENT = "local"

REQUIRED = (
    "FOCUS_BASE_URL",
    "FOCUS_USER",
    "FOCUS_PASSWORD",
    "MONGO_URI",
    "RABBITMQ_URL",
    "KUBECONFIG",
)
OPTIONAL = (
    "FOCUS_UI_URL",
    "FOCUS_CA_BUNDLE",
    "FOCUS_OTHER_USER",
    "FOCUS_OTHER_PASSWORD",
    "RABBITMQ_MGMT_URL",
    "KUBE_CONTEXT",
    "SEGY_ROOT",
    "FIBRE_LENGTH_M",
    "SITE_ID",
    "SSH_HOST",
    "SSH_JUMP_HOST",
    "SSH_USER",
    "SSH_KEY",
    "SSH_KNOWN_HOSTS",
    "FOCUS_UNKNOWN_USER",
    "ALERT_REJECTED_EXCHANGE",
    "ALERT_REJECTED_ROUTING_KEY",
)


class EnvironmentError_(ValueError):
    """A one-line, actionable configuration problem."""


def unknown_environment(name: str) -> EnvironmentError_:
    valid = ", ".join(VALID_ENVIRONMENTS)
    return EnvironmentError_(
        f"Unknown environment '{name}': choose one of {valid} (for example -v ENV:staging)"
    )


def _require(env_name: str) -> dict[str, str]:
    missing = [name for name in REQUIRED if not os.environ.get(name)]
    if missing:
        raise EnvironmentError_(
            f"Environment '{env_name}' needs {', '.join(missing)}: export "
            f"{'it' if len(missing) == 1 else 'them'} before the run (see README, "
            "'Running against staging')"
        )
    return {name: os.environ[name] for name in REQUIRED}


def _mongo(uri: str) -> dict:
    parts = urlsplit(uri)
    if parts.scheme not in ("mongodb", "mongodb+srv") or not parts.hostname:
        raise EnvironmentError_(
            "MONGO_URI must look like mongodb://USER:PASSWORD@HOST:PORT/?authSource=prisma"
        )
    query = dict(item.split("=", 1) for item in parts.query.split("&") if "=" in item)
    return {
        "MONGO_HOST": parts.hostname,
        "MONGO_PORT": parts.port or 27017,
        "MONGO_USER": unquote(parts.username or ""),
        "MONGO_PASSWORD": Secret(unquote(parts.password or "")),
        "MONGO_DATABASE": (parts.path or "/").lstrip("/") or constants.MONGO_DATABASE,
        "MONGO_AUTH_SOURCE": query.get("authSource", constants.MONGO_AUTH_SOURCE),
        "MONGO_TLS": query.get("tls", query.get("ssl", "false")).lower() == "true",
    }


def _rabbitmq(url: str) -> dict:
    parts = urlsplit(url)
    if parts.scheme not in ("amqp", "amqps") or not parts.hostname:
        raise EnvironmentError_("RABBITMQ_URL must look like amqp://USER:PASSWORD@HOST:5672/%2F")
    default_port = 5671 if parts.scheme == "amqps" else 5672
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname  # IPv6
    return {
        "RABBITMQ_HOST": parts.hostname,
        "RABBITMQ_PORT": parts.port or default_port,
        "RABBITMQ_USER": unquote(parts.username or ""),
        "RABBITMQ_PASSWORD": Secret(unquote(parts.password or "")),
        "RABBITMQ_VHOST": unquote(parts.path[1:]) if len(parts.path) > 1 else "/",
        "RABBITMQ_TLS": parts.scheme == "amqps",
        # RabbitMQ's documented defaults: 15671 for the management API over TLS, 15672 plain.
        "RABBITMQ_MGMT_URL": os.environ.get("RABBITMQ_MGMT_URL")
        or (f"https://{host}:15671" if parts.scheme == "amqps" else f"http://{host}:15672"),
    }


def unknown_user() -> str:
    """The user name of failed-login tests on a live system: ``FOCUS_UNKNOWN_USER``, else a
    random name that exists nowhere. A wrong password for a real account, repeated by
    pabot, can lock it or trip fail2ban; a user that does not exist has nothing to lock."""
    return os.environ.get("FOCUS_UNKNOWN_USER") or f"no-such-user-{uuid.uuid4().hex[:12]}"


def declared_hosts(name: str) -> list[str]:
    """The hosts ``<NAME>_HOSTS`` declares for environment ``name`` (comma-separated host
    names or addresses, lower case; a ``host:port`` keeps only the host)."""
    value = os.environ.get(f"{name.upper()}_HOSTS", "")
    hosts = []
    for item in value.split(","):
        item = item.strip().lower()
        if item.startswith("[") and "]" in item:  # [::1]:443
            item = item[1 : item.index("]")]
        elif item.count(":") == 1:
            item = item.split(":", 1)[0]
        if item:
            hosts.append(item)
    return hosts


def common_variables() -> dict:
    """Constants every environment shares, and the hosts each remote environment declares
    (``PRODUCTION_HOSTS``, ``STAGING_HOSTS``: a run pointing at another environment's hosts
    stops at the start)."""
    return {
        **constants.get_variables(),
        "PRODUCTION_HOSTS": declared_hosts("production"),
        "STAGING_HOSTS": declared_hosts("staging"),
        "K8S_NAMESPACE": constants.K8S_NAMESPACE,
        "RABBITMQ_EXCHANGE": constants.ALERT_EXCHANGE,
        "MONGO_DATABASE": constants.MONGO_DATABASE,
        "MONGO_AUTH_SOURCE": constants.MONGO_AUTH_SOURCE,
    }


def _ui_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}/liveView"


PLAINTEXT_VARIABLE = "ALLOW_PLAINTEXT"


def plaintext_endpoints(variables: dict) -> list[str]:
    """What of a remote environment's transport is not TLS, one phrase each."""
    found = []
    for name in ("FOCUS_BASE_URL", "FOCUS_UI_URL"):
        if not str(variables.get(name, "")).lower().startswith("https://"):
            found.append(f"{name} is not https://")
    if not variables.get("RABBITMQ_TLS"):
        found.append("RABBITMQ_URL is amqp:// (use amqps://)")
    if not str(variables.get("RABBITMQ_MGMT_URL", "")).lower().startswith("https://"):
        found.append("RABBITMQ_MGMT_URL is not https://")
    if not variables.get("MONGO_TLS"):
        found.append("MONGO_URI has no tls=true")
    return found


def transport(
    env_name: str, variables: dict, environ: Mapping[str, str] | None = None
) -> list[str]:
    """Remote environments talk TLS only: the Focus API and UI over https, AMQP over amqps,
    the management API over https, MongoDB with ``tls=true`` (and every certificate
    verified, never switched off). ``ALLOW_PLAINTEXT=<env>`` (the environment's own name:
    an allowance for a staging lab does nothing on production) lets a lab without TLS run;
    the plaintext endpoints are returned then, for the warning in log.html. Otherwise
    raises :class:`EnvironmentError_` with one line naming each."""
    if environ is None:
        environ = os.environ
    plaintext = plaintext_endpoints(variables)
    if not plaintext:
        return []
    allowed = environ.get(PLAINTEXT_VARIABLE, "").strip().lower() == env_name
    if allowed:
        return plaintext
    raise EnvironmentError_(
        f"Environment '{env_name}' needs TLS: {'; '.join(plaintext)}. For a lab without "
        f"TLS, set {PLAINTEXT_VARIABLE}={env_name}"
    )


def remote_variables(env_name: str, is_production: bool) -> dict:
    """Variables of a real deployment, from the process environment only; TLS required
    (see :func:`transport`)."""
    values = _require(env_name)
    variables = _remote(env_name, is_production, values)
    variables["PLAINTEXT_ENDPOINTS"] = transport(env_name, variables)
    return variables


def _remote(env_name: str, is_production: bool, values: dict[str, str]) -> dict:
    return {
        **common_variables(),
        "ENV_NAME": env_name,
        "IS_PRODUCTION": is_production,
        "FOCUS_BASE_URL": values["FOCUS_BASE_URL"].rstrip("/"),
        # Contract section 5: the focus server serves liveView at /liveView.
        "FOCUS_UI_URL": os.environ.get("FOCUS_UI_URL") or _ui_url(values["FOCUS_BASE_URL"]),
        "FOCUS_USER": values["FOCUS_USER"],
        "FOCUS_PASSWORD": Secret(values["FOCUS_PASSWORD"]),
        "FOCUS_OTHER_USER": os.environ.get("FOCUS_OTHER_USER") or None,
        "FOCUS_OTHER_PASSWORD": Secret(os.environ.get("FOCUS_OTHER_PASSWORD") or ""),
        "FOCUS_UNKNOWN_USER": unknown_user(),
        "CA_BUNDLE": os.environ.get("FOCUS_CA_BUNDLE") or None,
        **_mongo(values["MONGO_URI"]),
        **_rabbitmq(values["RABBITMQ_URL"]),
        "KUBECONFIG": values["KUBECONFIG"],
        "KUBE_CONTEXT": os.environ.get("KUBE_CONTEXT") or None,
        "SEGY_ROOT": os.environ.get("SEGY_ROOT") or None,
        "SITE_ID": os.environ.get("SITE_ID") or constants.SITE_ID,
        # The route of rejected alerts; an empty exchange (the default exchange) cannot be
        # watched beside the real queue, and the rejection tests then refuse to read it.
        "ALERT_REJECTED_EXCHANGE": os.environ.get(
            "ALERT_REJECTED_EXCHANGE", constants.ALERT_REJECTED_EXCHANGE
        ),
        "ALERT_REJECTED_ROUTING_KEY": os.environ.get("ALERT_REJECTED_ROUTING_KEY")
        or constants.ALERT_REJECTED_ROUTING_KEY,
        "FIBRE_LENGTH_M": int(os.environ.get("FIBRE_LENGTH_M") or constants.FIBRE_LENGTH_M),
        "SSH_HOST": os.environ.get("SSH_HOST") or None,
        "SSH_JUMP_HOST": os.environ.get("SSH_JUMP_HOST") or None,
        "SSH_USER": os.environ.get("SSH_USER") or None,
        "SSH_KEY": os.environ.get("SSH_KEY") or None,
        "SSH_KNOWN_HOSTS": os.environ.get("SSH_KNOWN_HOSTS") or None,
        "TWIN_DIR": None,
    }


def secret_values(variables: dict) -> list[str]:
    """The plain values of every Secret, for the leak checks."""
    return [
        value.value for value in variables.values() if isinstance(value, Secret) and value.value
    ]
