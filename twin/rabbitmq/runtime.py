"""A slim ``RABBITMQ_HOME`` for the private node: Debian's scripts, only the apps it needs.

Debian's ``rabbitmq-server`` puts every bundled plugin (72 applications) on the
Erlang code path, and RabbitMQ scans the modules of loaded applications at boot.
The node only needs ``rabbit`` and the management plugin with their dependencies
(26 applications), so we point ``RABBITMQ_SCRIPTS_DIR`` at a directory of symlinks:

    <runtime>/sbin/{rabbitmq-server,rabbitmq-env,rabbitmq-defaults} -> Debian's scripts
    <runtime>/plugins/<app>-<version> -> Debian's application directories

and ``rabbitmq-env`` derives ``RABBITMQ_HOME`` (hence the code path) from it.
Measured on this machine: about 30 % less CPU until the node accepts AMQP logins.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

SERVER_SCRIPT = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")
SCRIPTS = ("rabbitmq-server", "rabbitmq-env", "rabbitmq-defaults")
CORE_APPS = ("rabbit", "rabbit_common", "rabbitmq_prelaunch")
_DEPENDENCY_KEYS = re.compile(
    r"\{\s*(?:applications|included_applications|optional_applications)\s*,\s*\[([^\]]*)\]"
)


def install_dir() -> Path:
    """Debian's ``rabbitmq_server-<version>`` directory (the real ``RABBITMQ_HOME``)."""
    return SERVER_SCRIPT.resolve().parents[1]


def _app_dirs(plugins: Path) -> dict[str, Path]:
    """Application name -> directory, for every ``<name>-<version>`` with an ``ebin/*.app``."""
    found = {}
    for directory in plugins.iterdir():
        name = directory.name.rsplit("-", 1)[0]
        if (directory / "ebin" / f"{name}.app").is_file():
            found[name] = directory
    return found


def _dependencies(app_dir: Path, name: str) -> set[str]:
    text = (app_dir / "ebin" / f"{name}.app").read_text()
    return {
        dep.strip()
        for group in _DEPENDENCY_KEYS.findall(text)
        for dep in group.split(",")
        if dep.strip()
    }


def needed_apps(plugins: Path, roots: tuple[str, ...]) -> dict[str, Path]:
    """The bundled applications that ``roots`` need, transitively (OTP's own are not bundled)."""
    available = _app_dirs(plugins)
    needed: dict[str, Path] = {}
    pending = list(roots)
    while pending:
        app = pending.pop()
        if app in needed or app not in available:
            continue
        needed[app] = available[app]
        pending.extend(_dependencies(available[app], app))
    return needed


def build(runtime: Path, plugins: tuple[str, ...]) -> Path:
    """(Re)create the slim home under ``runtime``; return its ``sbin`` directory."""
    home = install_dir()
    shutil.rmtree(runtime, ignore_errors=True)
    (runtime / "sbin").mkdir(parents=True)
    (runtime / "plugins").mkdir()
    for script in SCRIPTS:
        (runtime / "sbin" / script).symlink_to(home / "sbin" / script)
    for app_dir in needed_apps(home / "plugins", CORE_APPS + plugins).values():
        (runtime / "plugins" / app_dir.name).symlink_to(app_dir)
    return runtime / "sbin"
