"""What the Focus Server and a gRPC job agree on: names, codec, timing, client calls."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

SERVICE = "focus.v1.Stream"
FRAMES_METHOD = "Frames"
UPDATE_METHOD = "Update"
CONFIG_ENV = "FOCUS_TASK_CONFIG"
PARENT_PID_ENV = "FOCUS_PARENT_PID"

# Historic playback is accelerated: one second of wall time per minute of data,
# bounded so a task completes within a few seconds.
HISTORIC_SECONDS_PER_MINUTE = 1.0
HISTORIC_MIN_STREAM_S = 0.5
HISTORIC_MAX_STREAM_S = 4.0
HISTORIC_FRAME_INTERVAL_S = 0.1


def encode(message: dict) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode()


def decode(data: bytes) -> dict:
    return json.loads(data) if data else {}


def historic_stream_seconds(start: datetime, end: datetime) -> float:
    """Wall-clock seconds a Historic task takes to stream ``[start, end]``."""
    minutes = (end - start).total_seconds() / 60
    wanted = minutes * HISTORIC_SECONDS_PER_MINUTE
    return min(HISTORIC_MAX_STREAM_S, max(HISTORIC_MIN_STREAM_S, wanted))


class HealthProbe:
    """Repeated ``grpc.health.v1`` checks of one job over one reused channel."""

    def __init__(self, host: str, port: int) -> None:
        self._channel = grpc.insecure_channel(f"{host}:{port}")
        self._stub = health_pb2_grpc.HealthStub(self._channel)

    def serving(self, timeout: float = 0.5) -> bool:
        """True when the job's health service answers SERVING within ``timeout``."""
        try:
            # types-grpcio-health-checking declares HealthStub without its methods (grpc
            # generates them at run time): Check is real, the stub does not know it.
            reply = self._stub.Check(  # type: ignore[attr-defined]
                health_pb2.HealthCheckRequest(service=""), timeout=timeout
            )
        except grpc.RpcError:
            return False
        return reply.status == health_pb2.HealthCheckResponse.SERVING

    def close(self) -> None:
        self._channel.close()


def check_serving(host: str, port: int, timeout: float = 0.5) -> bool:
    """True when the job's ``grpc.health.v1`` service answers SERVING (one-off check)."""
    probe = HealthProbe(host, port)
    try:
        return probe.serving(timeout)
    finally:
        probe.close()


def _method(name: str) -> str:
    return f"/{SERVICE}/{name}"


def read_frames(host: str, port: int, count: int, timeout: float = 10.0) -> list[dict]:
    """Read up to ``count`` frames from a job's stream (ends early if the stream does)."""
    with grpc.insecure_channel(f"{host}:{port}") as channel:
        call = channel.unary_stream(
            _method(FRAMES_METHOD), request_serializer=encode, response_deserializer=decode
        )
        frames: Iterator[dict] = call({"max_frames": count}, timeout=timeout)
        return list(frames)


def send_update(host: str, port: int, config: dict, timeout: float = 1.0) -> dict:
    """Give a running job its new configuration (dynamic ROI); returns the job's answer."""
    with grpc.insecure_channel(f"{host}:{port}") as channel:
        call = channel.unary_unary(
            _method(UPDATE_METHOD), request_serializer=encode, response_deserializer=decode
        )
        return call(config, timeout=timeout)


def format_time(moment: datetime | float) -> str:
    """ISO-8601 UTC with milliseconds and ``Z``: the wire format of every timestamp."""
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_utc(text: str) -> datetime:
    """Parse an ISO-8601 timestamp that says it is UTC (``Z`` or ``+00:00``).

    Raises ValueError for anything else, naive timestamps included.
    """
    parsed = datetime.fromisoformat(text)
    offset = parsed.utcoffset()
    if offset is None or offset.total_seconds() != 0:
        raise ValueError(f"{text!r} is not a UTC timestamp")
    return parsed.astimezone(UTC)
