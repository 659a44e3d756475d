"""Shared state and helpers of the Kubernetes keyword components."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from assertionengine import AssertionOperator, verify_assertion

from libraries.kubernetes.client import KubeClient, KubeError


@dataclass
class KubeState:
    """Connections by alias and the current one."""

    connections: dict[str, KubeClient] = field(default_factory=dict)
    current: str | None = None


class LibraryComponent:
    """Base of a keyword component: the current connection and polled assertions."""

    def __init__(self, state: KubeState) -> None:
        self.state = state

    @property
    def kube(self) -> KubeClient:
        if self.state.current is None:
            raise KubeError(
                "No Kubernetes connection: call 'Connect To Kubernetes' (or the resource's "
                "'Connect To Cluster') first"
            )
        return self.state.connections[self.state.current]

    @staticmethod
    def poll_assertion(
        read: Callable[[], Any],
        operator: AssertionOperator,
        expected: Any,
        what: str,
        message: str | None,
        timeout: timedelta,
    ) -> Any:
        """Read and assert until it holds or ``timeout`` passes; the failure says what was seen."""
        started, value, polls = time.monotonic(), None, 0
        while True:
            value, polls = read(), polls + 1
            try:
                return verify_assertion(value, operator, expected, what, message)
            except AssertionError as error:
                waited = time.monotonic() - started
                if waited >= timeout.total_seconds():
                    raise KubeError(
                        f"Waited {waited:.1f} s (timeout {timeout.total_seconds():g} s) for "
                        f"{what} {operator.name} '{expected}'; last seen '{value}' after "
                        f"{polls} polls: {error}"
                    ) from None
            time.sleep(0.2)


def task_id_of(task: dict | str) -> str:
    """A task is the configure response (dict with ``task_id``) or its id."""
    if isinstance(task, dict):
        if "task_id" not in task:
            raise ValueError(f"not a task: no 'task_id' in {sorted(task)}")
        return str(task["task_id"])
    return str(task)
