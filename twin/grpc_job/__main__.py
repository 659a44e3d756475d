"""Entry point of a gRPC job process: ``python -m twin.grpc_job --task-id ID --port P``."""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import signal as os_signal
import sys
import threading

from grpc_health.v1 import health_pb2

from twin.grpc_job import protocol
from twin.grpc_job.server import FrameStream, build_server

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Ask the kernel for SIGTERM when the parent dies; exit if it already has."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, int(os_signal.SIGTERM), 0, 0, 0)
    expected = os.environ.get(protocol.PARENT_PID_ENV)
    if expected and os.getppid() != int(expected):
        sys.exit("parent already gone")


def _log(message: str) -> None:
    print(message, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m twin.grpc_job")
    parser.add_argument("--task-id", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    _die_with_parent()
    config = json.loads(os.environ[protocol.CONFIG_ENV])

    stopping = threading.Event()
    for signum in (os_signal.SIGTERM, os_signal.SIGINT):
        os_signal.signal(signum, lambda *_: stopping.set())

    try:
        server, health_servicer, bound = build_server(
            FrameStream(args.task_id, config, stopping), args.port
        )
    except RuntimeError:
        bound = 0
    if not bound:
        _log(f"cannot bind 127.0.0.1:{args.port}")
        return 1
    server.start()
    for service in ("", protocol.SERVICE):
        health_servicer.set(service, health_pb2.HealthCheckResponse.SERVING)
    _log(f"job {args.task_id} serving on 127.0.0.1:{bound}")
    parent = os.getppid()
    while not stopping.wait(1.0):
        if os.getppid() != parent:
            _log("parent gone")
            break
    health_servicer.enter_graceful_shutdown()
    server.stop(grace=1.0).wait(timeout=3.0)
    _log(f"job {args.task_id} stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
