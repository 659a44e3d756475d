"""The environment of a run, resolved once into a typed :class:`RunEnvironment`.

One function chooses the environment, :func:`environment_name`: ``-v ENV:<name>``, else
``FOCUS_ENV``, else ``local``. One function resolves it, :func:`resolve_environment`:
the name, its variables (``variables/<name>.py``), the endpoints they point at, and the
:class:`Policy` that says what may run there.

In a Robot run the ``Environment`` library (:mod:`libraries.environment`) does both once
per process: :func:`begin` when the run starts (the production guard needs the policy
before any setup), :func:`activate` in `Prepare Test Environment`. The other libraries
take the result from here when they connect or act (:func:`current`), never from
``${ENV_NAME}``. Outside a run (pytest, scripts) :func:`current_policy` and
:func:`current_name` fall back to ``FOCUS_ENV``.

No Robot Framework imports here but ``Secret``; no twin.
"""

from __future__ import annotations

import importlib
import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from robot.api.types import Secret

from libraries.common import redact
from libraries.common.arguments import plain
from variables import environments
from variables import policy as policy_table

ROBOT_VARIABLE = "ENV"  # -v ENV:<name>
PROCESS_VARIABLE = "FOCUS_ENV"
PRODUCTION = "production"
STAGING = "staging"
LOCAL = "local"

EnvironmentError_ = environments.EnvironmentError_


class EnvironmentNotPrepared(RuntimeError):
    """A library asked for the environment before `Prepare Test Environment` ran."""

    ROBOT_SUPPRESS_NAME = True


@dataclass(frozen=True)
class Policy:
    """What may run on an environment: which effect classes (``variables/policy.py``).

    ``row`` is the row of the policy table that applies: the environment's own, or a
    stricter one its endpoints call for (``why`` says which endpoint). ``allowed`` holds the
    effect classes that may run; ``missing`` says, for each one that may not, the allowance
    that would allow it (``ALLOW_SHARED=production``). ``deprecated`` lists the deprecated
    spellings this policy honoured (``ALLOW_DESTRUCTIVE``), for one warning each.

    ``production`` is kept for the callers that only ask that: the production row applies.
    """

    production: bool
    row: str = ""
    allowed: frozenset[str] = frozenset(policy_table.EFFECTS)
    missing: Mapping[str, str] = field(default_factory=dict, compare=False)
    why: str = field(default="", compare=False)
    deprecated: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if not self.row:
            row = PRODUCTION if self.production else LOCAL
            object.__setattr__(self, "row", row)
            object.__setattr__(self, "allowed", _allowed(row, os.environ)[0])
            object.__setattr__(self, "missing", _allowed(row, os.environ)[1])

    @classmethod
    def of(
        cls,
        name: str,
        variables: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
        endpoints: tuple[Endpoint, ...] | None = None,
    ) -> Policy:
        """The policy of ``name``; when in doubt, production.

        The row is the strictest of: the name's (an unknown name is production's), the
        production row when the variable file says ``IS_PRODUCTION``, and staging's when any
        of ``endpoints`` is not loopback (or there are none and the name is not ``local``).
        """
        environ = os.environ if environ is None else environ
        marked = variables is not None and variables.get("IS_PRODUCTION") is True
        row = name if name in policy_table.POLICY else PRODUCTION
        why = "" if row == name else f"'{name}' is not a known environment"
        if marked and row != PRODUCTION:
            row, why = PRODUCTION, "its variable file sets IS_PRODUCTION"
        remote = [endpoint for endpoint in endpoints or () if not endpoint.loopback]
        if remote and _stricter(STAGING, row):
            row = STAGING
            why = f"{remote[0].service} at {remote[0]} is not a loopback address"
        allowed, missing, deprecated = _allowed(row, environ)
        return cls(
            production=row == PRODUCTION,
            row=row,
            allowed=allowed,
            missing=missing,
            why=why,
            deprecated=deprecated,
        )

    def allows(self, effect: str) -> bool:
        """True when ``effect`` (``read-only``, ``own-data``, ``shared``, ``disruptive``) may
        run here."""
        return effect in self.allowed

    @property
    def restricted(self) -> bool:
        """True when the run is not the unrestricted twin row (keywords then also check that
        the running test is tagged with their effect)."""
        return self.row != LOCAL

    def describe(self) -> str:
        """``shared: needs ALLOW_SHARED=production`` style summary of every effect class."""
        parts = []
        for effect in policy_table.EFFECTS:
            if self.allows(effect):
                parts.append(f"{effect}: runs")
            else:
                parts.append(f"{effect}: skipped (needs {self.missing[effect]})")
        return ", ".join(parts)


def _stricter(row: str, than: str) -> bool:
    order = policy_table.STRICTNESS
    return order.index(row) > order.index(than)


