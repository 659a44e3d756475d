"""A slowdown check that a loaded machine does not fool: each endpoint's median response time
against a control request measured in the same run, compared with the baseline ratio.

A busy machine (a CI runner's shared cores, the other suites of a pabot run, a CPU hog)
slows every request of the server alike, the control included, so the *ratio* of an
endpoint's median to the control's median barely moves; an endpoint that itself got slower
(200 ms more for one handler) moves it by an order of magnitude. The control is a request
the server answers without any work of its own: ``GET`` an unknown path (404), through the
same TLS connection, middleware and router as every endpoint. Each round sends a control
request right before each endpoint's request, so both see the same moment of the machine.

No Robot imports: the ``Load`` library's keywords and ``make baseline`` drive it.
"""

from __future__ import annotations

import functools
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

CONTROL = "GET /no-such-endpoint"
CONTROL_PATH = "/no-such-endpoint"
DEFAULT_ROUNDS = 15
TASK_ROUNDS = 7  # configure and stop start and reap a Job each time: fewer rounds
WARMUP_ROUNDS = 1
LIMIT = 5.0


class MeasurementError(RuntimeError):
    """The run could not be measured (an endpoint answered an error): one line why."""


@dataclass
class Target:
    base_url: str
    user: str
    password: str
    ca_bundle: str | None = None
    timeout: float = 30.0


@dataclass
class Endpoint:
    """One endpoint of the contract and how to call it once (``call(session) -> response``)."""

    name: str
    call: Callable[[requests.Session], requests.Response]
    expect: tuple[int, ...] = (200,)
    rounds: int = DEFAULT_ROUNDS


class Probe:
    """A session on the Focus Server with its own token, and the tasks it created."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.base = target.base_url.rstrip("/")
        self.session = requests.Session()
        self.session.trust_env = False  # REQUESTS_CA_BUNDLE would beat verify
        self.session.verify = target.ca_bundle or True
        self.created: list[str] = []
        token = self.post("/auth/token", {"username": target.user, "password": target.password})
        if token.status_code != 200:
            raise MeasurementError(f"POST /auth/token answered {token.status_code}: no token")
        self.session.headers["Authorization"] = f"Bearer {token.json()['access_token']}"

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.session.get(self.base + path, params=params, timeout=self.target.timeout)

    def post(self, path: str, body: dict[str, Any]) -> requests.Response:
        return self.session.post(self.base + path, json=body, timeout=self.target.timeout)

    def delete(self, path: str) -> requests.Response:
        return self.session.delete(self.base + path, timeout=self.target.timeout)

    def configure(self) -> requests.Response:
        answer = self.post("/configure", configure_body())
        if answer.status_code == 200:
            self.created.append(answer.json()["task_id"])
        return answer

    def stop(self, task_id: str) -> requests.Response:
        answer = self.delete(f"/task/{task_id}")
        if answer.status_code in (200, 404) and task_id in self.created:
            self.created.remove(task_id)
        return answer

    def close(self) -> None:
        """Stop every task this probe created and left (idempotent), then close."""
        for task_id in list(self.created):
            try:
                self.stop(task_id)
            except requests.RequestException:
                pass
        self.session.close()


def configure_body() -> dict[str, Any]:
    return {
        "timeStatus": "Live",
        "viewType": "MultiChannel",
        "nfft": 1024,
        "channels": {"min": 11, "max": 109},
        "frequencyRange": {"min": 0, "max": 500},
    }


def contract_endpoints(probe: Probe, task_id: str) -> list[Endpoint]:
    """Every endpoint of contract section 2 the suite may call repeatedly without changing
    what others see: reads, a token, and the task cycle on tasks of its own."""
    now = datetime.now(UTC)
    start = (now - timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (now - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    credentials = {"username": probe.target.user, "password": probe.target.password}
    pending: list[str] = []
    roi = {"flip": False}

    def configure(_: requests.Session) -> requests.Response:
        answer = probe.configure()
        if answer.status_code == 200:
            pending.append(answer.json()["task_id"])
        return answer

    def stop(_: requests.Session) -> requests.Response:
        if not pending:
            raise MeasurementError("DELETE /task/{task_id} has no task: POST /configure failed")
        return probe.stop(pending.pop())

    def config_task(_: requests.Session) -> requests.Response:
        roi["flip"] = not roi["flip"]
        low = 12 if roi["flip"] else 11
        return probe.post(f"/config_task/{task_id}", {"channels": {"min": low, "max": 109}})

    return [
        Endpoint("GET /health", lambda _: probe.get("/health")),
        Endpoint("POST /auth/token", lambda _: probe.post("/auth/token", credentials)),
        Endpoint("GET /channels", lambda _: probe.get("/channels")),
        Endpoint("POST /configure", configure, rounds=TASK_ROUNDS),
        Endpoint("DELETE /task/{task_id}", stop, rounds=TASK_ROUNDS),
        Endpoint("GET /metadata/{task_id}", lambda _: probe.get(f"/metadata/{task_id}")),
        Endpoint("GET /task/{task_id}/metadata", lambda _: probe.get(f"/task/{task_id}/metadata")),
        Endpoint("GET /ack/{task_id}", lambda _: probe.get(f"/ack/{task_id}")),
        Endpoint("GET /waterfall/{task_id}", lambda _: probe.get(f"/waterfall/{task_id}", rows=10)),
        Endpoint("POST /config_task/{task_id}", config_task),
        Endpoint("GET /alerts", lambda _: probe.get("/alerts")),
        Endpoint("GET /recordings", lambda _: probe.get("/recordings", start=start, end=end)),
    ]


def _timed(call: Callable[[], requests.Response], clock: Callable[[], float]) -> tuple[float, int]:
    started = clock()
    response = call()
    return (clock() - started) * 1000, response.status_code


def measure(
    probe: Probe,
    endpoints: list[Endpoint],
    rounds: int | None = None,
    clock: Callable[[], float] = time.perf_counter,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Median of each endpoint and of the control requests sent right before it.

    Each round sends, for every endpoint in turn, one control request then one request of
    the endpoint; the first round warms up and is not counted. ``rounds`` overrides each
    endpoint's own count (task endpoints take fewer). Returns ``{"control", "rounds",
    "endpoints": {name: {"median_ms", "control_median_ms", "ratio", "samples"}}}``.
    """
    samples: dict[str, list[float]] = {endpoint.name: [] for endpoint in endpoints}
    controls: dict[str, list[float]] = {endpoint.name: [] for endpoint in endpoints}
    most = max((rounds or endpoint.rounds) for endpoint in endpoints)
    for number in range(most + WARMUP_ROUNDS):
        for endpoint in endpoints:
            if number >= (rounds or endpoint.rounds) + WARMUP_ROUNDS:
                continue
            control_ms, control_status = _timed(lambda: probe.get(CONTROL_PATH), clock)
            if control_status != 404:
                raise MeasurementError(f"the control {CONTROL} answered {control_status}, not 404")
            elapsed_ms, status = _timed(functools.partial(endpoint.call, probe.session), clock)
            if status not in endpoint.expect:
                raise MeasurementError(
                    f"{endpoint.name} answered {status} while measured (expected "
                    f"{'/'.join(map(str, endpoint.expect))}): the figures would not be its own"
                )
            if number >= WARMUP_ROUNDS:
                samples[endpoint.name].append(elapsed_ms)
                controls[endpoint.name].append(control_ms)
        if progress is not None and number >= WARMUP_ROUNDS:
            progress(f"round {number} of {most}")
    figures = {}
    for endpoint in endpoints:
        median = statistics.median(samples[endpoint.name])
        control = statistics.median(controls[endpoint.name])
        figures[endpoint.name] = {
            "median_ms": round(median, 2),
            "control_median_ms": round(control, 2),
            "ratio": round(median / max(control, 0.01), 2),
            "samples": len(samples[endpoint.name]),
        }
    return {"control": CONTROL, "rounds": most, "endpoints": figures}


