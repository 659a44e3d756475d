"""Outages and recovery of a workload, measured from the replacement (no Robot imports).

An outage starts when a pod of a workload is deleted or the workload is scaled: the
pods it had then are the *old* ones. The workload has recovered when

1. a *new* pod (a uid that was not among the old ones) is Ready,
2. no old pod is left (a Terminating pod still answers until its process ends: the
   service must be heard from the new pod, never from the old one), and
3. the service answers (a probe the caller gives, run only once 1 and 2 hold).

The recovery time runs from the disruption (the delete or scale request) to the first
answer seen. A failure says how far recovery got, with a timeline of what was seen.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

POLL_S = 0.2
ANSWER_POLL_S = 0.5


def _is_ready(pod: Any) -> bool:
    conditions = (pod.status and pod.status.conditions) or []
    return any(c.type == "Ready" and c.status == "True" for c in conditions)


def _restarts(pod: Any) -> int:
    statuses = (pod.status and pod.status.container_statuses) or []
    return sum(s.restart_count for s in statuses)


def describe_pod(pod: Any) -> str:
    """``name (Running, ready=False, restarts=0, Terminating)``."""
    terminating = ", Terminating" if pod.metadata.deletion_timestamp else ""
    phase = (pod.status and pod.status.phase) or "Unknown"
    return (
        f"{pod.metadata.name} ({phase}, ready={_is_ready(pod)}, "
        f"restarts={_restarts(pod)}{terminating})"
    )


@dataclass(frozen=True)
class Disruption:
    """A pod delete or a scale of ``workload``: what it had then, and when."""

    namespace: str
    workload: str
    action: str  # "Delete Pod panda/mongodb-7c9-x2" / "Scale Deployment mongodb to 0"
    old_uids: frozenset[str]
    old_names: tuple[str, ...]
    started: float = field(default_factory=time.monotonic)  # time.monotonic()
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @classmethod
    def of(cls, namespace: str, workload: str, action: str, pods: Iterable[Any]) -> Disruption:
        pods = list(pods)
        return cls(
            namespace,
            workload,
            action,
            frozenset(str(pod.metadata.uid) for pod in pods),
            tuple(pod.metadata.name for pod in pods),
        )

    def elapsed(self) -> float:
        return time.monotonic() - self.started


@dataclass(frozen=True)
class Recovery:
    """How a workload recovered: its new pod and the times from the disruption."""

    workload: str
    new_pod: str
    ready_after: float  # seconds from the disruption until the new pod was seen Ready
    old_gone_after: float  # ... until no old pod was left
    seconds: float  # ... until the service answered from the new pod


class RecoveryFailed(AssertionError):
    """The workload did not recover in time; the message says how far it got."""


@dataclass
class _Timeline:
    """What changed while waiting, with the seconds since the disruption."""

    disruption: Disruption
    entries: list[str] = field(default_factory=list)
    _last: str = ""

    def note(self, state: str) -> None:
        if state != self._last:
            self._last = state
            self.entries.append(f"{self.disruption.elapsed():6.1f} s  {state}")


def state_of(pods: list[Any], disruption: Disruption) -> tuple[list[Any], list[Any]]:
    """(old pods still there, new pods not Terminating)."""
    old = [pod for pod in pods if str(pod.metadata.uid) in disruption.old_uids]
    new = [
        pod
        for pod in pods
        if str(pod.metadata.uid) not in disruption.old_uids and not pod.metadata.deletion_timestamp
    ]
    return old, new


def replacement_state(pods: list[Any], disruption: Disruption, label: str) -> str:
    """One line: how far the replacement of the disrupted pods got (``label``: what the
    workload is called, e.g. ``focus-server``)."""
    old, new = state_of(pods, disruption)
    ready = [pod for pod in new if _is_ready(pod)]
    parts = []
    if old:
        parts.append(
            f"{label} pod {', '.join(describe_pod(pod) for pod in old)} "
            f"{'is' if len(old) == 1 else 'are'} still there"
        )
    if not new:
        parts.append(f"no new {label} pod yet")
    elif not ready:
        parts.append(f"new pod {', '.join(describe_pod(pod) for pod in new)} not ready yet")
    else:
        parts.append(f"new pod {describe_pod(ready[0])} is Ready")
    return "; ".join(parts)


def wait_for_recovery(
    list_pods: Callable[[], list[Any]],
    disruption: Disruption,
    timeout: float,
    answers: Callable[[str], str | None],
    label: str | None = None,
    on_progress: Callable[[str], None] = lambda line: None,
) -> Recovery:
    """Wait until the workload recovered (see the module doc) or ``timeout`` seconds after
    the disruption passed; ``answers(new_pod_name)`` is None when the service answers,
    else why not. ``list_pods()`` lists the workload's pods, Terminating ones included.
    ``on_progress`` gets each change of state (for a log)."""
    label = label or disruption.workload
    timeline = _Timeline(disruption)
    ready_after = old_gone_after = None
    next_answer = 0.0
    while True:
        pods = list_pods()
        old, new = state_of(pods, disruption)
        ready = [pod for pod in new if _is_ready(pod)]
        if ready and ready_after is None:
            ready_after = disruption.elapsed()
        if not old and old_gone_after is None:
            old_gone_after = disruption.elapsed()
        state = replacement_state(pods, disruption, label)
        if ready and not old and time.monotonic() >= next_answer:
            next_answer = time.monotonic() + ANSWER_POLL_S
            problem = answers(ready[0].metadata.name)
            if problem is None:
                seconds = disruption.elapsed()
                timeline.note(f"{state}; it answers")
                on_progress(timeline.entries[-1])
                return Recovery(
                    disruption.workload,
                    ready[0].metadata.name,
                    ready_after or seconds,
                    old_gone_after or seconds,
                    seconds,
                )
            state = f"{state}, but the service does not answer from it yet: {problem}"
        before = len(timeline.entries)
        timeline.note(state)
        if len(timeline.entries) > before:
            on_progress(timeline.entries[-1])
        if disruption.elapsed() >= timeout:
            raise RecoveryFailed(_failure(disruption, label, timeout, state, timeline))
        time.sleep(POLL_S)


def _failure(
    disruption: Disruption, label: str, timeout: float, state: str, timeline: _Timeline
) -> str:
    lines = "\n".join(f"  {entry}" for entry in timeline.entries[-12:])
    return (
        f"{label} did not recover within {timeout:g} s of {disruption.action} "
        f"(workload {disruption.namespace}/{disruption.workload}): {state}.\n"
        f"Seen since the disruption:\n{lines}"
    )
