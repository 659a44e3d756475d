"""Does the system write request ids into its access lines? One probe request tells.

The pod monitor files a line under the test that caused it by the request id in the line
(``rid=<id>``, see ``libraries/common/request_ids.py``). That holds only when the system
writes the ids it is sent. At the start of a run the monitor sends one request of its own
(``GET <base URL>/pod-monitor-probe-<token>``, a path nothing serves, with an
``X-Request-ID``) and watches the pod logs for that request's access line:

- the line carries the id: attribution by request id works;
- the line comes without the id, or no line comes within the timeout: the monitor can
  only file lines by the test's time window, and says so (one warning, and the summary).

No Robot imports; the listener drives it (``listener.py``).
"""

from __future__ import annotations

import random
import re
import secrets
import threading
from collections.abc import Callable

from libraries.common import request_ids

PATH_PREFIX = "pod-monitor-probe-"
FALLBACK = "attribution by time window only"


class RequestIdProbe:
    """One probe request and the verdict on its access line.

    ``send(path, request_id)`` sends the request (its errors are the probe's: a failed send
    is a verdict too). Feed every log line to `see`; `verdict` is ``None`` while waiting,
    then ``""`` when the access line carried the id, else the reason attribution falls back
    to time windows.
    """

    def __init__(self, send: Callable[[str, str], None], timeout: float = 10.0) -> None:
        self._send = send
        self.timeout = timeout
        token = secrets.token_hex(6)
        self.path = f"/{PATH_PREFIX}{token}"
        # Test number 0 of this process: no test has it, so no test shows the probe's lines.
        self.request_id = f"{request_ids.test_tag(0)}-{random.randrange(10**9)}"
        self._path_in_line = re.compile(rf"{re.escape(self.path)}(?![\w-])")
        self._seen = threading.Event()
        self._done = threading.Event()
        self._carried_id: bool | None = None
        self._verdict: str | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Send the probe and wait for its line in a daemon thread."""
        self._thread = threading.Thread(target=self._run, name="pod-monitor-probe", daemon=True)
        self._thread.start()

    def see(self, text: str) -> None:
        """One log line of any pod (called from the sources' threads)."""
        if self._seen.is_set() or self.path not in text or not self._path_in_line.search(text):
            return
        self._carried_id = f"rid={self.request_id}" in text
        self._seen.set()

    def _run(self) -> None:
        try:
            self._send(self.path, self.request_id)
        except Exception as error:  # any failure is a verdict, never a crash
            reason = (str(error).splitlines() or [type(error).__name__])[0][:200]
            self._finish(f"the probe request GET {self.path} failed ({reason})")
            return
        if not self._seen.wait(self.timeout):
            self._finish(
                f"no access line of the probe request GET {self.path} appeared in the pod "
                f"logs within {self.timeout:g} s"
            )
        elif not self._carried_id:
            self._finish(
                f"the access line of the probe request GET {self.path} carries no request id "
                f"(rid={self.request_id} was sent as {request_ids.HTTP_HEADER})"
            )
        else:
            self._finish("")

    def _finish(self, verdict: str) -> None:
        self._verdict = verdict
        self._done.set()

    def wait(self, timeout: float | None = None) -> str | None:
        """The verdict, waiting up to ``timeout`` for it (``None``: still waiting)."""
        self._done.wait(timeout)
        return self._verdict

    @property
    def verdict(self) -> str | None:
        return self._verdict
