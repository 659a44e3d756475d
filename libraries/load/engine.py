"""The load engine: runs one Locust scenario through Locust's library API and writes the
statistics as JSON. Always a child process of its own (``python .../libraries/load/engine.py``):
Locust patches the process with gevent, which must never touch the Robot process. It runs
by path, not with ``-m``: ``-m`` would import the package ``libraries.load`` (and ssl) before
Locust patches; the package itself is imported from the installed distribution.

Reads its spec as JSON on stdin: ``scenario, users, spawn_rate, duration_s, target,
result_path, window_s, workers, master_port, max_requests, pace_s, test, owner`` (``test``: the
Robot test that runs the load, ``owner``: its process; the tasks the users create go into
the task ledger under both). Prints progress lines to
stderr every window; writes the result to ``result_path``. ``--worker HOST PORT`` runs a
Locust worker of a distributed run (the master starts its workers itself).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Locust first: importing it patches the process with gevent, which must happen before
# anything imports ssl (the package libraries.load does).
import gevent
import locust
from locust.env import Environment
from locust.runners import LocalRunner, MasterRunner
from locust.stats import StatsEntry

from libraries.focus_api.ledger import TaskLedger
from libraries.load import scenarios
from libraries.load.stats import percentile

WORKER_JOIN_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 30.0
# Users finish the task in hand (a configure -> metadata -> stop cycle) before they stop.
GRACEFUL_STOP_S = 20.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _figures(entry: StatsEntry, seconds: float) -> dict[str, Any]:
    histogram = dict(entry.response_times)
    return {
        "requests": entry.num_requests,
        "failures": entry.num_failures,
        "rps": round(entry.num_requests / seconds, 2) if seconds else 0.0,
        "p50": percentile(histogram, 0.50),
        "p95": percentile(histogram, 0.95),
        "p99": percentile(histogram, 0.99),
        "avg": round(entry.avg_response_time, 2),
        "max": float(entry.max_response_time or 0),
    }


def _histogram_delta(now: dict[int, int], before: dict[int, int]) -> dict[str, int]:
    return {
        str(ms): count - before.get(ms, 0) for ms, count in now.items() if count - before.get(ms, 0)
    }


STATUSES: dict[str, dict[str, int]] = {}


def _count_status(
    request_type: str,
    name: str,
    response: Any = None,
    exception: BaseException | None = None,
    **_kwargs: Any,
) -> None:
    """Status codes per endpoint (``"error"`` for no answer), in local runs."""
    status = getattr(response, "status_code", None)
    key = str(status) if status and not (exception and status == 0) else "error"
    counts = STATUSES.setdefault(f"{request_type} {name}", {})
    counts[key] = counts.get(key, 0) + 1


def _environment(spec: dict[str, Any]) -> Environment:
    scenarios.TARGET.clear()
    scenarios.TARGET.update(spec["target"])
    scenarios.TARGET["max_requests"] = spec.get("max_requests")
    if spec.get("owner"):
        scenarios.LEDGER["ledger"] = TaskLedger(owner=int(spec["owner"]))
        scenarios.LEDGER["test"] = str(spec.get("test") or "")
    user_class = scenarios.SCENARIOS[spec["scenario"]]
    if spec.get("pace_s"):
        user_class = scenarios.paced(user_class, float(spec["pace_s"]))
    env = Environment(user_classes=[user_class], events=locust.events, stop_timeout=GRACEFUL_STOP_S)
    env.events.request.add_listener(_count_status)
    return env


def _start_workers(spec: dict[str, Any], count: int) -> list[subprocess.Popen[str]]:
    workers = []
    for _ in range(count):
        worker = subprocess.Popen(
            [sys.executable, __file__, "--worker", "127.0.0.1", str(spec["master_port"])],
            stdin=subprocess.PIPE,
            text=True,
        )
        assert worker.stdin is not None  # stdin=PIPE
        worker.stdin.write(json.dumps(spec))
        worker.stdin.close()
        workers.append(worker)
    return workers


def run(spec: dict[str, Any]) -> dict[str, Any]:
    """Run the scenario for ``duration_s`` (or until ``max_requests``); the statistics."""
    env = _environment(spec)
    count = int(spec.get("workers") or 0)
    workers: list[subprocess.Popen[str]] = []
    runner: MasterRunner | LocalRunner
    if count:
        runner = env.create_master_runner("127.0.0.1", int(spec["master_port"]))
        workers = _start_workers(spec, count)
        deadline = time.monotonic() + WORKER_JOIN_TIMEOUT_S
        while runner.worker_count < count:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{runner.worker_count} of {count} Locust workers connected in "
                    f"{WORKER_JOIN_TIMEOUT_S:.0f} s"
                )
            gevent.sleep(0.1)
    else:
        runner = env.create_local_runner()
    window_s = float(spec.get("window_s") or 10.0)
    duration = float(spec["duration_s"])
    limit = spec.get("max_requests")
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    started = time.monotonic()
    runner.start(int(spec["users"]), spawn_rate=float(spec["spawn_rate"]))
    windows: list[dict[str, Any]] = []
    before: dict[int, int] = {}
    window_start = started
    try:
        while (elapsed := time.monotonic() - started) < duration:
            gevent.sleep(min(0.2, duration - elapsed))
            total = env.stats.total
            now = time.monotonic()
            done = limit is not None and total.num_requests >= limit
            if now - window_start >= window_s or done or now - started >= duration:
                histogram = dict(total.response_times)
                delta = _histogram_delta(histogram, before)
                windows.append(
                    {
                        "start_s": round(window_start - started, 2),
                        "length_s": round(now - window_start, 2),
                        "requests": sum(delta.values()),
                        "failures": total.num_failures - sum(w["failures"] for w in windows),
                        "p95": percentile(delta, 0.95),
                        "histogram": delta,
                    }
                )
                before, window_start = histogram, now
                log(
                    f"{spec['scenario']}: {now - started:5.0f} s, {runner.user_count} users, "
                    f"{total.num_requests} requests, {total.num_failures} failures, "
                    f"p95 {windows[-1]['p95']:.0f} ms in the last {windows[-1]['length_s']:.0f} s"
                )
            if done:
                break
    finally:
        scenarios.CLOSING["on"] = True  # from here on, wait for each deleted task's slot
        runner.stop()
        if count:
            runner.quit()
            for worker in workers:
                try:
                    worker.wait(timeout=STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    worker.kill()
    seconds = time.monotonic() - started
    leftover = scenarios.stop_leftover_tasks()
    return {
        "scenario": spec["scenario"],
        "users": int(spec["users"]),
        "spawn_rate": float(spec["spawn_rate"]),
        "duration_s": round(seconds, 2),
        "workers": count,
        "started_at": started_at,
        "endpoints": {
            f"{entry.method} {entry.name}": _figures(entry, seconds)
            for entry in sorted(env.stats.entries.values(), key=lambda e: (e.name, e.method))
        },
        "total": _figures(env.stats.total, seconds),
        "errors": [
            {
                "endpoint": f"{error.method} {error.name}",
                "error": str(error.error)[:300],
                "count": error.occurrences,
            }
            for error in env.stats.errors.values()
        ],
        "windows": windows,
        "statuses": STATUSES if not count else {},
        "leftover_tasks": leftover,
    }


def worker(host: str, port: int) -> None:
    spec = json.loads(sys.stdin.read())
    env = _environment(spec)
    if spec.get("max_requests") is not None:
        scenarios.TARGET["max_requests"] = -(-int(spec["max_requests"]) // int(spec["workers"]))
    runner = env.create_worker_runner(host, port)
    runner.greenlet.join(timeout=float(spec["duration_s"]) + 120)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--worker"]:
        worker(argv[1], int(argv[2]))
        return 0
    spec = json.loads(sys.stdin.read())
    result = run(spec)
    Path(spec["result_path"]).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
