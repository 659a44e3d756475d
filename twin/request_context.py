"""The request id of the work a twin server is doing, for its log lines.

A client sends ``X-Request-ID`` (HTTP) or the AMQP header ``x-request-id``; the server
keeps it in :data:`REQUEST_ID` while it handles that request (and in the tasks the
request starts), and :class:`RequestIdFilter` appends `` rid=<id>`` to every log line
written meanwhile. The pod monitor uses it to show a line under the test that caused it.
"""

from __future__ import annotations

import contextvars
import logging
import re

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_SAFE = re.compile(r"[A-Za-z0-9._-]{1,64}")


def clean(value: object) -> str | None:
    """The id if it is a short token, else ``None`` (never log what a client injects)."""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    return value if isinstance(value, str) and _SAFE.fullmatch(value) else None


class RequestIdFilter(logging.Filter):
    """Adds ``record.rid``: `` rid=<id>`` during a request, else empty."""

    def filter(self, record: logging.LogRecord) -> bool:
        rid = REQUEST_ID.get()
        record.rid = f" rid={rid}" if rid else ""
        return True
