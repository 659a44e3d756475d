"""Load statistics (no Robot, no Locust imports): criteria, baselines, history, trend.

A run's statistics are the JSON the engine writes (``libraries/load/engine.py``):

    {"scenario": "health", "users": 10, "duration_s": 10.0, "started_at": "...",
     "endpoints": {"GET /health": {"requests": 812, "failures": 0, "rps": 81.2,
                                   "p50": 9.0, "p95": 21.0, "p99": 40.0, "avg": 11.3, "max": 52.0}},
     "total": {...same fields...}, "errors": [{"endpoint", "error", "count"}],
     "windows": [{"start_s": 0, "requests": 80, "failures": 0, "p95": 20.0}, ...]}
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import operator
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

METRICS = ("requests", "failures", "failure_ratio", "rps", "p50", "p95", "p99", "avg", "max")
TIME_METRICS = {"p50", "p95", "p99", "avg", "max"}
_OPERATORS = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
_CRITERION = re.compile(
    r"^\s*(?P<metric>[a-z_0-9]+)\s*(?P<op><=|>=|==|!=|<|>)\s*(?P<value>-?[0-9.]+)\s*(?P<unit>ms|s|%)?\s*$"
)
HISTORY_KEEP = 50
MIN_REQUESTS_FOR_P95 = 50


class CriterionError(ValueError):
    """A criterion that cannot be read."""


def parse_criterion(text: str) -> tuple[str, str, float]:
    """``"p95 < 500 ms"`` -> ``("p95", "<", 500.0)``; times in ms, ratios as fractions."""
    match = _CRITERION.match(text)
    if not match:
        raise CriterionError(
            f"cannot read criterion {text!r}: write '<metric> <op> <number> [ms|s|%]', "
            f"metric one of {', '.join(METRICS)}, e.g. 'p95 < 500 ms' or 'failures == 0'"
        )
    metric, op, value, unit = match["metric"], match["op"], float(match["value"]), match["unit"]
    if metric not in METRICS:
        raise CriterionError(
            f"unknown metric {metric!r} in {text!r}: use one of {', '.join(METRICS)}"
        )
    if unit == "s":
        value *= 1000
    if unit == "%":
        value /= 100
    if unit in ("ms", "s") and metric not in TIME_METRICS:
        raise CriterionError(f"{metric} is not a time: drop the unit in {text!r}")
    return metric, op, value


def metric_of(figures: dict, metric: str) -> float:
    if metric == "failure_ratio":
        return figures["failures"] / figures["requests"] if figures["requests"] else 0.0
    return float(figures[metric])


def _shown(metric: str, value: float) -> str:
    if metric in TIME_METRICS:
        return f"{value:.0f} ms"
    if metric == "failure_ratio":
        return f"{value:.1%}"
    return f"{value:g}"


def selected(stats: dict, endpoint: str | None) -> dict[str, dict]:
    """The endpoints a check applies to: one by name, or every endpoint of the run."""
    endpoints = stats.get("endpoints") or {}
    if endpoint is None:
        return endpoints
    if endpoint not in endpoints:
        raise AssertionError(
            f"endpoint {endpoint!r} had no requests in this run; "
            f"endpoints: {', '.join(endpoints) or 'none'}"
        )
    return {endpoint: endpoints[endpoint]}


def violations(stats: dict, criteria: Iterable[str], endpoint: str | None = None) -> list[str]:
    """Every criterion an endpoint misses, as ``'GET /health: p95 612 ms, wanted < 500 ms'``."""
    parsed = [parse_criterion(text) for text in criteria]
    if not parsed:
        raise CriterionError("give at least one criterion, e.g. 'p95 < 500 ms'")
    endpoints = selected(stats, endpoint)
    if not endpoints:
        return [f"scenario {stats.get('scenario')!r} made no request at all"]
    found = []
    for name, figures in endpoints.items():
        for metric, op, limit in parsed:
            value = metric_of(figures, metric)
            if not _OPERATORS[op](value, limit):
                found.append(
                    f"{name}: {metric} {_shown(metric, value)}, wanted {op} {_shown(metric, limit)}"
                )
    return found


# ---- baselines ------------------------------------------------------------------------------


def baseline_path(directory: Path, env: str) -> Path:
    return directory / f"{env}.json"


def load_baseline(directory: Path, env: str) -> dict:
    """``{scenario: {endpoint: {"p95": ms, ...}}}`` of ``env``, empty when none is recorded."""
    path = baseline_path(directory, env)
    if not path.exists():
        return {}
    return json.loads(path.read_text()).get("scenarios", {})


def write_baseline(directory: Path, env: str, runs: Iterable[dict], note: str = "") -> Path:
    """Record the runs' per-endpoint figures as ``env``'s baseline (other scenarios kept)."""
    path = baseline_path(directory, env)
    scenarios = load_baseline(directory, env)
    for run in runs:
        scenarios[run["scenario"]] = {
            name: {key: figures[key] for key in ("p50", "p95", "p99", "rps")}
            for name, figures in run["endpoints"].items()
        } | {"_run": {"users": run["users"], "duration_s": run["duration_s"]}}
    document = _document(path) | {
        "environment": env,
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "note": note,
        "scenarios": scenarios,
    }
    directory.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    return path


def _document(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def load_ratio_baseline(directory: Path, env: str) -> dict[str, float]:
    """``{endpoint: ratio of its median to the control's}`` of ``env``; empty when none."""
    return _document(baseline_path(directory, env)).get("control_ratios", {}).get("ratios", {})


def write_ratio_baseline(directory: Path, env: str, measured: dict, note: str = "") -> Path:
    """Record a `libraries.load.ratios.measure` run as ``env``'s baseline ratios (the
    Locust scenarios of the file are kept)."""
    path = baseline_path(directory, env)
    document = _document(path) | {"environment": env}
    document["control_ratios"] = {
        "control": measured["control"],
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "note": note,
        "rounds": measured["rounds"],
        "ratios": {name: f["ratio"] for name, f in measured["endpoints"].items()},
        "medians_ms": {name: f["median_ms"] for name, f in measured["endpoints"].items()},
    }
    directory.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    return path


def regressions(
    stats: dict, baseline: dict, tolerance: float, slack_ms: float
) -> tuple[list[str], list[str]]:
    """``(regressions, compared)``: endpoints whose p95 exceeds both ``baseline * (1 +
    tolerance)`` and ``baseline + slack_ms`` (so a 3 ms baseline does not fail on noise).
    Endpoints with fewer than :data:`MIN_REQUESTS_FOR_P95` requests in the run are not
    compared."""
    found, compared = [], []
    for name, figures in stats.get("endpoints", {}).items():
        base = baseline.get(name)
        if not base or figures["requests"] < MIN_REQUESTS_FOR_P95:
            continue  # a p95 of a handful of requests (the logins) is noise
        limit = max(base["p95"] * (1 + tolerance), base["p95"] + slack_ms)
        line = (
            f"{name}: p95 {figures['p95']:.0f} ms against baseline {base['p95']:.0f} ms "
            f"(limit {limit:.0f} ms = +{tolerance:.0%}, at least +{slack_ms:.0f} ms)"
        )
        compared.append(line)
        if figures["p95"] > limit:
            found.append(line)
    return found, compared


# ---- history and trend ----------------------------------------------------------------------


@contextlib.contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def history_record(stats: dict, env: str) -> dict:
    return {
        "at": stats.get("started_at") or datetime.now(UTC).isoformat(timespec="seconds"),
        "env": env,
        "scenario": stats["scenario"],
        "users": stats["users"],
        "duration_s": stats["duration_s"],
        "total": stats["total"],
        "endpoints": {
            name: {k: f[k] for k in ("requests", "failures", "rps", "p95")}
            for name, f in stats["endpoints"].items()
        },
    }


def append_history(path: Path, stats: dict, env: str) -> list[dict]:
    """Append the run to ``history.jsonl`` (safe under pabot); returns this scenario's
    last :data:`HISTORY_KEEP` records of ``env``."""
    with _locked(path):
        with open(path, "a") as history:
            history.write(json.dumps(history_record(stats, env)) + "\n")
        lines = path.read_text().splitlines()
    records = []
    for line in lines:
        with contextlib.suppress(ValueError):
            record = json.loads(line)
            if record.get("scenario") == stats["scenario"] and record.get("env") == env:
                records.append(record)
    return records[-HISTORY_KEEP:]


def draw_trend(records: list[dict], path: Path, title: str) -> Path | None:
    """A PNG of p95 per endpoint and requests/s over the runs in ``records``."""
    if not records:
        return None
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, (latency, rate) = pyplot.subplots(2, 1, figsize=(8, 5), sharex=True)
    runs = range(1, len(records) + 1)
    names = sorted({name for record in records for name in record["endpoints"]})
    for name in names:
        values = [r["endpoints"].get(name, {}).get("p95", math.nan) for r in records]
        latency.plot(runs, values, marker="o", markersize=3, label=name)
    rate.plot(runs, [r["total"]["rps"] for r in records], marker="o", markersize=3, color="black")
    latency.set_ylabel("p95 (ms)")
    rate.set_ylabel("requests/s (all)")
    rate.set_xlabel(f"run (last {len(records)}; newest right)")
    latency.set_title(title)
    latency.legend(fontsize=7, loc="upper left")
    latency.grid(alpha=0.3)
    rate.grid(alpha=0.3)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=80)
    pyplot.close(figure)
    return path


