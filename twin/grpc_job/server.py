"""The gRPC job's servicer: health plus a JSON frame stream of one task's waterfall."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from concurrent import futures

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from twin import fibre_data
from twin.grpc_job import protocol


class FrameStream:
    """Produces the frames of one task; the ROI can change while it streams."""

    def __init__(self, task_id: str, config: dict, stopping: threading.Event) -> None:
        self.task_id = task_id
        self._config = config
        self._lock = threading.Lock()
        self._stopping = stopping

    def update(self, changes: dict) -> dict:
        """Apply a dynamic ROI change (``channels`` and/or ``frequencyRange``)."""
        with self._lock:
            self._config = {**self._config, **changes}
        return {"task_id": self.task_id, "updated": sorted(changes)}

    def _view(self) -> fibre_data.View:
        with self._lock:
            return fibre_data.View.from_config(self._config)

    def _frame(self, seq: int, view: fibre_data.View, index: int) -> dict:
        values = fibre_data.rows(view, range(index, index + 1))[0]
        return {
            "task_id": self.task_id,
            "seq": seq,
            "timestamp": protocol.format_time(fibre_data.row_time(view, index)),
            "channels": {"min": view.channel_min, "max": view.channel_max},
            "values": [round(float(value), 4) for value in values],
        }

    def _live_indexes(self) -> Iterator[int]:
        view = self._view()
        index = fibre_data.row_index_range(view, 0, time.time())[-1]
        while True:
            delay = fibre_data.row_time(self._view(), index) - time.time()
            if delay > 0 and self._stopping.wait(delay):
                return
            yield index
            index += 1

    def _historic_indexes(self) -> Iterator[int]:
        start = protocol.parse_utc(self._config["startTime"])
        end = protocol.parse_utc(self._config["endTime"])
        span = fibre_data.row_index_range(self._view(), start.timestamp(), end.timestamp())
        duration = protocol.historic_stream_seconds(start, end)
        count = max(1, math.ceil(duration / protocol.HISTORIC_FRAME_INTERVAL_S))
        step = max(1, len(span) // count)
        for index in span[::step]:
            yield index
            if self._stopping.wait(protocol.HISTORIC_FRAME_INTERVAL_S):
                return

    def frames(self, request: dict, context: grpc.ServicerContext) -> Iterator[dict]:
        """The Frames method: Live rows in real time, Historic rows accelerated."""
        limit = request.get("max_frames")
        live = self._config["timeStatus"] == "Live"
        indexes = self._live_indexes() if live else self._historic_indexes()
        for seq, index in enumerate(indexes):
            if (limit is not None and seq >= limit) or not context.is_active():
                return
            yield self._frame(seq, self._view(), index)


def build_server(
    stream: FrameStream, port: int, host: str = "127.0.0.1"
) -> tuple[grpc.Server, health.HealthServicer, int]:
    """A started-later server with health (NOT_SERVING until the caller says) and frames."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    handlers = {
        protocol.FRAMES_METHOD: grpc.unary_stream_rpc_method_handler(
            stream.frames,
            request_deserializer=protocol.decode,
            response_serializer=protocol.encode,
        ),
        protocol.UPDATE_METHOD: grpc.unary_unary_rpc_method_handler(
            lambda request, _context: stream.update(request),
            request_deserializer=protocol.decode,
            response_serializer=protocol.encode,
        ),
    }
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(protocol.SERVICE, handlers),)
    )
    bound = server.add_insecure_port(f"{host}:{port}")
    for service in ("", protocol.SERVICE):
        health_servicer.set(service, health_pb2.HealthCheckResponse.NOT_SERVING)
    return server, health_servicer, bound
