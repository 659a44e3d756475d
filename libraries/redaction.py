"""The redaction listener: every message of log.html and output.xml passes the one redactor.

The ``Environment`` library registers it with itself (beside the production guard), so
every suite that imports ``resources/common.resource`` has it. It rewrites, before Robot
writes them: every log message (``log_message``), every keyword's arguments and failure
message, and every test's and suite's message (a library's exception text ends up there).
Usable alone too: ``robot --listener libraries.redaction.Redaction ...``.

The rules are :mod:`libraries.common.redact`'s.
"""

from __future__ import annotations

from typing import Any

from libraries.common.redact import redact


class Redaction:
    """Listener API 3: masks secrets in messages, arguments and statuses as they are made."""

    ROBOT_LISTENER_API_VERSION = 3

    def log_message(self, message: Any) -> None:
        if message.message and not message.html:
            message.message = redact(message.message)

    def end_keyword(self, data: Any, result: Any) -> None:
        if result.message:
            result.message = redact(result.message)
        args = getattr(result, "args", None)
        if args:
            result.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in args)

    def end_test(self, data: Any, result: Any) -> None:
        if result.message:
            result.message = redact(result.message)

    def end_suite(self, data: Any, result: Any) -> None:
        if result.message:
            result.message = redact(result.message)