def html_table(stats: dict) -> str:
    """The run's per-endpoint figures as an HTML table for log.html."""
    head = "".join(
        f"<th>{h}</th>"
        for h in ("endpoint", "requests", "failures", "rps", "p50 ms", "p95 ms", "p99 ms", "max ms")
    )
    rows = []
    for name, f in [*stats["endpoints"].items(), ("all", stats["total"])]:
        cells = [
            name,
            f["requests"],
            f["failures"],
            f"{f['rps']:.1f}",
            f"{f['p50']:.0f}",
            f"{f['p95']:.0f}",
            f"{f['p99']:.0f}",
            f"{f['max']:.0f}",
        ]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    caption = (
        f"{stats['scenario']}: {stats['users']} users, {stats['duration_s']:.0f} s"
        f"{', ' + str(stats.get('workers')) + ' workers' if stats.get('workers') else ''}"
    )
    return (
        f'<table border="1" cellpadding="3"><caption>{caption}</caption><tr>{head}</tr>'
        + "".join(rows)
        + "</table>"
    )


def percentile(histogram: dict, fraction: float) -> float:
    """The ``fraction`` percentile of a ``{ms: count}`` histogram (keys may be strings)."""
    pairs = sorted((float(ms), count) for ms, count in histogram.items())
    total = sum(count for _, count in pairs)
    if not total:
        return 0.0
    rank, seen = math.ceil(fraction * total), 0
    for ms, count in pairs:
        seen += count
        if seen >= rank:
            return ms
    return pairs[-1][0]


def window_p95(stats: dict, first: bool, span_s: float) -> float:
    """p95 over every request of the first (or last) ``span_s`` seconds of the run."""
    windows = stats.get("windows") or []
    if not windows:
        raise AssertionError("the run recorded no windows: was it shorter than one window?")
    end = windows[-1]["start_s"] + windows[-1]["length_s"]
    if first:
        chosen = [w for w in windows if w["start_s"] < span_s]
    else:
        chosen = [w for w in windows if w["start_s"] >= end - span_s]
    merged: dict[str, int] = {}
    for window in chosen:
        for ms, count in window["histogram"].items():
            merged[ms] = merged.get(ms, 0) + count
    if not merged:
        raise AssertionError(f"no request in the {'first' if first else 'last'} {span_s:g} s")
    return percentile(merged, 0.95)
