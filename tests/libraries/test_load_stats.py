"""The Load library's plain parts: criteria, baselines, history, trend, 3.0 rendering."""

from __future__ import annotations

import json

import pytest

from libraries.load import stats
from libraries.load.openapi30 import to_openapi30
from libraries.load.runner import LoadSpec, LoadTarget


def figures(p95: float, requests: int = 100, failures: int = 0) -> dict:
    return {"requests": requests, "failures": failures, "rps": requests / 10, "p50": p95 / 2,
            "p95": p95, "p99": p95 * 1.2, "avg": p95 / 2, "max": p95 * 1.5}  # fmt: skip


def run(**endpoints: float) -> dict:
    named = {name.replace("_", " /", 1): figures(p95) for name, p95 in endpoints.items()}
    return {"scenario": "tasks", "users": 5, "duration_s": 10.0, "endpoints": named,
            "total": figures(max(endpoints.values())), "windows": []}  # fmt: skip


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("p95 < 500 ms", ("p95", "<", 500.0)), ("p99<=1 s", ("p99", "<=", 1000.0)),
     ("failures == 0", ("failures", "==", 0.0)),
     ("failure_ratio < 1%", ("failure_ratio", "<", 0.01)),
     ("rps >= 20", ("rps", ">=", 20.0))],
)  # fmt: skip
def test_criteria_are_read(text, parsed):
    assert stats.parse_criterion(text) == parsed


@pytest.mark.parametrize("text", ["p95 500", "latency < 5 ms", "failures < 2 ms", ""])
def test_unreadable_criteria_say_how_to_write_them(text):
    with pytest.raises(stats.CriterionError, match="metric|unit|criterion"):
        stats.parse_criterion(text)


def test_violations_name_endpoint_value_and_bound():
    found = stats.violations(run(GET_health=120, GET_channels=700), ["p95 < 500 ms"])
    assert found == ["GET /channels: p95 700 ms, wanted < 500 ms"]
    assert stats.violations(run(GET_health=120), ["p95 < 500 ms", "failures == 0"]) == []


def test_a_run_without_requests_never_passes():
    empty = {"scenario": "health", "endpoints": {}}
    assert stats.violations(empty, ["failures == 0"]) == [
        "scenario 'health' made no request at all"
    ]


def test_an_unknown_endpoint_is_an_error():
    with pytest.raises(AssertionError, match="had no requests"):
        stats.violations(run(GET_health=1), ["p95 < 1 ms"], endpoint="GET /nowhere")


def test_300_ms_more_on_metadata_is_a_regression_naming_everything(tmp_path):
    baseline = run(GET_metadata=12, POST_configure=80)
    stats.write_baseline(tmp_path, "local", [baseline])
    recorded = stats.load_baseline(tmp_path, "local")["tasks"]
    slower = run(GET_metadata=312, POST_configure=85)
    found, compared = stats.regressions(slower, recorded, 0.2, 100)
    assert len(compared) == 2
    assert found == [
        "GET /metadata: p95 312 ms against baseline 12 ms (limit 112 ms = +20%, at least +100 ms)"
    ]
    assert stats.regressions(run(GET_metadata=90, POST_configure=95), recorded, 0.2, 100)[0] == []
    few = run(GET_metadata=900)
    few["endpoints"]["GET /metadata"]["requests"] = 10
    assert stats.regressions(few, recorded, 0.2, 100) == ([], [])


def test_percentile_and_window_p95():
    assert stats.percentile({"10": 95, "900": 5}, 0.95) == 10
    assert stats.percentile({"10": 94, "900": 6}, 0.95) == 900
    windows = [
        {"start_s": 0, "length_s": 30, "histogram": {"10": 100}},
        {"start_s": 30, "length_s": 30, "histogram": {"12": 100}},
        {"start_s": 60, "length_s": 30, "histogram": {"40": 100}},
    ]
    assert stats.window_p95({"windows": windows}, True, 60) == 12
    assert stats.window_p95({"windows": windows}, False, 30) == 40


