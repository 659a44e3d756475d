"""Run a prepared node in the foreground: epmd, then rabbitmq-server, until SIGTERM.

Both children stay in our process group, so the supervisor's SIGKILL of the group
reaches them. epmd ignores SIGTERM (set before exec), so a SIGTERM sent to the
whole group cannot take it away while the node is still stopping; we stop it
ourselves once the node has gone.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

from twin import config
from twin.rabbitmq.files import NodeSpec
from twin.rabbitmq.ready import amqp_ready
from twin.rabbitmq.runtime import SERVER_SCRIPT

NOT_INSTALLED = (
    "rabbitmq-server is not installed: run 'make setup' (or: apt-get install rabbitmq-server)"
)
POLL_S = 0.1
EPMD_NAMES_REQUEST = b"\x00\x01n"  # length 1, NAMES_REQ (110)


class NotInstalled(RuntimeError):
    """Debian's rabbitmq-server (or Erlang's epmd) is missing."""


class StartFailed(RuntimeError):
    """The node did not come up, or died; the message names its log."""


def executables() -> tuple[Path, Path]:
    """``(rabbitmq-server, epmd)``; raises :class:`NotInstalled` when either is missing."""
    epmd = shutil.which("epmd") or shutil.which("epmd", path="/usr/lib/erlang/bin")
    if not SERVER_SCRIPT.is_file() or epmd is None:
        raise NotInstalled(NOT_INSTALLED)
    return SERVER_SCRIPT, Path(epmd)


def _ignore_stop_signals() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _spawn(argv: list[str], spec: NodeSpec, ignore_term: bool = False) -> subprocess.Popen:
    """Start a child in our process group, as the spec's account."""
    user, group = spec.run_as if spec.run_as is not None else (None, None)
    return subprocess.Popen(
        argv,
        env=spec.environment(),
        cwd=spec.data_dir,
        stdin=subprocess.DEVNULL,
        preexec_fn=_ignore_stop_signals if ignore_term else None,
        user=user,
        group=group,
        extra_groups=[] if spec.run_as is not None else None,
    )


def epmd_answers(port: int, timeout: float = 0.5) -> bool:
    """True when an epmd on 127.0.0.1:``port`` answers a NAMES request."""
    with (
        contextlib.suppress(OSError),
        socket.create_connection((config.HOST, port), timeout=timeout) as sock,
    ):
        sock.sendall(EPMD_NAMES_REQUEST)
        return len(sock.recv(4)) == 4
    return False


def _start_epmd(epmd: Path, spec: NodeSpec, timeout: float = 10.0) -> subprocess.Popen:
    argv = [str(epmd), "-port", str(spec.epmd_port), "-address", config.HOST]
    process = _spawn(argv, spec, ignore_term=True)
    address = f"{config.HOST}:{spec.epmd_port}"
    deadline = time.monotonic() + timeout
    while process.poll() is not None or not epmd_answers(spec.epmd_port):
        if process.poll() is not None:
            raise StartFailed(f"epmd exited with code {process.returncode}: is {address} taken?")
        if time.monotonic() > deadline:
            _kill(process)
            raise StartFailed(f"epmd did not answer on {address} within {timeout:.0f} s")
        time.sleep(POLL_S)
    return process


def _kill(process: subprocess.Popen) -> None:
    """SIGKILL a child and every descendant it still has."""
    with contextlib.suppress(psutil.Error):
        for child in psutil.Process(process.pid).children(recursive=True):
            with contextlib.suppress(psutil.Error):
                child.kill()
    with contextlib.suppress(ProcessLookupError):
        process.kill()
    process.wait(timeout=10)


def _stop_server(server: subprocess.Popen, timeout: float) -> bool:
    """Gracefully stop the node; True if the VM and its helpers exited within ``timeout``.

    SIGTERM to the start script makes it SIGTERM the VM, which RabbitMQ turns into a
    graceful stop. We wait for the VM itself, not only the script.
    """
    try:
        descendants = psutil.Process(server.pid).children(recursive=True)
    except psutil.Error:
        descendants = []
    deadline = time.monotonic() + timeout
    with contextlib.suppress(ProcessLookupError):
        server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        pass
    _, alive = psutil.wait_procs(descendants, timeout=max(0.0, deadline - time.monotonic()))
    for process in alive:
        with contextlib.suppress(psutil.Error):
            process.kill()
    if server.poll() is None:
        _kill(server)
        return False
    return not alive


class _StopRequest:
    """Turns SIGTERM/SIGINT into a flag that the run loop checks."""

    def __init__(self) -> None:
        self.event = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._handle)

    def _handle(self, signum: int, _frame: object) -> None:
        self.event.set()

    def wait(self, seconds: float) -> bool:
        return self.event.wait(seconds)


def _log(message: str) -> None:
    print(f"rabbitmq-panda: {message}", file=sys.stderr, flush=True)


def _watch(
    spec: NodeSpec,
    server: subprocess.Popen,
    epmd: subprocess.Popen,
    stop: _StopRequest,
    start_timeout: float,
) -> None:
    """Return when a stop is requested; raise :class:`StartFailed` if a child dies first."""
    started = time.monotonic()
    ready = False
    where = f"see {spec.log_file} and the output above"
    while not stop.wait(POLL_S if ready else 0.05):
        if server.poll() is not None:
            state = "after it was ready" if ready else "before it was ready"
            raise StartFailed(
                f"rabbitmq-server exited with code {server.returncode} {state}; {where}"
            )
        if epmd.poll() is not None:
            raise StartFailed(f"epmd exited with code {epmd.returncode}; {where}")
        if not ready and amqp_ready(config.HOST, spec.amqp_port, spec.user, spec.password):
            ready = True
            elapsed = time.monotonic() - started
            _log(
                f"node {spec.node_name} ready on {config.HOST}:{spec.amqp_port} in {elapsed:.2f} s"
            )
        if not ready and time.monotonic() - started > start_timeout:
            raise StartFailed(
                f"rabbitmq-server did not accept an authenticated AMQP connection within "
                f"{start_timeout:.0f} s; {where}"
            )


def run(spec: NodeSpec, start_timeout: float = 60.0, stop_timeout: float = 12.0) -> int:
    """Run the node until SIGTERM (exit 0 after a graceful stop) or its death (exit 1).

    Must be called from the main thread (it installs SIGTERM/SIGINT handlers).
    """
    _, epmd_path = executables()
    stop = _StopRequest()
    epmd = _start_epmd(epmd_path, spec)
    server: subprocess.Popen | None = None
    try:
        server = _spawn([str(spec.server_script)], spec)
        _watch(spec, server, epmd, stop, start_timeout)
        stopping = time.monotonic()
        graceful = _stop_server(server, stop_timeout)
        how = "gracefully" if graceful else "by SIGKILL"
        _log(f"node {spec.node_name} stopped {how} in {time.monotonic() - stopping:.2f} s")
        return 0 if graceful else 1
    finally:
        if server is not None and server.poll() is None:
            _kill(server)
        _kill(epmd)
