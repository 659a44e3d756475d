"""The standard gRPC health service (``grpc.health.v1``) of a task's stream (no Robot imports).

Contract section 2: a task is ``running`` when its Job's pod runs and its gRPC health
service answers ``SERVING`` at ``stream.host:stream.port``.
"""

from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def stream_health(host: str, port: int, service: str = "", timeout_s: float = 2.0) -> str:
    """The status name (``SERVING``, ``NOT_SERVING``, ...) that ``grpc.health.v1.Health/Check``
    answers at ``host:port`` for ``service`` (``""``: the server as a whole).

    Raises ``ConnectionError`` with one line when nothing answers within ``timeout_s``.
    """
    with grpc.insecure_channel(f"{host}:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            # types-grpcio-health-checking declares HealthStub without its methods (grpc
            # generates them at run time): Check is real, the stub does not know it.
            answer = stub.Check(  # type: ignore[attr-defined]
                health_pb2.HealthCheckRequest(service=service), timeout=timeout_s
            )
        except grpc.RpcError as error:
            code = error.code() if isinstance(error, grpc.Call) else None
            name = code.name if code is not None else type(error).__name__
            raise ConnectionError(
                f"gRPC health check at {host}:{port} failed: {name} within {timeout_s} s"
            ) from None
    return health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status)
