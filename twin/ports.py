"""TCP ports for the twin's listeners: below the kernel's ephemeral range, and reserved
machine-wide (for this user) until their listener has had time to bind.

A port found by binding port 0 comes from the ephemeral range: the range the kernel also
takes outgoing connections' source ports from. Between that pick and the listener's own
bind (seconds, for RabbitMQ), any connection on the machine may take the port; the
listener then fails at every restart, as long as that connection lives. Several twins
starting at once (the CI rehearsal starts five) made it happen: a RabbitMQ node, an sshd
and a focus server each exited three times before they served. A port outside that range
is only ever taken by an explicit bind, and the reservation file keeps twins that start
at the same moment from picking the same one.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import random
import socket
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from twin import config

EPHEMERAL_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
DEFAULT_EPHEMERAL = (32768, 60999)
POOL_FLOOR = 20000  # well above the well-known and registered ports most services use
MIN_POOL = 2000
# How long a reservation keeps a port from others: its listener binds well within this.
HOLD_S = 300.0
# A job binds its port within its start (the running timeout, 30 s): held twice that.
JOB_HOLD_S = 60.0
REGISTRY_ENV = "FOCUS_TWIN_PORT_REGISTRY"


def ephemeral_range(source: Path = EPHEMERAL_RANGE_FILE) -> tuple[int, int]:
    """The kernel's range of source ports for outgoing connections."""
    try:
        low, high = (int(value) for value in source.read_text().split())
    except (OSError, ValueError):
        return DEFAULT_EPHEMERAL
    return low, high


def pool(source: Path = EPHEMERAL_RANGE_FILE) -> range:
    """The ports the twin picks from: below the ephemeral range, else above it."""
    low, high = ephemeral_range(source)
    if low - POOL_FLOOR >= MIN_POOL:
        return range(POOL_FLOOR, low)
    if 65535 - high >= MIN_POOL:
        return range(high + 1, 65536)
    raise RuntimeError(
        f"the ephemeral port range {low}-{high} leaves no {MIN_POOL} ports outside it for "
        f"the twin's listeners: narrow it (sysctl net.ipv4.ip_local_port_range)"
    )


def registry_path() -> Path:
    override = os.environ.get(REGISTRY_ENV)
    if override:
        return Path(override)
    return Path(tempfile.gettempdir()) / f"focus-twin-ports-{os.getuid()}.json"


def port_is_free(port: int, host: str = config.HOST) -> bool:
    """Nothing is bound to ``port`` (a listener, or a connection's source port) now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[dict[int, tuple[float, str]]]:
    """The live reservations (port -> (until, owner)), under the registry's lock; saved
    on exit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            held = _live(path, time.time())
            yield held
            temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            temporary.write_text(
                json.dumps({str(port): list(entry) for port, entry in held.items()})
            )
            temporary.replace(path)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _live(path: Path, now: float) -> dict[int, tuple[float, str]]:
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {
        int(port): (float(entry[0]), str(entry[1]))
        for port, entry in (raw.items() if isinstance(raw, dict) else ())
        if str(port).isdigit() and isinstance(entry, list) and len(entry) == 2 and entry[0] > now
    }


def reserve(
    wanted: Sequence[int | None],
    host: str = config.HOST,
    hold_s: float = HOLD_S,
    registry: Path | None = None,
    candidates: range | None = None,
    owner: str = "",
) -> list[int]:
    """One free port per entry of ``wanted``, reserved for ``hold_s`` seconds.

    An entry that names a port (last run's, for stable URLs) gets it back when it is free
    and no other owner holds it (``owner``: the twin's directory, so a twin that restarts
    gets its own ports back); ``None``, or a port taken, gets a random free port of
    :func:`pool` that nobody holds.
    """
    choices = candidates if candidates is not None else pool()
    with _locked(registry or registry_path()) as held:
        chosen: list[int] = []
        for port in wanted:
            others = port is not None and port in held and (not owner or held[port][1] != owner)
            if port is not None and port not in chosen and not others and port_is_free(port, host):
                picked = port
            else:
                picked = _random_free(choices, set(held) | set(chosen), host)
            chosen.append(picked)
        until = time.time() + hold_s
        held.update(dict.fromkeys(chosen, (until, owner)))
    return chosen


def _random_free(choices: range, taken: set[int], host: str) -> int:
    for _ in range(200):
        port = random.choice(choices)
        if port not in taken and port_is_free(port, host):
            return port
    for port in choices:  # nearly full: look at every one
        if port not in taken and port_is_free(port, host):
            return port
    raise RuntimeError(
        f"no free TCP port in {choices.start}-{choices.stop - 1} on {host}: "
        "stop twins left running ('python -m twin down' in their checkouts)"
    )


def free_port(host: str = config.HOST, hold_s: float = HOLD_S) -> int:
    """One reserved free port (see :func:`reserve`)."""
    return reserve([None], host, hold_s)[0]


def job_port(host: str = config.HOST) -> int:
    """A task's gRPC job port: reserved until the job has bound it, whichever backend
    starts the job."""
    return free_port(host, JOB_HOLD_S)
