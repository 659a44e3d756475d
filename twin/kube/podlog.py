"""A pod's log: the plain file ``logs/<pod>.log`` plus timestamped lines in memory.

The supervisor pipes each container run's stdout/stderr through :meth:`PodLog.pump`,
which writes the file (``python -m twin logs`` reads it) and keeps each line with its
arrival time, so the API can serve ``tailLines``, ``sinceSeconds``, ``timestamps``,
``previous`` and ``follow`` as the kubelet does.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

KEEP_LINES = 20000
_CHUNK = 65536


@dataclass(frozen=True)
class LogLine:
    seq: int
    ns: int  # arrival time, nanoseconds since the epoch
    run: int
    text: str

    def render(self, timestamps: bool) -> str:
        return f"{rfc3339_nano(self.ns)} {self.text}\n" if timestamps else f"{self.text}\n"


def rfc3339_nano(ns: int) -> str:
    """Go's RFC3339Nano: nanoseconds with trailing zeros trimmed, ``Z``."""
    seconds, nanos = divmod(ns, 1_000_000_000)
    base = dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    fraction = f"{nanos:09d}".rstrip("0")
    return f"{base}.{fraction}Z" if fraction else f"{base}Z"


class PodLog:
    """Lines of every container run of one pod, newest ``KEEP_LINES`` kept."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: deque[LogLine] = deque(maxlen=KEEP_LINES)
        self.next_seq = 0
        self.run = -1
        self._open: set[int] = set()
        self._changed = asyncio.Condition()

    def start_run(self) -> int:
        self.run += 1
        self._open.add(self.run)
        return self.run

    def is_open(self, run: int) -> bool:
        return run in self._open

    async def pump(self, stream: asyncio.StreamReader, run: int) -> None:
        """Copy a run's output to the file and the buffer until EOF."""
        partial = b""
        try:
            with open(self.path, "ab", buffering=0) as handle:
                while True:
                    chunk = await stream.read(_CHUNK)
                    if not chunk:
                        break
                    handle.write(chunk)
                    *complete, partial = (partial + chunk).split(b"\n")
                    await self.append(complete, run)
                if partial:
                    handle.write(b"\n")
                    await self.append([partial], run)
        finally:
            self._open.discard(run)
            async with self._changed:
                self._changed.notify_all()

    async def append(self, raw: list[bytes], run: int) -> None:
        if not raw:
            return
        now = time.time_ns()
        for line in raw:
            text = line.decode(errors="replace").rstrip("\r")
            self.lines.append(LogLine(self.next_seq, now, run, text))
            self.next_seq += 1
        async with self._changed:
            self._changed.notify_all()

    def select(
        self, run: int, tail: int | None = None, since_seconds: int | None = None
    ) -> list[LogLine]:
        chosen = [line for line in self.lines if line.run == run]
        if since_seconds is not None:
            floor = time.time_ns() - since_seconds * 1_000_000_000
            chosen = [line for line in chosen if line.ns >= floor]
        if tail is not None:
            chosen = chosen[-tail:] if tail > 0 else []
        return chosen

    async def wait_after(self, seq: int, run: int, timeout: float) -> list[LogLine]:
        """Lines of ``run`` after ``seq``; waits up to ``timeout`` while the run is open."""
        async with self._changed:
            try:
                await asyncio.wait_for(
                    self._changed.wait_for(
                        lambda: self.next_seq > seq + 1 or not self.is_open(run)
                    ),
                    timeout,
                )
            except TimeoutError:
                pass
        return self.after(seq, run)

    def after(self, seq: int, run: int) -> list[LogLine]:
        """Lines of ``run`` after ``seq``, read from the newest end: a follower asks for the
        few lines since its last one, and scanning all ``KEEP_LINES`` for each new line
        made a busy pod's stream cost grow with its log (a soak's p95 drifted with it)."""
        fresh = []
        for line in reversed(self.lines):  # seq grows along the deque
            if line.seq <= seq:
                break
            if line.run == run:
                fresh.append(line)
        fresh.reverse()
        return fresh