def _allowed(
    row: str, environ: Mapping[str, str]
) -> tuple[frozenset[str], dict[str, str], tuple[str, ...]]:
    """The effect classes the table allows on ``row`` given the allowances in ``environ``,
    the allowance each refused one needs, and the deprecated allowances used."""
    allowed, missing, deprecated = set(), {}, []
    for effect, rule in policy_table.POLICY[row].items():
        if rule == policy_table.ALWAYS:
            allowed.add(effect)
            continue
        if row in _names(environ.get(rule, "")):
            allowed.add(effect)
            continue
        for old, new in policy_table.DEPRECATED_ALLOWANCES.items():
            value = environ.get(old, "").strip()
            if new == rule and (value == "1" or row in _names(value)):
                allowed.add(effect)
                deprecated.append(old)
                break
        else:
            missing[effect] = f"{rule}={row}"
    return frozenset(allowed), missing, tuple(deprecated)


def _names(value: str) -> set[str]:
    return {part.strip().lower() for part in str(value).split(",") if part.strip()}


@dataclass(frozen=True)
class Endpoint:
    """One address the run will talk to: ``service`` is the variable that names it."""

    service: str
    host: str
    port: int | None = None

    @property
    def loopback(self) -> bool:
        """True for ``localhost`` and 127.0.0.0/8 or ``::1``; False for any other name."""
        host = self.host.strip("[]").lower()
        if host == "localhost" or host.endswith(".localhost"):
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False

    def __str__(self) -> str:
        return f"{self.host}:{self.port}" if self.port else self.host


@dataclass(frozen=True)
class RunEnvironment:
    """The environment of this run, as resolved once: see :func:`resolve_environment`.

    ``variables`` are what the variable file gave (passwords and tokens are ``Secret``),
    read-only; they are left out of ``repr``.
    """

    name: str
    policy: Policy
    endpoints: tuple[Endpoint, ...] = ()
    variables: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "variables", MappingProxyType(dict(self.variables)))

    @property
    def is_production(self) -> bool:
        return self.policy.production

    @property
    def is_twin(self) -> bool:
        """The local twin, which the suite starts and may reconfigure (a closed port)."""
        return self.name == LOCAL

    @property
    def loopback(self) -> bool:
        """Every endpoint is a loopback address (and there is at least one)."""
        return bool(self.endpoints) and all(endpoint.loopback for endpoint in self.endpoints)

    def value(self, name: str, default: Any = None) -> Any:
        """The variable ``name`` as the variable file gave it (a ``Secret`` stays one)."""
        value = self.variables.get(name)
        return default if value is None else value

    def text(self, name: str, default: str = "") -> str:
        """The variable ``name`` as plain text: a ``Secret`` unwrapped, None -> ``default``.
        Never log what this returns for a secret."""
        return plain(self.variables.get(name)) or default

    def header(self) -> str:
        """One line for the run's header: the environment, the policy row, its hosts and the
        effect classes that will run (and what each skipped one needs)."""
        hosts = sorted({str(endpoint) for endpoint in self.endpoints}) or ["none"]
        row = self.policy.row
        policy = f"{row}'s policy" + (f" because {self.policy.why}" if self.policy.why else "")
        runs = [e for e in policy_table.EFFECTS if self.policy.allows(e)]
        skipped = [
            f"{e} (needs {self.policy.missing[e]})"
            for e in policy_table.EFFECTS
            if not self.policy.allows(e)
        ]
        line = (
            f"Environment '{self.name}' with {policy}; hosts: {', '.join(hosts)}; "
            f"runs: {', '.join(runs)}"
        )
        return line + (f"; skipped: {', '.join(skipped)}" if skipped else "")

    def secrets(self) -> list[Secret]:
        return [value for value in self.variables.values() if isinstance(value, Secret)]


def environment_name(requested: object = None, environ: Mapping[str, str] | None = None) -> str:
    """The environment this run asks for: ``requested`` (``-v ENV:<name>``), else
    ``FOCUS_ENV``, else ``local``; lower case, spaces stripped. Not validated: see
    :func:`resolve_environment`."""
    environ = os.environ if environ is None else environ
    name = requested or environ.get(PROCESS_VARIABLE) or environments.DEFAULT_ENVIRONMENT
    return str(name).strip().lower()


def resolve_environment(
    requested: object = None,
    environ: Mapping[str, str] | None = None,
    *,
    before_loading: Callable[[str], None] | None = None,
) -> RunEnvironment:
    """Chooses the environment (:func:`environment_name`) and resolves it.

    ``before_loading(name)`` runs between the choice and reading the variable file (the
    launcher starts the twin there, whose files the local variable file reads). Raises
    :class:`EnvironmentError_` with one line for an unknown environment or a missing
    variable; whatever ``before_loading`` raises passes through.
    """
    name = environment_name(requested, environ)
    if name not in environments.VALID_ENVIRONMENTS:
        raise environments.unknown_environment(name)
    if before_loading is not None:
        before_loading(name)
    # The variable file is chosen by name, as Robot's own `Variables` does.
    module = importlib.import_module(f"variables.{name}")
    variables = dict(module.get_variables())
    endpoints = endpoints_of(variables)
    check_identity(name, endpoints, variables)
    policy = Policy.of(name, variables, environ, endpoints)
    return RunEnvironment(name, policy, endpoints, variables)


