"""Load: Robot Framework keywords over Locust, run in a child process of its own.

The plain parts have no Robot imports: ``runner.py`` starts the engine
(``engine.py``, the only module that imports Locust and so gevent) and ``stats.py``
checks criteria, compares baselines, keeps the history and draws the trend;
``ratios.py`` times each endpoint against a control request (the per-commit slowdown check).
"""

from __future__ import annotations

import base64
import os
import re
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests
from robot.api import SkipExecution, logger
from robot.api.deco import keyword, library
from robot.libraries.BuiltIn import BuiltIn

from libraries import run_environment
from libraries.common.paths import results_dir
from libraries.common.running_test import running_test
from libraries.common.sites import require_test_site
from libraries.load import ratios, sampler
from libraries.load import stats as load_stats
from libraries.load.runner import STANDARD_RUNS, LoadSpec, LoadTarget, run_load
from libraries.load.targets import load_target
from libraries.run_environment import RunEnvironment
from libraries.safety import disruptive, own_data

__all__ = ["Load"]

# The committed baselines travel with the package ``variables`` (package data).
BASELINES = Path(__file__).resolve().parents[2] / "variables" / "baselines"
_PERCENT = re.compile(r"^\s*(-?[0-9.]+)\s*%?\s*$")


def _fraction(value: str | float) -> float:
    """``20%``, ``20`` or ``0.2`` -> 0.2."""
    if isinstance(value, int | float):
        return float(value) if value < 1 else float(value) / 100
    match = _PERCENT.match(str(value))
    if not match:
        raise ValueError(f"tolerance must be a percentage like 20%, got {value!r}")
    number = float(match.group(1))
    return number / 100 if "%" in str(value) or number >= 1 else number


