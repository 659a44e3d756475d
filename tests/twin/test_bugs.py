"""The twin's bug switches (twin/bugs.py): each off by default, each one small deviation.

Every switch is checked both ways: with ``TWIN_BUGS`` unset the twin keeps the
contract, with the key set it shows exactly the documented deviation.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import mongomock
import pytest
from fastapi.testclient import TestClient

from tests.twin.test_focus_server_support import (
    Api,
    FakeJobBackend,
    health_server,
    live_config,
    make_settings,
    new_db,
    tcp_listener,
)
from twin import bugs, control
from twin.focus_server import health, store, validation, views
from twin.focus_server.app import create_app
from twin.focus_server.errors import ApiError
from twin.grpc_job.protocol import format_time
from twin.segy_recorder import schema

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def bug(monkeypatch):
    """``bug("PZ-…")`` switches one bug on for this test (as ``TWIN_BUGS`` does)."""
    monkeypatch.delenv(bugs.ENV_VAR, raising=False)

    def switch(key: str | None) -> None:
        if key:
            monkeypatch.setenv(bugs.ENV_VAR, key)
        else:
            monkeypatch.delenv(bugs.ENV_VAR, raising=False)

    return switch


# --- the module --------------------------------------------------------------------------


def test_the_seven_known_bugs_of_contract_section_6_have_a_switch():
    assert sorted(bugs.BUGS) == sorted(
        ["PZ-13986", "PZ-13985", "PZ-13984", "PZ-13983", "PZ-13669", "PZ-13640", "PZ-13238"]
    )
    for key, entry in bugs.BUGS.items():
        assert entry.key == key and entry.title and entry.deviation
        assert key in bugs.__doc__


def test_no_bug_is_on_by_default(bug):
    assert bugs.active() == frozenset()
    assert not any(bugs.is_on(key) for key in bugs.BUGS)


def test_twin_bugs_switches_bugs_on(bug):
    bug(" pz-13669 ;PZ-13984,, ")
    assert bugs.active() == {"PZ-13669", "PZ-13984"}
    assert bugs.is_on("PZ-13669") and not bugs.is_on("PZ-13238")


def test_an_unknown_key_is_one_clear_line():
    with pytest.raises(bugs.UnknownBug, match=r"^unknown bug PZ-1: the twin can switch on PZ-"):
        bugs.parse("PZ-1")


def test_asking_for_a_key_that_is_no_bug_is_a_programming_error():
    with pytest.raises(KeyError):
        bugs.is_on("PZ-99999")


def test_parse_takes_the_cli_list_and_environment_value_round_trips():
    keys = bugs.parse(["PZ-13669", "pz-13238,PZ-13669"])
    assert keys == {"PZ-13669", "PZ-13238"}
    assert bugs.parse(bugs.environment_value(keys)) == keys
    assert bugs.describe(()) == "none"
    assert bugs.describe(["PZ-13669"]) == "PZ-13669 (SingleChannel accepted min != max)"


def test_control_refuses_to_join_a_twin_with_other_bugs(bug, monkeypatch, tmp_path):
    monkeypatch.setattr(control, "read_state", lambda base: {"bugs": ["PZ-13669"]})
    monkeypatch.setattr(control, "supervisor_alive", lambda state: True)
    bug("PZ-13984")
    with pytest.raises(control.TwinError, match="runs with bugs PZ-13669 .* asks for PZ-13984"):
        control.up(base=tmp_path)
    bug("PZ-1")
    with pytest.raises(control.TwinError, match="^TWIN_BUGS: unknown bug PZ-1"):
        control.up(base=tmp_path)


def test_the_cli_refuses_an_unknown_bug(capsys):
    from twin.__main__ import main

    assert main(["up", "--bug", "PZ-0"]) == 2
    assert capsys.readouterr().err.startswith("twin: --bug: unknown bug PZ-0")


# --- one deviation each ------------------------------------------------------------------


def single_channel(low: int, high: int) -> dict:
    return live_config(viewType="SingleChannel", channels={"min": low, "max": high})


def test_pz13669_singlechannel_min_not_max(bug):
    with pytest.raises(ApiError):
        validation.validate_configure(single_channel(10, 20), NOW)
    bug("PZ-13669")
    assert validation.validate_configure(single_channel(10, 20), NOW)["channels"]["max"] == 20
    with pytest.raises(ApiError):  # the other channel rules still hold
        validation.validate_configure(single_channel(20, 10), NOW)


def test_pz13984_future_end_time(bug):
    future = live_config(
        timeStatus="Historic",
        startTime=format_time(NOW + timedelta(hours=1)),
        endTime=format_time(NOW + timedelta(hours=2)),
    )
    with pytest.raises(ApiError) as refused:
        validation.validate_configure(future, NOW)
    assert refused.value.field == "endTime"
    bug("PZ-13984")
    assert validation.validate_configure(future, NOW)["endTime"]


def task_of(config: dict) -> dict:
    return {
        "task_id": "t-1",
        "config": validation.validate_configure(config, NOW),
        "status": "running",
        "created_at": NOW,
        "updated_at": NOW,
        "running_at": NOW - timedelta(seconds=5),
        "stream": {"host": "127.0.0.1", "port": 1},
    }


def test_pz13985_live_metadata_fields(bug):
    live = task_of(live_config())
    historic = task_of(
        live_config(
            timeStatus="Historic",
            startTime=format_time(NOW - timedelta(minutes=2)),
            endTime=format_time(NOW - timedelta(minutes=1)),
        )
    )
    missing = {"prr", "frequency_bins", "time_resolution"}
    assert missing <= set(views.metadata(live))
    bug("PZ-13985")
    assert not missing & set(views.metadata(live))
    assert missing <= set(views.metadata(historic))  # Live only


def test_pz13238_waterfall_rows_lose_the_last_channel(bug):
    task = task_of(live_config(channels={"min": 40, "max": 60}))
    now = NOW.timestamp()
    assert {len(row["values"]) for row in views.waterfall(task, 3, now)} == {21}
    bug("PZ-13238")
    rows = views.waterfall(task, 3, now)
    assert len(rows) == 3 and {len(row["values"]) for row in rows} == {20}


def spec_indexes(db) -> dict[str, set[str]]:
    return {name: set(db[name].index_information()) - {"_id_"} for name in store.INDEXES}


def test_pz13983_indexes_missing(bug, monkeypatch):
    monkeypatch.setattr(schema, "VALIDATORS", {})  # mongomock has no collMod; indexes only
    db = mongomock.MongoClient(tz_aware=True)["prisma"]
    store.ensure_indexes(db)
    schema.ensure_schema(db)
    assert all(spec_indexes(db).values())
    bug("PZ-13983")
    store.ensure_indexes(db)  # the Focus Server's start drops them
    assert spec_indexes(db) == {name: set() for name in store.INDEXES}
    schema.ensure_schema(db)  # the recorder creates none
    assert spec_indexes(db) == {name: set() for name in store.INDEXES}
    bug(None)
    store.ensure_indexes(db)  # a twin without the bug restores them
    assert all(spec_indexes(db).values())


def test_pz13640_health_waits_for_a_mongodb_that_is_down(bug, monkeypatch):
    monkeypatch.setattr(bugs, "SLOW_MONGO_PING_S", 1.0)
    calls = []

    def refused() -> None:
        calls.append(time.monotonic())
        raise ConnectionRefusedError("mongodb is down")

    def slow() -> None:
        time.sleep(1.5)

    async def probe(ping) -> tuple[bool, float]:
        started = time.monotonic()
        ok = await health.probe_mongo(ping)
        return ok, time.monotonic() - started

    assert asyncio.run(probe(refused))[0] is False and len(calls) == 1
    ok, elapsed = asyncio.run(probe(slow))
    assert not ok and elapsed < 1.4  # abandoned after its budget
    bug("PZ-13640")
    calls.clear()
    ok, elapsed = asyncio.run(probe(refused))
    assert not ok and elapsed >= 1.0 and len(calls) > 3  # retried until the deadline
    ok, elapsed = asyncio.run(probe(slow))
    assert ok and elapsed >= 1.5  # no budget


def burst_statuses(count: int) -> list[int]:
    """``count`` concurrent configures against the in-process Focus Server."""
    with health_server() as port, tcp_listener() as rabbitmq:
        app = create_app(make_settings(new_db(), FakeJobBackend(port), rabbitmq))
        with TestClient(app, raise_server_exceptions=False) as client:
            api = Api(client)
            with ThreadPoolExecutor(max_workers=count) as pool:
                return list(
                    pool.map(
                        lambda _: api.post("/configure", json=live_config()).status_code,
                        range(count),
                    )
                )


def test_pz13986_a_burst_breaks_the_capacity_check(bug):
    assert set(burst_statuses(80)) == {200, 503}
    bug("PZ-13986")
    statuses = burst_statuses(80)
    assert 500 in statuses, statuses
    assert statuses.count(200) <= 30
