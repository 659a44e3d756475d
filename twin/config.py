"""Where the twin keeps its state, and how its workloads find each other.

The supervisor picks every port and generates every credential *before* it starts
a workload, and writes them to the twin directory:

- ``endpoints.json``: hosts, ports, URLs and file paths (no secrets);
- ``secrets.json`` (mode 0600): generated users, passwords and tokens;
- ``ca.pem``, ``server.pem``, ``server-key.pem``: the private CA and the
  certificate that every twin HTTPS/TLS server presents (127.0.0.1, localhost).

A workload process gets ``FOCUS_TWIN_DIR`` in its environment and reads both
files with :func:`load_endpoints` and :func:`load_secrets`. The suite's
``variables/local.py`` reads them the same way.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"

ENDPOINTS_FILE = "endpoints.json"
SECRETS_FILE = "secrets.json"
STATE_FILE = "state.json"
CA_FILE = "ca.pem"
SERVER_CERT_FILE = "server.pem"
SERVER_KEY_FILE = "server-key.pem"


class TwinNotRunning(RuntimeError):
    """The twin's files are missing: it has never been started in this directory."""


def twin_dir() -> Path:
    """The twin's state directory: ``$FOCUS_TWIN_DIR`` or ``results/twin``."""
    configured = os.environ.get("FOCUS_TWIN_DIR")
    return Path(configured).resolve() if configured else REPO_ROOT / "results" / "twin"


def workload_dir(name: str, base: Path | None = None) -> Path:
    """A workload's persistent data directory, created on demand."""
    path = (base or twin_dir()) / "data" / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def logs_dir(base: Path | None = None) -> Path:
    path = (base or twin_dir()) / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def ca_path(base: Path | None = None) -> Path:
    return (base or twin_dir()) / CA_FILE


def server_cert_path(base: Path | None = None) -> Path:
    return (base or twin_dir()) / SERVER_CERT_FILE


def server_key_path(base: Path | None = None) -> Path:
    return (base or twin_dir()) / SERVER_KEY_FILE


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise TwinNotRunning(
            f"{path} is missing: the twin is not set up here; start it with 'python -m twin up'"
        ) from None


def write_json(path: Path, data: dict, private: bool = False) -> None:
    """Write atomically (and 0600 when private) so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
    os.replace(tmp, path)


def load_endpoints(base: Path | None = None) -> dict:
    """Ports, URLs and paths of the twin (see the module docstring for the keys)."""
    return _read_json((base or twin_dir()) / ENDPOINTS_FILE)


def load_secrets(base: Path | None = None) -> dict:
    """Generated credentials of the twin. Never log what this returns."""
    return _read_json((base or twin_dir()) / SECRETS_FILE)
