"""RequestOrigins: a listener that records which test made which request.

``make guard`` runs the whole suite with it (``--listener
libraries.request_origins.RequestOrigins:<file>``). At each test's start it sets the
test's request-id tag (:mod:`libraries.common.request_ids`: the clients send it as
``X-Request-ID`` and the AMQP header ``x-request-id``, the twin writes it as ``rid=`` in
its logs) and appends one JSON line to ``<file>``: the tag, the test's long name and tags.
The guard then reads the twin's access log and gives each request the effect class of
the test that made it. Under pabot every process appends to the same file (one short
write per line, ``O_APPEND``).
"""

from __future__ import annotations

import json
import os
from typing import Any

from robot.running.context import EXECUTION_CONTEXTS

from libraries.common import request_ids


class RequestOrigins:
    ROBOT_LISTENER_API_VERSION = 3

    def __init__(self, path: str) -> None:
        self.path = path
        self.number = 0

    def start_test(self, data: Any, result: Any) -> None:
        context = EXECUTION_CONTEXTS.current
        if context is None or context.dry_run:
            return
        self.number += 1
        tag = request_ids.test_tag(self.number)
        request_ids.set_current(tag)
        line = json.dumps({"tag": tag, "test": result.full_name, "tags": list(data.tags)})
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (line + "\n").encode())
        finally:
            os.close(fd)

    def end_test(self, data: Any, result: Any) -> None:
        request_ids.set_current(None)
