"""Request ids that tie a log line in a pod to the test that caused it.

While a test runs, the pod monitor (``libraries/pod_monitor``) sets the test's tag
here; the clients then send ``X-Request-ID: <tag>-<n>`` (HTTP) or the AMQP header
``x-request-id``, and the twin's servers write ``rid=<id>`` in each log line that a
request caused. Under pabot every robot process has its own prefix, so the monitor
of one process never shows a line that another process's test caused, even when
both tests run at the same moment.

Robot-free; a process-wide value (Robot runs one test at a time per process).
"""

from __future__ import annotations

import itertools
import os
import re

HTTP_HEADER = "X-Request-ID"
AMQP_HEADER = "x-request-id"
# ``rid=t1a2b.7-3``: process prefix ``t<pid hex>``, test number, request number.
LOG_FIELD = re.compile(r"\brid=(t[0-9a-f]+)\.(\d+)-\d+\b")

_current: str | None = None
_counter = itertools.count(1)


def process_prefix(pid: int | None = None) -> str:
    return f"t{os.getpid() if pid is None else pid:x}"


def test_tag(test_number: int, pid: int | None = None) -> str:
    """The tag of this process's ``test_number``-th test."""
    return f"{process_prefix(pid)}.{test_number}"


def set_current(tag: str | None) -> None:
    """Set (or clear with ``None``) the tag of the running test."""
    global _current
    _current = tag


def current() -> str | None:
    return _current


def next_request_id() -> str | None:
    """A fresh id for one request of the running test; ``None`` outside a test."""
    tag = _current
    return None if tag is None else f"{tag}-{next(_counter)}"


def parse(line: str) -> tuple[str, int] | None:
    """``(process prefix, test number)`` of the request id in a log line, if any."""
    match = LOG_FIELD.search(line)
    return (match.group(1), int(match.group(2))) if match else None
