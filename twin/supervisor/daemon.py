"""How the supervisor lives on its own: detached from its starter, watched by a
watchdog, and (in lease mode) stopping once no owner process is left.

The watchdog process (:mod:`twin.watchdog`) reaps every pod if the supervisor itself
dies; the owners' leases are kept in :mod:`twin.lease`.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from twin import config, lease, processes
from twin.supervisor.pod import now

LEASE_CHECK_S = 0.5


def detach() -> None:
    """Fork: the parent prints the child's pid and exits, so the supervisor is nobody's child.

    Whoever started the twin (a test run, pytest) then never sees its pods among its own
    child processes, and the supervisor is reaped by init whenever it ends.
    """
    pid = os.fork()
    if pid:
        print(pid, flush=True)
        os._exit(0)
    log = os.open(config.logs_dir() / "supervisor.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)


def start_watchdog(base: Path, instance: str) -> int:
    """Start the watchdog of this process in a session of its own; returns its pid."""
    watchdog = subprocess.Popen(
        [sys.executable, "-m", "twin.watchdog", str(os.getpid()), instance],
        env=processes.pod_environment(base, instance, "watchdog", marked=False),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        cwd=str(config.REPO_ROOT),
    )
    return watchdog.pid


async def keep_lease(base: Path, stopped: asyncio.Event, request_stop: Callable[[], None]) -> None:
    """Call ``request_stop`` once no owner process of the twin is alive."""
    while not stopped.is_set():
        await asyncio.sleep(LEASE_CHECK_S)
        if lease.expired(base):
            last = list(lease.gone_owners.items())[-5:]
            why = "; ".join(f"{pid} {reason}" for pid, reason in last) or "none registered"
            print(f"{now()} no owner process left ({why}): stopping the twin", flush=True)
            request_stop()