def check_identity(
    name: str, endpoints: tuple[Endpoint, ...], variables: Mapping[str, Any]
) -> None:
    """Trust endpoints, not labels: one line (:class:`EnvironmentError_`) when an endpoint
    of this run is a host another environment declares (``PRODUCTION_HOSTS``,
    ``STAGING_HOSTS``), whatever this run is called."""
    for other, variable in policy_table.DECLARED_HOSTS.items():
        if other == name:
            continue
        hosts = {str(host).lower() for host in variables.get(variable) or ()}
        for endpoint in endpoints:
            if endpoint.host.strip("[]").lower() in hosts:
                raise EnvironmentError_(
                    f"Environment '{name}' points at {other}: {endpoint.service} is "
                    f"{endpoint} (listed in {variable}). Run with -v ENV:{other} to test "
                    f"{other}, or point the {name} variables at {name}'s hosts"
                )


_URL_VARIABLES = ("FOCUS_BASE_URL", "FOCUS_UI_URL", "RABBITMQ_MGMT_URL")
_HOST_PORT_VARIABLES = (("MONGO_HOST", "MONGO_PORT"), ("RABBITMQ_HOST", "RABBITMQ_PORT"))
_ADDRESS_VARIABLES = ("SSH_HOST", "SSH_JUMP_HOST")


def endpoints_of(variables: Mapping[str, Any]) -> tuple[Endpoint, ...]:
    """Every network address in ``variables``: the Focus API and UI, MongoDB, RabbitMQ
    (AMQP and management), the Kubernetes API (its kubeconfig's server) and SSH."""
    found: list[Endpoint] = []
    for name in _URL_VARIABLES:
        if variables.get(name):
            found.append(_url_endpoint(name, str(variables[name])))
    for host, port in _HOST_PORT_VARIABLES:
        if variables.get(host):
            found.append(Endpoint(host, str(variables[host]), _port(variables.get(port))))
    kube = _kube_server(variables.get("KUBECONFIG"), variables.get("KUBE_CONTEXT"))
    if kube is not None:
        found.append(kube)
    for name in _ADDRESS_VARIABLES:
        if variables.get(name):
            host, _, port = str(variables[name]).rpartition(":")
            found.append(Endpoint(name, host or port, _port(port) if host else None))
    return tuple(found)


def _url_endpoint(service: str, url: str) -> Endpoint:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:  # not a port: the host is what matters
        port = None
    return Endpoint(service, parts.hostname or "", port)


def _port(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def _kube_server(kubeconfig: object, context: object) -> Endpoint | None:
    """The API server of the kubeconfig's context; a file that cannot be read is an
    endpoint of unknown host (so never counted as loopback)."""
    if not kubeconfig:
        return None
    import yaml

    try:
        with open(str(kubeconfig)) as handle:
            config = yaml.safe_load(handle) or {}
        name = context or config.get("current-context")
        cluster = next(c["context"]["cluster"] for c in config["contexts"] if c["name"] == name)
        server = next(c["cluster"]["server"] for c in config["clusters"] if c["name"] == cluster)
    except (OSError, yaml.YAMLError, KeyError, TypeError, StopIteration):
        return Endpoint("KUBECONFIG", "")
    return _url_endpoint("KUBECONFIG", str(server))


# ----------------------------------------------------------- the run of this process

_requested: str | None = None
_active: RunEnvironment | None = None


def begin(requested: object = None, environ: Mapping[str, str] | None = None) -> str:
    """A run starts: remembers the environment it asks for (see :func:`environment_name`)
    and forgets any earlier run of this process. Returns the name."""
    global _requested, _active
    _requested, _active = environment_name(requested, environ), None
    return _requested


def reset() -> None:
    """Forgets the run of this process (a new run in the same process, pytest)."""
    global _requested, _active
    _requested, _active = None, None


# Each password's user: the redactor also hides ``base64(user:password)`` (HTTP Basic).
_USERS_OF_SECRETS = {
    "FOCUS_PASSWORD": "FOCUS_USER",
    "FOCUS_OTHER_PASSWORD": "FOCUS_OTHER_USER",
    "MONGO_PASSWORD": "MONGO_USER",
    "RABBITMQ_PASSWORD": "RABBITMQ_USER",
}


def activate(environment: RunEnvironment) -> None:
    """The run's environment is resolved: every library takes it from here."""
    global _requested, _active
    _requested, _active = environment.name, environment
    for name, value in environment.variables.items():
        if isinstance(value, Secret):
            user = _USERS_OF_SECRETS.get(name)
            redact.register(value, environment.text(user) if user else None)


def active() -> RunEnvironment | None:
    return _active


def current() -> RunEnvironment:
    """The run's environment; one line saying what to do when it is not prepared yet."""
    if _active is None:
        raise EnvironmentNotPrepared(
            "The environment is not prepared: call 'Prepare Test Environment' first "
            "(resources/common.resource; robot/__init__.robot does in its suite setup)"
        )
    return _active


def current_name() -> str:
    """The run's environment name; before it is resolved, the one the run asks for."""
    if _active is not None:
        return _active.name
    return _requested or environment_name()


def current_policy() -> Policy:
    """The run's policy; before the environment is resolved, the policy of its name."""
    if _active is not None:
        return _active.policy
    return Policy.of(current_name())
