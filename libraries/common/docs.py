"""Pieces of keyword documentation that several keywords show alike (Libdoc syntax).

``@shows(...)`` replaces ``%NAME%`` markers in a keyword's docstring with these pieces,
so a table (the alert classes) is written once and every keyword that needs it shows
the same one::

    @shows(ALERT_CLASSES=ALERT_CLASSES)
    @keyword
    def get_alerts(self) -> list[dict]:
        \"\"\"...

        %ALERT_CLASSES%
        \"\"\"
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

ALERT_CLASSES = """\
| =classId= | =Name= | =Meaning= |
| 103 | SC | single channel |
| 104 | SD | spatial distribution |

| =severity= | =Meaning= |
| 1 | low |
| 2 | medium |
| 3 | high |"""

ALERT_EXAMPLE = """\
| {"alertId": "5b0e7c1e-2f4d-4f7a-9a51-0c6a3c1d8e21", "classId": 104, "severity": 2,
|  "dofM": 4120.0, "alertTime": "2026-11-22T08:00:00Z", "siteId": "prisma-210-1000",
|  "received_at": "2026-11-22T08:00:00.012Z", "acknowledged": false}"""


def shows(**pieces: str) -> Callable[[F], F]:
    """Fill the ``%NAME%`` markers of the decorated function's docstring with ``pieces``,
    each line indented as the marker is. Put it above ``@keyword``."""

    def decorate(function: F) -> F:
        doc = inspect.cleandoc(function.__doc__ or "")
        for name, piece in pieces.items():
            marker = f"%{name}%"
            if marker not in doc:
                raise ValueError(f"{function.__name__}: no {marker} in its docstring")
            doc = doc.replace(marker, piece)
        function.__doc__ = doc
        return function

    return decorate
