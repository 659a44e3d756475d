"""What keywords of several libraries take alike: a ``Secret`` or text, a task or its id.

Imports only Robot Framework's ``Secret`` type, so plain clients may use it too.
"""

from __future__ import annotations

import json
from typing import Any

from robot.api.types import Secret

_SHOWN = 200  # characters of a wrong task argument shown in the error


def plain(value: object) -> str:
    """The text of a Robot ``Secret``, or of any other value (``None`` is the empty text)."""
    if isinstance(value, Secret):
        return value.value
    return "" if value is None else str(value)


def task_id_of(task: dict[str, Any] | str) -> str:
    """A task is the configure response (a dict with ``task_id``) or its id."""
    if isinstance(task, dict):
        if "task_id" not in task:
            text = json.dumps(task, default=str)
            if len(text) > _SHOWN:
                text = f"{text[:_SHOWN]}... ({len(text)} characters)"
            raise ValueError(f"not a task: no 'task_id' in {text}")
        return str(task["task_id"])
    return str(task)