@library(scope="GLOBAL", auto_keywords=False)
class Load:
    """Load, performance and regression keywords over [https://locust.io|Locust].

    = Table of contents =

    %TOC%

    = How it runs =

    `Run Load` starts Locust through its library API (``locust.env.Environment`` and its
    runners) in a child process of its own: Locust patches its process with gevent,
    which must never touch the Robot process (pika, pymongo and the kubernetes client
    live there). The statistics come back as JSON. Every run is bounded by its
    ``duration`` (and ``max_requests``); a run that outlives it by 90 s is killed.
    Load goes to loopback addresses only unless ``LOAD_ALLOW_REMOTE=1`` is set.

    Every task a Locust user creates is written to the task ledger under the running
    test, and stopped by the users (or by the engine after them) before `Run Load`
    returns, once its slot is free again; a task the run could not stop fails `Run Load`
    and stays in the ledger, where the test teardown (`Stop All Tasks` of the FocusApi
    library) stops it. An engine killed at its timeout or by an interrupted test stops
    nothing: its tasks are stopped by that teardown too.

    = Scenarios =

    | =Scenario= | =Each Locust user...= |
    | health | ``GET /health`` as fast as it answers (no token) |
    | channels | ``GET /channels`` as fast as it answers |
    | tasks | configure -> metadata -> stop, again and again (users <= MaxWindows) |
    | waterfall | one Live task, polls ``GET /waterfall/{id}`` once it runs; stops it |
    | alerts | publishes valid alerts over pika (confirms), ``siteId`` = ``${SITE_ID}`` |

    = Statistics =

    A dictionary: ``scenario``, ``users``, ``duration_s``, ``endpoints`` (per
    ``METHOD path``: ``requests``, ``failures``, ``rps``, ``p50``, ``p95``, ``p99``,
    ``avg``, ``max``; times in ms), ``total``, ``errors`` and ``windows`` (per
    ``window``: requests, failures, p95).

    = Baselines and history =

    Baselines per environment live in ``variables/baselines/<env>.json``; ``make
    baseline`` writes them. Every `Run Load` appends to ``results/perf/history.jsonl``
    and embeds a trend PNG (p95 per endpoint, requests/s over the last 50 runs) in
    log.html.

    = Slowdowns on a loaded machine =

    `Measure Endpoints Against Control` times every endpoint against a control request
    (an unknown path, 404) sent right before each of its requests; `Endpoints Should Not
    Slow Down` compares each endpoint's ratio to the control with the baseline ratio and
    fails at 5x or more. A busy machine slows endpoint and control alike; a handler that
    got slower stands out. It runs in every regression; the finer +20 % p95 comparison
    (`Performance Should Not Regress`) needs a quiet machine and runs nightly.

    = Example =

    | ${stats} = | `Run Load` | health | users=10 | spawn_rate=10 | duration=10s |
    | `Load Statistics Should Meet` | ${stats} | p95 < 200 ms | failures == 0 |
    | `Performance Should Not Regress` | ${stats} | tolerance=20% |
    """

    @disruptive("load the system")
    @keyword
    def run_load(
        self,
        scenario: str,
        users: int = 10,
        spawn_rate: float | None = 10.0,
        duration: timedelta = timedelta(seconds=10),
        workers: int = 0,
        max_requests: int | None = None,
        window: timedelta = timedelta(seconds=10),
        sample: list[str] | None = None,
        pace: timedelta | None = None,
    ) -> dict[str, Any]:
        """Run ``scenario`` with ``users`` Locust users started at ``spawn_rate`` per second
        for ``duration``; returns the statistics (see `Statistics`).

        ``pace`` sets how often each user starts one round of its scenario (Locust's
        ``constant_pacing``): with ``pace=2 s`` five ``tasks`` users ask for 2.5 tasks a
        second, however fast or slow the answers come. Without it, each scenario's own
        wait applies (``tasks``: 0.05-0.15 s between rounds, as the standard runs and
        their baselines have it). ``spawn_rate=${None}`` with a pace spreads the users'
        arrivals evenly over one pace (users / pace a second), so that their rounds do
        not all start in the same instant.

        ``workers`` > 0 runs Locust's distributed mode on this machine (one master and
        that many worker processes). ``max_requests`` ends the run once that many
        requests were made (the alert flood). ``window`` is the length of the windows
        whose p95 `Latency Should Not Drift` compares. ``sample`` names workloads
        (``panda-panda-focus-server``) whose CPU and RSS are sampled every second during
        the run (psutil, on the twin): the figures go under ``processes`` in the
        statistics, for `Process Resources Should Stay Within`. Logs progress every
        window, a table of the figures and the trend PNG.

        | ${stats} = | `Run Load` | channels | users=20 | duration=30s |
        | ${stats} = | `Run Load` | alerts | users=10 | duration=2 min | max_requests=10000 |
        | ${stats} = | `Run Load` | tasks | users=5 | spawn_rate=${None} | pace=2.5 s |
        """
        environment = run_environment.current()
        builtin = BuiltIn()  # the running test's ${SITE_ID} and the output directory
        if spawn_rate is None:
            if pace is None:
                raise ValueError("spawn_rate=${None} spreads the users over one pace: give pace")
            spawn_rate = users / pace.total_seconds()
        spec = LoadSpec(
            scenario,
            users,
            spawn_rate,
            duration.total_seconds(),
            window.total_seconds(),
            workers,
            max_requests,
            pace.total_seconds() if pace is not None else None,
        )
        site_id = str(builtin.get_variable_value("${SITE_ID}"))
        if scenario == "alerts":
            require_test_site(site_id, "publish alerts under load")
        target = self._target(environment, scenario, site_id)
        logger.info(f"Load: {spec} against {target.base_url}")
        watcher = self._sampler(environment, sample)
        try:
            result = run_load(
                spec, target, progress=lambda line: logger.info(line), test=running_test()
            )
        finally:
            processes = watcher.stop() if watcher else {}
        result["processes"] = processes
        logger.info(load_stats.html_table(result), html=True)
        if result.get("leftover_tasks"):
            raise AssertionError(
                f"the load left {len(result['leftover_tasks'])} task(s) it could not stop or "
                f"whose slot is still taken: {', '.join(result['leftover_tasks'][:5])}; "
                "the test teardown (Stop All Tasks) stops them"
            )
        for name, figures in processes.items():
            logger.info(f"{name}: {figures}")
        for error in result["errors"][:10]:
            logger.info(f"{error['count']} x {error['endpoint']}: {error['error']}")
        output_dir = builtin.get_variable_value("${OUTPUT DIR}")
        self._record(environment.name, output_dir, result)
        return result

    @disruptive("load the system")
    @keyword
    def run_standard_load(self, scenario: str) -> dict[str, Any]:
        """The standard run of ``scenario`` (the one ``make baseline`` records), for
        `Performance Should Not Regress`: health and channels with 10 users for 15 s,
        tasks with 5 users for 15 s.

        | ${stats} = | `Run Standard Load` | health |
        """
        if scenario not in STANDARD_RUNS:
            raise ValueError(
                f"no standard run of {scenario!r}: use one of {', '.join(STANDARD_RUNS)}"
            )
        run = STANDARD_RUNS[scenario]
        return self.run_load(
            scenario,
            run["users"],
            run["spawn_rate"],
            timedelta(seconds=run["duration_s"]),
        )

    def _sampler(
        self, environment: RunEnvironment, workloads: list[str] | None
    ) -> sampler.ProcessSampler | None:
        if not workloads:
            return None
        twin_dir = environment.text("TWIN_DIR")
        if not twin_dir:
            raise SkipExecution(
                "CPU and RSS are sampled on the twin only (psutil); this environment has no "
                "local pods: use its Kubernetes metrics API instead"
            )
        return sampler.ProcessSampler(sampler.twin_pids(Path(twin_dir), list(workloads))).start()

    @keyword
    def process_resources_should_stay_within(
        self,
        stats: dict[str, Any],
        rss_growth: str | None = None,
        cpu_max: float | None = None,
        rss_max_mb: float | None = None,
    ) -> dict[str, Any]:
        """The sampled processes of ``stats`` (`Run Load` with ``sample=``) stayed within
        the bounds: RSS growth from start to end of the run (``10%``), peak CPU in % of
        one core, peak RSS in MB. Returns the figures.

        | `Process Resources Should Stay Within` | ${stats} | rss_growth=10% | rss_max_mb=1024 |
        """
        processes = stats.get("processes") or {}
        if not processes:
            raise AssertionError("no process was sampled: call Run Load with sample=<workload>")
        growth = _fraction(rss_growth) if rss_growth is not None else None
        found = sampler.violations(processes, growth, cpu_max, rss_max_mb)
        if found:
            raise AssertionError("Process resources out of bounds:\n" + "\n".join(found))
        return processes

    @staticmethod
    def _target(environment: RunEnvironment, scenario: str, site_id: str) -> LoadTarget:
        return load_target(environment.variables, site_id if scenario == "alerts" else None)

    @staticmethod
    def _record(env: str, output_dir: str | None, result: dict[str, Any]) -> None:
        history = Path(
            os.environ.get("FOCUS_PERF_HISTORY") or results_dir() / "perf" / "history.jsonl"
        )
        records = load_stats.append_history(history, result, env)
        png = load_stats.draw_trend(
            records,
            Path(output_dir or history.parent) / "perf" / f"trend-{env}-{result['scenario']}.png",
            f"{result['scenario']} on {env}: last {len(records)} runs",
        )
        if png:
            encoded = base64.b64encode(png.read_bytes()).decode()
            logger.info(f'<img src="data:image/png;base64,{encoded}" alt="trend">', html=True)

    @keyword
    def load_statistics_should_meet(
        self, stats: dict[str, Any], *criteria: str, endpoint: str | None = None
    ) -> None:
        """Every endpoint of ``stats`` (or only ``endpoint``, e.g. ``GET /health``) meets
        every criterion: ``<metric> <op> <number> [ms|s|%]`` with metric one of
        ``requests failures failure_ratio rps p50 p95 p99 avg max``.

        | `Load Statistics Should Meet` | ${stats} | p95 < 500 ms | failures == 0 |
        | `Load Statistics Should Meet` | ${stats} | p95 < 200 ms | endpoint=GET /health |
        """
        found = load_stats.violations(stats, criteria, endpoint)
        if found:
            raise AssertionError(
                f"{stats.get('scenario')} load missed {len(found)} criteria:\n" + "\n".join(found)
            )
        logger.info(f"{stats.get('scenario')}: every endpoint meets {', '.join(criteria)}")

    @keyword
    def get_answer_count(self, stats: dict[str, Any], endpoint: str) -> int:
        """How many requests to ``endpoint`` got an answer, whatever its status (the sum of
        ``stats[statuses][endpoint]``); requests that got none are not counted.

        | ${answered} = | `Get Answer Count` | ${stats} | POST /configure |
        """
        statuses = stats.get("statuses", {}).get(endpoint)
        if statuses is None:
            known = sorted(stats.get("statuses", {}))
            raise AssertionError(f"No status counts for {endpoint!r} in the statistics: {known}")
        return sum(int(count) for count in statuses.values())

    @keyword
    def performance_should_not_regress(
        self,
        stats: dict[str, Any],
        tolerance: str = "20%",
        slack: timedelta = timedelta(milliseconds=100),
    ) -> list[str]:
        """No endpoint's p95 exceeds this environment's baseline by more than ``tolerance``
        (and by at least ``slack``, so a 3 ms baseline does not fail on noise). Returns
        the comparisons. Skips when the environment has no baseline for the scenario:
        record one with ``make baseline``.

        | `Performance Should Not Regress` | ${stats} | tolerance=20% |
        """
        env = run_environment.current().name
        baseline = load_stats.load_baseline(BASELINES, env).get(stats["scenario"])
        if not baseline:
            raise SkipExecution(
                f"no baseline of scenario {stats['scenario']!r} for environment {env!r} in "
                f"{load_stats.baseline_path(BASELINES, env)}: "
                f"record one with 'make baseline ENV={env}'"
            )
        found, compared = load_stats.regressions(
            stats, baseline, _fraction(tolerance), slack.total_seconds() * 1000
        )
        for line in compared:
            logger.info(line)
        if not compared:
            raise AssertionError(
                f"no endpoint of this {stats['scenario']} run is in the baseline of {env!r}: "
                f"run {', '.join(stats['endpoints'])}; baseline {', '.join(baseline)}"
            )
        if found:
            raise AssertionError(
                f"{stats['scenario']} on {env}: p95 regressed beyond the baseline:\n"
                + "\n".join(found)
            )
        return compared

    @own_data("configure tasks of its own and stop them, one at a time")
    @keyword
    def measure_endpoints_against_control(self, rounds: int | None = None) -> dict[str, Any]:
        """Each endpoint of the contract (health, token, channels, configure, stop, metadata
        under both paths, ack, waterfall, dynamic ROI, alerts, recordings) timed against a
        control request in the same run: ``GET`` an unknown path (404), sent right before
        each of its requests. Returns ``{"control", "rounds", "endpoints": {name:
        {"median_ms", "control_median_ms", "ratio", "samples"}}}`` and logs the table.

        Light: one request at a time, 15 rounds (7 for configure and stop, on tasks of its
        own that it stops); no Locust. ``rounds`` sets every endpoint's count.

        | ${measured} = | `Measure Endpoints Against Control` |
        | `Endpoints Should Not Slow Down` | ${measured} |
        """
        load_target = self._target(run_environment.current(), "ratios", "")
        target = ratios.Target(
            load_target.base_url, load_target.user, load_target.password, load_target.ca_bundle
        )
        started = time.monotonic()
        try:
            measured = ratios.measure_target(
                target, rounds, progress=lambda text: logger.info(f"Measuring: {text}")
            )
        except (ratios.MeasurementError, requests.RequestException) as error:
            raise AssertionError(f"The endpoints could not be measured: {error}") from None
        rows = "".join(
            f"<tr><td>{name}</td><td>{f['median_ms']:.1f}</td><td>{f['control_median_ms']:.1f}"
            f"</td><td>{f['ratio']:.2f}</td><td>{f['samples']}</td></tr>"
            for name, f in measured["endpoints"].items()
        )
        logger.info(
            f"<table><tr><th>endpoint</th><th>median ms</th><th>control median ms</th>"
            f"<th>ratio</th><th>samples</th></tr>{rows}</table>"
            f"control: {measured['control']}; {time.monotonic() - started:.1f} s",
            html=True,
        )
        return measured

    @own_data("measure again (tasks of its own) when an endpoint is over the limit")
    @keyword
    def endpoints_should_not_slow_down(
        self, measured: dict[str, Any], limit: float = ratios.LIMIT
    ) -> list[Any]:
        """No endpoint of ``measured`` (`Measure Endpoints Against Control`) is ``limit``
        times (default 5) its baseline ratio to the control or more: a slowdown of its own,
        which a loaded machine does not cause. The failure lists each such endpoint with
        its median, the control's, its ratio and the baseline ratio. An endpoint over the
        limit is measured once more, and fails only when it is over it again (a busy machine
        slows an endpoint that reaps a Job more than the control; a slowdown of its own is
        there every time); log.html warns of each one cleared that way. Skips where the
        environment has no baseline ratios (``make baseline`` records them); fails when an
        endpoint measured has none (record the baseline again).

        | `Endpoints Should Not Slow Down` | ${measured} | limit=5 |
        """
        env = run_environment.current().name
        baseline = load_stats.load_ratio_baseline(BASELINES, env)
        if not baseline:
            raise SkipExecution(
                f"no baseline ratios for environment {env!r} in "
                f"{load_stats.baseline_path(BASELINES, env)}: record them with "
                f"'make baseline ENV={env}'"
            )
        missing = sorted(set(measured["endpoints"]) - set(baseline))
        if missing:
            raise AssertionError(
                f"no baseline ratio for {', '.join(missing)}: record the baseline again "
                f"('make baseline ENV={env}')"
            )
        verdict = ratios.judge(
            measured, baseline, lambda: self.measure_endpoints_against_control(), limit
        )
        for line in verdict.compared:
            logger.info(line)
        if verdict.cleared:
            logger.warn(
                f"{len(verdict.cleared)} endpoint(s) over {limit:g}x at the first look were "
                "within the limit when measured again (a busy moment of the machine, not a "
                "slowdown of their own):\n" + "\n".join(verdict.cleared)
            )
        if verdict.confirmed:
            raise AssertionError(
                f"{len(verdict.confirmed)} of {len(verdict.compared)} endpoints are {limit:g}x "
                f"their baseline ratio to the control ({measured['control']}) or more, "
                "measured twice:\n" + "\n".join(verdict.confirmed)
            )
        return verdict.compared

    @keyword
    def latency_should_not_drift(
        self, stats: dict[str, Any], tolerance: str = "20%", span: timedelta = timedelta(minutes=1)
    ) -> tuple[float, float]:
        """The p95 of the last ``span`` of the run is within ``tolerance`` of the p95 of
        its first ``span`` (sustained load); returns both.

        | `Latency Should Not Drift` | ${stats} | tolerance=20% | span=1 min |
        """
        seconds = span.total_seconds()
        first = load_stats.window_p95(stats, True, seconds)
        last = load_stats.window_p95(stats, False, seconds)
        limit = first * (1 + _fraction(tolerance))
        logger.info(f"p95 first {seconds:g} s: {first:.0f} ms; last {seconds:g} s: {last:.0f} ms")
        if last > limit:
            raise AssertionError(
                f"p95 drifted from {first:.0f} ms (first {seconds:g} s) to {last:.0f} ms "
                f"(last {seconds:g} s): above {limit:.0f} ms (+{tolerance})"
            )
        return first, last
