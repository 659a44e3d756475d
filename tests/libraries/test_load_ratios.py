"""The per-commit slowdown check's arithmetic: each endpoint against the control requests sent
right before it, the warm-up left out, and a failure at 5x the baseline ratio with figures."""

from __future__ import annotations

import json

import pytest

from libraries.load import ratios
from libraries.load import stats as load_stats


class Response:
    def __init__(self, status: int) -> None:
        self.status_code = status


class FakeProbe:
    """A server whose answers take ``costs[path]`` ms of a fake clock, times ``load``."""

    def __init__(self, costs: dict[str, float]) -> None:
        self.costs = costs
        self.load = 1.0
        self.now = 0.0
        self.session = None
        self.calls: list[str] = []

    def clock(self) -> float:
        return self.now

    def spend(self, path: str) -> None:
        self.calls.append(path)
        self.now += self.costs[path] * self.load / 1000

    def get(self, path: str, **params) -> Response:
        self.spend(path)
        return Response(404 if path == ratios.CONTROL_PATH else 200)


def endpoint(probe: FakeProbe, path: str, rounds: int = 5) -> ratios.Endpoint:
    return ratios.Endpoint(f"GET {path}", lambda _: probe.get(path), rounds=rounds)


def test_each_endpoint_is_timed_against_the_control_sent_right_before_it():
    probe = FakeProbe({ratios.CONTROL_PATH: 2.0, "/channels": 6.0, "/alerts": 20.0})
    measured = ratios.measure(
        probe,
        [endpoint(probe, "/channels"), endpoint(probe, "/alerts", rounds=3)],
        clock=probe.clock,
    )
    assert measured["control"] == ratios.CONTROL
    channels, alerts = measured["endpoints"]["GET /channels"], measured["endpoints"]["GET /alerts"]
    assert (channels["median_ms"], channels["control_median_ms"], channels["ratio"]) == (6, 2, 3)
    assert alerts["ratio"] == 10 and alerts["samples"] == 3  # its own round count
    assert channels["samples"] == 5  # the warm-up round is not counted
    assert probe.calls[:4] == [ratios.CONTROL_PATH, "/channels", ratios.CONTROL_PATH, "/alerts"]


def test_a_loaded_machine_leaves_the_ratio_alone_and_a_slow_endpoint_stands_out():
    probe = FakeProbe({ratios.CONTROL_PATH: 2.0, "/channels": 6.0})
    quiet = ratios.measure(probe, [endpoint(probe, "/channels")], clock=probe.clock)
    probe.load = 4.0  # everything four times slower
    busy = ratios.measure(probe, [endpoint(probe, "/channels")], clock=probe.clock)
    baseline = {"GET /channels": quiet["endpoints"]["GET /channels"]["ratio"]}
    assert ratios.slowdowns(busy, baseline)[0] == []
    probe.load = 1.0
    probe.costs["/channels"] += 200  # one handler 200 ms slower
    slow = ratios.measure(probe, [endpoint(probe, "/channels")], clock=probe.clock)
    failures, compared = ratios.slowdowns(slow, baseline)
    assert failures == compared
    assert failures == [
        "GET /channels: median 206.0 ms against the control's 2.0 ms (ratio 103.00); "
        "baseline ratio 3.00: 34.3x the baseline (limit 5x)"
    ]


def test_the_limit_is_five_times_the_baseline_ratio():
    measured = {"endpoints": {"GET /x": {"median_ms": 10, "control_median_ms": 1, "ratio": 10}}}
    assert ratios.slowdowns(measured, {"GET /x": 2.0})[0] != []  # 5.0x: fails
    assert ratios.slowdowns(measured, {"GET /x": 2.01})[0] == []  # 4.98x: passes
    assert ratios.slowdowns(measured, {}) == ([], [])  # no baseline: not compared


def test_an_endpoint_that_answers_an_error_is_not_measured():
    probe = FakeProbe({ratios.CONTROL_PATH: 1.0, "/x": 1.0})
    failing = ratios.Endpoint("GET /x", lambda _: Response(503))
    with pytest.raises(ratios.MeasurementError, match="GET /x answered 503 while measured"):
        ratios.measure(probe, [failing], clock=probe.clock)


def test_the_ratio_baseline_is_kept_beside_the_locust_scenarios(tmp_path):
    run = {
        "scenario": "health",
        "users": 10,
        "duration_s": 15,
        "endpoints": {"GET /health": {"p50": 3, "p95": 9, "p99": 12, "rps": 600}},
    }
    load_stats.write_baseline(tmp_path, "local", [run])
    measured = {
        "control": ratios.CONTROL,
        "rounds": 31,
        "endpoints": {"GET /health": {"median_ms": 6.0, "control_median_ms": 2.0, "ratio": 3.0}},
    }
    load_stats.write_ratio_baseline(tmp_path, "local", measured, "vm")
    assert load_stats.load_ratio_baseline(tmp_path, "local") == {"GET /health": 3.0}
    assert load_stats.load_baseline(tmp_path, "local")["health"]["GET /health"]["p95"] == 9
    load_stats.write_baseline(tmp_path, "local", [run])  # a later Locust baseline keeps them
    assert load_stats.load_ratio_baseline(tmp_path, "local") == {"GET /health": 3.0}
    document = json.loads(load_stats.baseline_path(tmp_path, "local").read_text())
    assert document["control_ratios"]["control"] == ratios.CONTROL


def _measured(ratio: float) -> dict:
    figures = {"median_ms": ratio * 2, "control_median_ms": 2.0, "ratio": ratio}
    return {"control": ratios.CONTROL, "endpoints": {"DELETE /task/{task_id}": figures}}


def test_a_slowdown_over_the_limit_twice_fails_with_both_figures():
    again = []
    verdict = ratios.judge(
        _measured(25.0),
        {"DELETE /task/{task_id}": 4.47},
        lambda: again.append(1) or _measured(500.0),
    )
    assert again == [1]
    assert verdict.cleared == []
    assert verdict.confirmed == [
        "DELETE /task/{task_id}: median 50.0 ms against the control's 2.0 ms (ratio 25.00); "
        "baseline ratio 4.47: 5.6x the baseline (limit 5x); measured again: median 1000.0 ms "
        "against the control's 2.0 ms (ratio 500.00); baseline ratio 4.47: 111.9x the baseline "
        "(limit 5x)"
    ]


def test_a_busy_moment_over_the_limit_once_is_cleared_by_the_second_look():
    verdict = ratios.judge(
        _measured(25.0), {"DELETE /task/{task_id}": 4.47}, lambda: _measured(9.0)
    )
    assert verdict.confirmed == []
    assert [line.split(":")[0] for line in verdict.cleared] == ["DELETE /task/{task_id}"]


def test_within_the_limit_is_not_measured_again():
    def never() -> dict:
        raise AssertionError("measured again although nothing was over the limit")

    verdict = ratios.judge(_measured(9.0), {"DELETE /task/{task_id}": 4.47}, never)
    assert (verdict.confirmed, verdict.cleared, len(verdict.compared)) == ([], [], 1)