def test_history_appends_and_draws_a_trend(tmp_path):
    history = tmp_path / "perf" / "history.jsonl"
    for p95 in (10, 12, 11):
        records = stats.append_history(
            history, run(GET_health=p95) | {"scenario": "health"}, "local"
        )
    assert [r["endpoints"]["GET /health"]["p95"] for r in records] == [10, 12, 11]
    assert len(history.read_text().splitlines()) == 3
    png = stats.draw_trend(records, tmp_path / "trend.png", "health")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<table" in stats.html_table(run(GET_health=10))


def test_load_goes_to_loopback_only(monkeypatch):
    LoadTarget("https://127.0.0.1:8443/x").check()
    LoadTarget("https://localhost/x").check()
    monkeypatch.delenv("LOAD_ALLOW_REMOTE", raising=False)
    with pytest.raises(ValueError, match="not a loopback"):
        LoadTarget("https://203.0.113.5/focus-server").check()
    with pytest.raises(ValueError, match="loopback"):
        LoadTarget("https://127.0.0.1/x", amqp={"host": "198.51.100.2"}).check()


@pytest.mark.parametrize(("scheme_tls", "expected"), [(True, True), (False, False), (None, False)])
def test_the_alerts_load_publishes_over_amqps_when_the_environment_does(scheme_tls, expected):
    """``RABBITMQ_TLS`` (an ``amqps://`` RABBITMQ_URL) reaches the alert publisher, which then
    verifies the broker against the target's CA bundle (``scenarios.AlertPublisher``)."""
    from libraries.load.targets import load_target

    variables = {"FOCUS_BASE_URL": "https://127.0.0.1/x", "FOCUS_USER": "u",
                 "FOCUS_PASSWORD": "p", "CA_BUNDLE": "/ca.pem", "RABBITMQ_HOST": "127.0.0.1",
                 "RABBITMQ_PORT": 5671, "RABBITMQ_USER": "u", "RABBITMQ_PASSWORD": "p"}  # fmt: skip
    if scheme_tls is not None:
        variables["RABBITMQ_TLS"] = scheme_tls
    target = load_target(variables, amqp_site="site")
    assert target.amqp is not None and target.amqp["tls"] is expected
    assert target.ca_bundle == "/ca.pem"


@pytest.mark.parametrize(
    ("spec", "message"),
    [(LoadSpec("nope"), "unknown scenario"), (LoadSpec("health", users=0), "users"),
     (LoadSpec("health", duration_s=7200), "duration")],
)  # fmt: skip
def test_bad_load_specs_say_what_is_wrong(spec, message):
    with pytest.raises(ValueError, match=message):
        spec.check()


def test_openapi_31_renders_as_30():
    document = {
        "openapi": "3.1.0",
        "components": {"schemas": {"A": {"type": ["string", "null"], "const": "x"},
                                   "B": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
                                   "C": {"type": "number", "exclusiveMinimum": 0}}},
    }  # fmt: skip
    converted = to_openapi30(document)
    schemas = converted["components"]["schemas"]
    assert converted["openapi"] == "3.0.3"
    assert schemas["A"] == {"type": "string", "nullable": True, "enum": ["x"]}
    assert schemas["B"] == {"type": "integer", "nullable": True}
    assert schemas["C"] == {"type": "number", "minimum": 0, "exclusiveMinimum": True}
    assert (
        json.dumps(document["components"]["schemas"]["A"])
        == '{"type": ["string", "null"], "const": "x"}'
    )


def test_the_robot_side_never_imports_locust_or_gevent():
    import subprocess
    import sys

    probe = (
        "import sys, libraries.load, libraries.load.runner, libraries.load.stats;"
        "sys.exit(int('gevent' in sys.modules or 'locust' in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", probe], timeout=60).returncode == 0