def measure_target(
    target: Target,
    rounds: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Measure every contract endpoint of ``target`` on tasks of its own, stopped at the end."""
    probe = Probe(target)
    try:
        running = probe.configure()
        if running.status_code != 200:
            raise MeasurementError(f"POST /configure answered {running.status_code}: no task")
        task_id = running.json()["task_id"]
        _wait_running(probe, task_id, timeout=60)
        return measure(probe, contract_endpoints(probe, task_id), rounds, progress=progress)
    finally:
        probe.close()


def _wait_running(probe: Probe, task_id: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    status = "unknown"
    while time.monotonic() < deadline:
        answer = probe.get(f"/ack/{task_id}")
        status = answer.json().get("status", "unknown") if answer.status_code == 200 else status
        if status == "running":
            return
        time.sleep(0.2)
    raise MeasurementError(f"task {task_id} was still {status} after {timeout:g} s")


def slowdowns(
    measured: dict[str, Any], baseline: dict[str, float], limit: float = LIMIT
) -> tuple[list[str], list[str]]:
    """``(failures, compared)``: each endpoint's ratio to the control against its baseline
    ratio; a failure when it is ``limit`` times the baseline's or more. Every line gives
    the figures. Endpoints without a baseline ratio are not compared (and not hidden:
    the caller reports them)."""
    failures, compared = [], []
    for name, figures in measured["endpoints"].items():
        base = baseline.get(name)
        if not base:
            continue
        factor = figures["ratio"] / base
        line = (
            f"{name}: median {figures['median_ms']:.1f} ms against the control's "
            f"{figures['control_median_ms']:.1f} ms (ratio {figures['ratio']:.2f}); "
            f"baseline ratio {base:.2f}: {factor:.1f}x the baseline (limit {limit:g}x)"
        )
        compared.append(line)
        if factor >= limit:
            failures.append(line)
    return failures, compared


def _name(line: str) -> str:
    return line.split(": median ", 1)[0]


@dataclass
class Verdict:
    """What :func:`judge` found: ``confirmed`` slowdowns (over the limit twice), ``cleared``
    ones (over it at the first look only), and every comparison of the first look."""

    confirmed: list[str]
    cleared: list[str]
    compared: list[str]


def judge(
    measured: dict[str, Any],
    baseline: dict[str, float],
    measure_again: Callable[[], dict[str, Any]],
    limit: float = LIMIT,
) -> Verdict:
    """The slowdowns of ``measured`` that a second measurement confirms.

    An endpoint whose work spans several processes (configure and stop start and reap a
    Job) is slowed by a busy machine more than the control is: next to a CPU hog and the
    load suites, DELETE /task/{task_id} reached 5.6x its baseline once in 10 runs with an
    unchanged twin. A slowdown of the endpoint's own (200 ms more: 100x and up) is there
    at every look. So an endpoint over the limit is measured once more (``measure_again``,
    called only then), and fails only when it is over the limit again.
    """
    first, compared = slowdowns(measured, baseline, limit)
    if not first:
        return Verdict([], [], compared)
    second = {_name(line): line for line in slowdowns(measure_again(), baseline, limit)[0]}
    confirmed, cleared = [], []
    for line in first:
        again = second.get(_name(line))
        if again is None:
            cleared.append(line)
        else:
            confirmed.append(f"{line}; measured again: {again.split(': ', 1)[1]}")
    return Verdict(confirmed, cleared, compared)
