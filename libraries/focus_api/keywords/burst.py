"""A burst of configures sent at once from a thread pool (PZ-13986)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from libraries.focus_api.client import FocusApiError, FocusClient
from libraries.focus_api.keywords.base import LibraryComponent, body_of
from libraries.focus_api.models import build_payload
from libraries.safety import destructive


class BurstKeywords(LibraryComponent):
    """Many configures at once, and what each of them got."""

    @destructive("load the Focus Server with concurrent configures")
    @keyword
    def configure_tasks_concurrently(
        self,
        count: int,
        payload: dict[str, Any] | None = None,
        workers: int | None = None,
        timeout: timedelta = timedelta(seconds=60),
    ) -> dict[str, Any]:
        """Send ``count`` ``POST /configure`` at once from a thread pool (PZ-13986).

        Each request waits up to ``timeout`` for its answer (no answer = a hang).
        Returns ``{"statuses": {status: n}, "errors": [...], "task_ids": [...],
        "elapsed_s": s, "latency_s": {"p50", "p95", "max"}}``; ``errors`` lists the
        requests without an answer (timeouts, connection errors). Accepted tasks are
        registered for `Stop All Tasks`.

        | ${burst} = | `Configure Tasks Concurrently` | 200 |
        | Should Be Empty | ${burst}[errors] |
        """
        client, body = self.client, payload or build_payload()
        client.tokens.get()  # one token for the whole burst
        seconds = timeout.total_seconds()
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=workers or count) as pool:
            outcomes = list(pool.map(lambda _: _try_configure(client, body, seconds), range(count)))
        summary: dict[str, Any] = {"statuses": {}, "errors": [], "task_ids": []}
        for outcome in outcomes:
            if outcome.error:
                summary["errors"].append(outcome.error)
                continue
            summary["statuses"][outcome.status] = summary["statuses"].get(outcome.status, 0) + 1
            if outcome.task_id:
                self.register_task(outcome.task_id)
                summary["task_ids"].append(outcome.task_id)
        summary["elapsed_s"] = round(time.monotonic() - started, 3)
        summary["latency_s"] = _percentiles([outcome.elapsed_s for outcome in outcomes])
        logger.info(
            f"{count} concurrent configures: {summary['statuses']}, "
            f"{len(summary['errors'])} without answer, {summary['elapsed_s']} s, "
            f"latency {summary['latency_s']}"
        )
        return summary


@dataclass(frozen=True)
class _Outcome:
    status: int
    task_id: str | None
    error: str | None
    elapsed_s: float


def _try_configure(client: FocusClient, payload: dict[str, Any], timeout: float) -> _Outcome:
    started = time.monotonic()
    try:
        response = client.configure(payload, timeout=timeout)
    except FocusApiError as error:
        return _Outcome(0, None, str(error), time.monotonic() - started)
    body = body_of(response)
    accepted = response.status_code == 200 and isinstance(body, dict)
    task_id = str(body["task_id"]) if accepted and "task_id" in body else None
    return _Outcome(response.status_code, task_id, None, time.monotonic() - started)


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values) or [0.0]

    def at(share: float) -> float:
        return round(ordered[min(int(len(ordered) * share), len(ordered) - 1)], 3)

    return {"p50": at(0.5), "p95": at(0.95), "max": at(1.0)}
