"""Per-pod bounded buffers of timestamped lines, and the selection of one test's lines."""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any

from libraries.common import request_ids
from libraries.pod_monitor.patterns import PatternSet

MAX_LINE_CHARS = 4000
# Lines reach the buffer in arrival order; timestamps of different batches may be
# slightly out of order, so a window scan goes this far before the window's start.
_SCAN_SLACK_NS = 2_000_000_000


@dataclass(frozen=True, slots=True)
class Line:
    ns: int  # the line's timestamp, nanoseconds since the epoch
    text: str
    error: str | None  # name of the matching error pattern
    origin: tuple[str, int] | None  # (process prefix, test number) of its request id


class PodBuffer:
    """The newest ``max_lines`` lines of one pod."""

    def __init__(self, pod: str, max_lines: int) -> None:
        self.pod = pod
        self.lines: deque[Line] = deque(maxlen=max_lines)
        self.dropped = 0
        self.chars = 0  # text held now (for the memory figures)
        self.gone = False
        self.last_ns = 0
        self._lock = threading.Lock()

    def add(self, line: Line) -> None:
        with self._lock:
            if len(self.lines) == self.lines.maxlen:
                self.dropped += 1
                self.chars -= len(self.lines[0].text)
            self.lines.append(line)
            self.chars += len(line.text)
            self.last_ns = max(self.last_ns, line.ns)

    def window(self, start_ns: int, end_ns: int) -> list[Line]:
        """Lines stamped within ``[start_ns, end_ns]``, oldest first."""
        chosen = []
        with self._lock:
            for line in reversed(self.lines):
                if line.ns < start_ns - _SCAN_SLACK_NS:
                    break
                if start_ns <= line.ns <= end_ns:
                    chosen.append(line)
        chosen.reverse()
        return chosen


class LineStore:
    """Every pod's buffer, the classification of lines, and the run's error counts."""

    def __init__(self, patterns: PatternSet, max_lines: int = 5000) -> None:
        self.patterns = patterns
        self.max_lines = max_lines
        self.buffers: dict[str, PodBuffer] = {}
        self.errors_seen: Counter[tuple[str, str]] = Counter()  # (pod, pattern) -> lines
        self.lines_seen = 0
        self.pods_seen: set[str] = set()
        self.peak_lines = 0
        self.peak_chars = 0
        self._lock = threading.Lock()

    def buffer(self, pod: str) -> PodBuffer:
        with self._lock:
            found = self.buffers.get(pod)
            if found is None:
                found = self.buffers[pod] = PodBuffer(pod, self.max_lines)
            return found

    def add(self, pod: str, ns: int, text: str) -> Line:
        if len(text) > MAX_LINE_CHARS:
            text = text[:MAX_LINE_CHARS] + f" ... ({len(text)} characters)"
        line = Line(ns, text, self.patterns.match(text), request_ids.parse(text))
        if line.error:
            self.errors_seen[(pod, line.error)] += 1
        self.lines_seen += 1
        self.pods_seen.add(pod)
        self.buffer(pod).add(line)
        return line

    def note_peak(self) -> None:
        """Record how much is buffered now, if it is the most so far (memory figures)."""
        with self._lock:
            buffers = list(self.buffers.values())
        self.peak_lines = max(self.peak_lines, sum(len(b.lines) for b in buffers))
        self.peak_chars = max(self.peak_chars, sum(b.chars for b in buffers))

    def stats(self) -> dict[str, Any]:
        return {
            "pods_followed": len(self.pods_seen),
            "lines_seen": self.lines_seen,
            "peak_buffered_lines": self.peak_lines,
            "peak_buffered_chars": self.peak_chars,
        }

    def mark_gone(self, pod: str) -> None:
        self.buffer(pod).gone = True

    def select(
        self, start_ns: int, end_ns: int, prefix: str, test_number: int
    ) -> dict[str, list[Line]]:
        """Each pod's lines of one test: stamped within its window, and either caused by
        this test (its request id) or by no test at all. Lines another test caused (of
        this process or of another pabot process) are left out. Pods without lines are
        not in the answer."""
        own = (prefix, test_number)
        with self._lock:
            buffers = list(self.buffers.values())
        selected = {}
        for buffer in buffers:
            lines = [
                line
                for line in buffer.window(start_ns, end_ns)
                if line.origin is None or line.origin == own
            ]
            if lines:
                selected[buffer.pod] = lines
        return dict(sorted(selected.items()))

    def prune(self, before_ns: int) -> None:
        """Forget deleted pods whose last line is older than ``before_ns``."""
        with self._lock:
            for pod in [
                name
                for name, buffer in self.buffers.items()
                if buffer.gone and buffer.last_ns < before_ns
            ]:
                del self.buffers[pod]
