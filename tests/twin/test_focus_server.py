"""The twin's Focus Server in-process (mongomock, fake jobs): contract section 2 rule by rule."""

from __future__ import annotations

import asyncio
import json
import math
import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import mongomock
import pymongo
import pytest
from pymongo.errors import OperationFailure

from contract import constants
from tests.twin import test_focus_server_support as support
from tests.twin.test_focus_server_support import (
    FakeJobBackend,
    closed_port,
    health_server,
    live_config,
    make_settings,
    new_db,
    running_api,
    tcp_listener,
    wait_for,
)
from twin import fibre_data
from twin.focus_server import alerts_consumer, store
from twin.grpc_job.protocol import format_time


@pytest.fixture(scope="module")
def health_port():
    with health_server() as port:
        yield port


@pytest.fixture
def rabbitmq():
    with tcp_listener() as address:
        yield address


@pytest.fixture
def backend(health_port):
    return FakeJobBackend(health_port)


@pytest.fixture(scope="module")
def seeded_recordings(tmp_path_factory) -> list[dict]:
    """Recordings seeded once (SEG-Y files included), copied into each test's database."""
    template = new_db()
    support.seed_recordings(template, tmp_path_factory.mktemp("recordings"), datetime.now(UTC))
    return list(template["recordings"].find({}, {"_id": False}))


@pytest.fixture
def db(seeded_recordings):
    database = new_db()
    database["recordings"].insert_many([dict(document) for document in seeded_recordings])
    return database


@pytest.fixture
def settings(db, backend, rabbitmq, tmp_path):
    return make_settings(db, backend, rabbitmq)


@pytest.fixture
def api(settings):
    with running_api(settings) as client:
        yield client


@pytest.fixture(scope="module")
def shared_api(health_port, seeded_recordings, tmp_path_factory):
    """One application for the tests that create no task (validation, auth, errors)."""
    database = new_db()
    database["recordings"].insert_many([dict(document) for document in seeded_recordings])
    with tcp_listener() as rabbitmq:
        settings = make_settings(database, FakeJobBackend(health_port), rabbitmq)
        with running_api(settings) as client:
            yield client


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "field"}
    return body["error"]


def configure(api, **changes) -> dict:
    response = api.post("/configure", json=live_config(**changes))
    assert response.status_code == 200, response.text
    return response.json()


def status_of(api, task_id: str) -> str:
    return api.get(f"/ack/{task_id}").json()["status"]


def wait_status(api, task_id: str, status: str, timeout: float = 5.0) -> None:
    wait_for(lambda: status_of(api, task_id) == status, timeout, f"task {task_id} {status}")


# --- authentication and transport -------------------------------------------------------


def test_token_is_issued_for_the_right_credentials_only(shared_api):
    body = shared_api.login().json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    assert shared_api.get("/channels", token=body["access_token"]).status_code == 200
    wrong = shared_api.client.post(
        "/focus-server/auth/token", json={"username": "x", "password": "y"}
    )
    assert error_of(wrong, 401)["code"] == "UNAUTHORIZED"


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Basic abc", "Bearer not-a-token", "Bearer eyJzdWIiOiJ4In0.forged"],
    # Token-shaped ids would read as leaks to scripts/checks/check_secrets.py (pytest.xml).
    ids=["none", "bearer-empty", "basic", "bearer-garbage", "bearer-forged"],
)
def test_protected_endpoints_refuse_missing_or_bad_tokens(shared_api, header):
    headers = {} if header is None else {"Authorization": header}
    response = shared_api.client.get("/focus-server/channels", headers=headers)
    assert error_of(response, 401)["code"] == "UNAUTHORIZED"


def test_expired_token_is_refused(settings, api):
    token = api.login(expires_in=1).json()["access_token"]
    assert api.get("/channels", token=token).status_code == 200
    real_clock = settings.clock
    api.client.app.state.focus.signer.clock = lambda: real_clock() + 2
    assert error_of(api.get("/channels", token=token), 401)["message"] == "token expired"


def test_requested_expiry_is_capped_to_the_default(shared_api):
    assert shared_api.login(expires_in=10**9).json()["expires_in"] == 3600
    assert error_of(shared_api.login(expires_in=0), 400)["field"] == "expires_in"


def test_tokens_from_another_key_are_refused(api, settings, db, backend, rabbitmq, tmp_path):
    other = make_settings(db, backend, rabbitmq, token_signing_key="another-key")
    with running_api(other) as foreign:
        assert error_of(api.get("/channels", token=foreign.token), 401)["code"] == "UNAUTHORIZED"


def test_rate_limit_answers_429_with_retry_after(db, backend, rabbitmq, tmp_path):
    settings = make_settings(db, backend, rabbitmq, rate_per_s=1.0, rate_burst=3)
    with running_api(settings) as api:
        statuses = [api.get("/channels").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        limited = api.get("/channels")
        assert error_of(limited, 429)["code"] == "RATE_LIMITED"
        assert int(limited.headers["Retry-After"]) >= 1
        fresh = api.login().json()["access_token"]
        assert api.get("/channels", token=fresh).status_code == 200


def test_unknown_route_and_wrong_method_use_the_error_body(shared_api):
    assert error_of(shared_api.get("/no-such-thing"), 404)["code"] == "NOT_FOUND"
    assert error_of(shared_api.client.get("/elsewhere"), 404)["code"] == "NOT_FOUND"
    assert error_of(shared_api.request("PUT", "/channels"), 405)["code"] == "METHOD_NOT_ALLOWED"


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b"\xff\xfe", b""])
def test_malformed_json_is_a_400(shared_api, raw):
    response = shared_api.post(
        "/configure", content=raw, headers={"Content-Type": "application/json"}
    )
    assert error_of(response, 400)["code"] == "VALIDATION_ERROR"


def test_oversized_body_is_a_413_by_length_and_by_stream(shared_api):
    big = b"x" * (constants.MAX_BODY_BYTES + 1)
    assert error_of(shared_api.post("/configure", content=big), 413)["code"] == "PAYLOAD_TOO_LARGE"

    def chunks():
        for _ in range(constants.MAX_BODY_BYTES // 65536 + 2):
            yield b" " * 65536

    assert (
        error_of(shared_api.post("/configure", content=chunks()), 413)["code"]
        == "PAYLOAD_TOO_LARGE"
    )
    exactly = b" " * (constants.MAX_BODY_BYTES - 2) + b"{}"
    as_json = {"Content-Type": "application/json"}
    exactly_response = shared_api.post("/configure", content=exactly, headers=as_json)
    assert error_of(exactly_response, 400)["field"] == "timeStatus"


def test_unexpected_errors_are_500_with_the_error_body(settings):
    def broken():
        raise RuntimeError("boom")

    settings.database = lambda: new_db()
    with running_api(settings) as api:
        api.client.app.state.focus.manager.store.get = lambda _task_id: broken()
        client = api.client.__class__(api.client.app, raise_server_exceptions=False)
        response = client.get(
            "/focus-server/ack/x", headers={"Authorization": f"Bearer {api.token}"}
        )
        assert error_of(response, 500)["code"] == "INTERNAL_ERROR"
        api.client.app.state.internal_errors = 0


def test_openapi_is_served_under_the_prefix(shared_api):
    paths = shared_api.client.get("/focus-server/openapi.json").json()["paths"]
    assert "/focus-server/configure" in paths and "/focus-server/health" in paths


# --- health -------------------------------------------------------------------------------


def test_health_is_ok_when_dependencies_answer(shared_api):
    response = shared_api.client.get("/focus-server/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["version"]
    assert body["dependencies"] == {"mongodb": "ok", "rabbitmq": "ok"}


def test_health_is_degraded_when_rabbitmq_is_down(settings):
    settings.rabbitmq = ("127.0.0.1", closed_port())
    with running_api(settings) as api:
        response = api.client.get("/focus-server/health")
    assert response.status_code == 503
    assert response.json()["status"] == "degraded"
    assert response.json()["dependencies"] == {"mongodb": "ok", "rabbitmq": "down"}


def test_pz13640_health_answers_within_2s_while_mongodb_hangs(settings):
    """A MongoDB that never answers (a ping stuck for 10 s) must not hold /health up."""
    release = threading.Event()

    def hung_ping() -> None:
        release.wait(10)
        raise pymongo.errors.ServerSelectionTimeoutError("no answer")

    settings.mongo_ping = hung_ping
    with running_api(settings) as api:
        try:
            started = time.monotonic()
            response = api.client.get("/focus-server/health")
            elapsed = time.monotonic() - started
        finally:
            release.set()
    assert response.status_code == 503
    assert response.json()["status"] == "degraded"
    assert response.json()["dependencies"] == {"mongodb": "down", "rabbitmq": "ok"}
    assert elapsed < constants.HEALTH_DEGRADED_WITHIN_S, elapsed


def test_health_reports_a_dead_mongodb_as_down(settings):
    dead = pymongo.MongoClient(
        "127.0.0.1", closed_port(), serverSelectionTimeoutMS=500, connectTimeoutMS=500
    )
    settings.mongo_ping = lambda: dead.admin.command("ping")
    with running_api(settings) as api:
        response = api.client.get("/focus-server/health")
    dead.close()
    assert response.status_code == 503
    assert response.json()["dependencies"]["mongodb"] == "down"


# --- channels, configure validation -----------------------------------------------------------


def test_channels_lists_every_sensor(shared_api):
    body = shared_api.get("/channels").json()
    assert body["lowest_channel"] == 1 and body["highest_channel"] == constants.SENSORS_RANGE
    assert body["channels"] == list(range(1, constants.SENSORS_RANGE + 1))


def _future(seconds: int) -> str:
    return format_time(datetime.now(UTC) + timedelta(seconds=seconds))


def _past(minutes: int) -> str:
    return format_time(datetime.now(UTC) - timedelta(minutes=minutes))


# One instant for "startTime == endTime": two calls of _past(5) differ by a millisecond or more
# on a loaded machine, which makes a valid startTime < endTime and the case accepted (200).
_FIVE_AGO = _past(5)

INVALID = [
    ({"timeStatus": "Replay"}, "timeStatus"),
    ({"timeStatus": None}, "timeStatus"),
    ({"viewType": "Spectrum"}, "viewType"),
    ({"nfft": 1000}, "nfft"),
    ({"nfft": 64}, "nfft"),
    ({"nfft": 8192}, "nfft"),
    ({"nfft": "1024"}, "nfft"),
    ({"nfft": 1024.0}, "nfft"),
    ({"nfft": True}, "nfft"),
    ({"nfft": None}, "nfft"),
    ({"viewType": "SingleChannel", "nfft": 131072, "channels": {"min": 5, "max": 5}}, "nfft"),
    ({"overlap": 1024}, "overlap"),
    ({"overlap": -1}, "overlap"),
    ({"overlap": "512"}, "overlap"),
    ({"channels": {"min": 0, "max": 10}}, "channels"),
    ({"channels": {"min": 20, "max": 10}}, "channels"),
    ({"channels": {"min": 1, "max": 2223}}, "channels"),
    ({"channels": {"min": "11", "max": 109}}, "channels"),
    ({"channels": {"min": 11}}, "channels"),
    ({"channels": [11, 109]}, "channels"),
    ({"viewType": "SingleChannel", "channels": {"min": 11, "max": 12}}, "channels"),
    ({"frequencyRange": {"min": 500, "max": 500}}, "frequencyRange"),
    ({"frequencyRange": {"min": -1, "max": 500}}, "frequencyRange"),
    ({"frequencyRange": {"min": 0, "max": 1001}}, "frequencyRange"),
    ({"frequencyRange": {"min": "0", "max": 500}}, "frequencyRange"),
    ({"startTime": _past(30)}, "startTime"),
    ({"endTime": _past(5)}, "endTime"),
    ({"timeStatus": "Historic", "startTime": None, "endTime": _past(5)}, "startTime"),
    ({"timeStatus": "Historic", "startTime": _past(30), "endTime": None}, "endTime"),
    ({"timeStatus": "Historic", "startTime": _past(5), "endTime": _past(30)}, "startTime"),
    ({"timeStatus": "Historic", "startTime": _FIVE_AGO, "endTime": _FIVE_AGO}, "startTime"),
    ({"timeStatus": "Historic", "startTime": "yesterday", "endTime": _past(5)}, "startTime"),
    (
        {"timeStatus": "Historic", "startTime": "2026-11-22T06:00:00", "endTime": _past(5)},
        "startTime",
    ),
    (
        {"timeStatus": "Historic", "startTime": _past(30), "endTime": "2026-11-22T06:00:00+02:00"},
        "endTime",
    ),
    ({"unexpected": 1}, "unexpected"),
]


@pytest.mark.parametrize(("changes", "field"), INVALID)
def test_pz13873_invalid_configuration_is_a_400_naming_the_field(shared_api, changes, field):
    error = error_of(shared_api.post("/configure", json=live_config(**changes)), 400)
    assert (error["code"], error["field"]) == ("VALIDATION_ERROR", field), error
    assert shared_api.client.app.state.focus.settings.job_backend.started == []


def test_pz13984_future_end_time_is_refused(shared_api):
    changes = {"timeStatus": "Historic", "startTime": _past(10), "endTime": _future(60)}
    assert (
        error_of(shared_api.post("/configure", json=live_config(**changes)), 400)["field"]
        == "endTime"
    )


def test_pz13669_single_channel_needs_min_equal_max(api):
    ok = configure(api, viewType="SingleChannel", nfft=65536, channels={"min": 7, "max": 7})
    assert ok["status"] == "waiting"
    bad = live_config(viewType="SingleChannel", channels={"min": 7, "max": 8})
    assert error_of(api.post("/configure", json=bad), 400)["field"] == "channels"


def test_boundaries_that_are_valid_are_accepted(api):
    configure(api, nfft=128, overlap=0, channels={"min": 1, "max": 2222})
    configure(api, nfft=4096, overlap=4095, frequencyRange={"min": 999.5, "max": 1000})
    task = configure(api, overlap=None)
    assert api.get(f"/metadata/{task['task_id']}").json()["overlap"] == 512


# --- tasks: configure, metadata, lifecycle ------------------------------------------------------


def test_configure_answers_a_waiting_task_with_its_stream(api, backend):
    body = configure(api)
    assert body["status"] == "waiting"
    assert body["stream"] == {"host": "127.0.0.1", "port": backend.port}
    assert backend.started == [body["task_id"]]
    wait_status(api, body["task_id"], "running")


@pytest.mark.parametrize("historic", [False, True])
def test_pz13985_metadata_has_every_field_and_the_right_calculations(api, historic):
    changes = {"nfft": 2048, "overlap": 1536, "frequencyRange": {"min": 100, "max": 300}}
    if historic:
        changes.update(timeStatus="Historic", startTime=_past(30), endTime=_past(20))
    task_id = configure(api, **changes)["task_id"]
    metadata = api.get(f"/metadata/{task_id}").json()
    volatile = ("status", "updated_at")
    other = api.get(f"/task/{task_id}/metadata").json()
    assert {k: v for k, v in other.items() if k not in volatile} == {
        k: v for k, v in metadata.items() if k not in volatile
    }
    expected_fields = {
        "task_id", "timeStatus", "viewType", "nfft", "overlap", "channels", "channel_count",
        "frequencyRange", "prr", "frequency_resolution", "frequency_bins", "time_resolution",
        "stream", "status", "created_at", "startTime", "endTime",
    }  # fmt: skip
    assert expected_fields <= set(metadata)
    assert all(metadata[name] is not None for name in expected_fields - {"startTime", "endTime"})
    assert metadata["prr"] == constants.PRR
    assert metadata["channel_count"] == 99
    assert metadata["frequency_resolution"] == constants.PRR / 2048
    # bins k*2000/2048 in [100, 300]: k = 103..307
    assert metadata["frequency_bins"] == 205
    assert metadata["time_resolution"] == (2048 - 1536) / constants.PRR
    assert (metadata["startTime"] is not None) == historic


def test_unknown_task_is_a_404_everywhere(shared_api):
    for path in ("/metadata/nope", "/task/nope/metadata", "/ack/nope", "/waterfall/nope"):
        assert error_of(shared_api.get(path), 404)["code"] == "NOT_FOUND", path
    assert error_of(shared_api.delete("/task/nope"), 404)["code"] == "NOT_FOUND"
    roi = {"channels": {"min": 1, "max": 2}}
    assert error_of(shared_api.post("/config_task/nope", json=roi), 404)["code"] == "NOT_FOUND"


def test_ack_reports_status_and_update_time(api):
    task_id = configure(api)["task_id"]
    wait_status(api, task_id, "running")
    body = api.get(f"/ack/{task_id}").json()
    assert set(body) == {"task_id", "status", "updated_at"} and body["status"] == "running"
    assert body["updated_at"].endswith("Z")


def test_task_fails_when_its_job_never_serves(settings, backend):
    backend.port = closed_port()
    settings.running_timeout_s = 0.5
    with running_api(settings) as api:
        task_id = configure(api)["task_id"]
        wait_status(api, task_id, "failed", timeout=3)
    assert task_id in backend.stopped


def test_task_fails_when_its_job_dies(api, backend):
    task_id = configure(api)["task_id"]
    wait_status(api, task_id, "running")
    backend.alive.discard(task_id)
    wait_status(api, task_id, "failed", timeout=3)


def test_historic_task_streams_its_range_then_completes(api, backend):
    changes = {"timeStatus": "Historic", "startTime": _past(40), "endTime": _past(39)}
    task_id = configure(api, **changes)["task_id"]
    wait_status(api, task_id, "running")
    wait_status(api, task_id, "completed", timeout=4)
    assert task_id in backend.stopped
    rows = api.get(f"/waterfall/{task_id}?rows=5").json()["rows"]
    assert len(rows) == 5 and rows[-1]["timestamp"] <= changes["endTime"]


def test_historic_range_without_recording_is_a_404(api, db):
    changes = {"timeStatus": "Historic", "startTime": _past(600), "endTime": _past(500)}
    error = error_of(api.post("/configure", json=live_config(**changes)), 404)
    assert error["code"] == "NO_RECORDING"
    db["recordings"].update_many({}, {"$set": {"deleted": True}})
    changes = {"timeStatus": "Historic", "startTime": _past(30), "endTime": _past(20)}
    assert error_of(api.post("/configure", json=live_config(**changes)), 404)


def test_delete_stops_the_task_and_is_idempotent(api, backend):
    task_id = configure(api)["task_id"]
    wait_status(api, task_id, "running")
    assert api.delete(f"/task/{task_id}").json() == {"task_id": task_id, "status": "stopped"}
    assert status_of(api, task_id) == "stopped"
    assert not backend.is_alive(task_id)
    assert api.delete(f"/task/{task_id}").status_code == 200
    assert status_of(api, task_id) == "stopped"


# --- capacity ---------------------------------------------------------------------------------


def test_capacity_is_max_windows_then_503_until_a_task_is_deleted(api):
    ids = [configure(api)["task_id"] for _ in range(constants.MAX_WINDOWS)]
    refused = api.post("/configure", json=live_config())
    assert error_of(refused, 503)["code"] == "CAPACITY_EXCEEDED"
    assert int(refused.headers["Retry-After"]) >= 1
    api.delete(f"/task/{ids[0]}")
    assert api.post("/configure", json=live_config()).status_code == 200


def test_capacity_counts_active_tasks_this_process_does_not_know(api, db):
    """MongoDB is the authority: active tasks written by another writer count too."""
    now = datetime.now(UTC)
    db["tasks"].insert_many(
        [
            {"task_id": f"other-{n}", "config": live_config(), "status": "running",
             "created_at": now, "updated_at": now}
            for n in range(constants.MAX_WINDOWS)
        ]
    )  # fmt: skip
    assert error_of(api.post("/configure", json=live_config()), 503)["code"] == "CAPACITY_EXCEEDED"


class _ThreadCheckingBackend(FakeJobBackend):
    """Records each call made on a thread that runs the event loop: a blocking job API
    call there (the Kubernetes backend's are HTTP) stalls every request of the server."""

    def __init__(self, port: int) -> None:
        super().__init__(port)
        self.on_loop: list[str] = []

    def _note(self, method: str) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        self.on_loop.append(method)

    def start(self, task_id: str, config: dict) -> tuple[str, int]:
        self._note("start")
        return super().start(task_id, config)

    def stop(self, task_id: str) -> None:
        self._note("stop")
        super().stop(task_id)

    def is_alive(self, task_id: str) -> bool:
        self._note("is_alive")
        return super().is_alive(task_id)


def test_the_job_backend_is_never_called_on_the_event_loop(db, rabbitmq, health_port):
    backend = _ThreadCheckingBackend(health_port)
    with support.running_api(make_settings(db, backend, rabbitmq)) as api:
        task_id = configure(api)["task_id"]
        wait_status(api, task_id, "running")
        time.sleep(0.6)  # a liveness poll or two while it runs
        assert api.delete(f"/task/{task_id}").status_code == 200
    assert backend.started and backend.stopped
    assert backend.on_loop == [], f"called on the event loop: {sorted(set(backend.on_loop))}"


class _BarrierBackend(FakeJobBackend):
    """Each start waits until ``parties`` starts are under way at once (5 s at most)."""

    def __init__(self, port: int, concurrency: int, parties: int) -> None:
        super().__init__(port)
        self.start_concurrency = concurrency
        self.barrier = threading.Barrier(parties, timeout=5)

    def start(self, task_id: str, config: dict) -> tuple[str, int]:
        self.barrier.wait()
        return super().start(task_id, config)


@pytest.mark.parametrize(("concurrency", "accepted"), [(3, 3), (1, 0)])
def test_jobs_start_side_by_side_as_the_backend_allows(
    db, rabbitmq, health_port, concurrency, accepted
):
    """A backend that creates jobs through an API starts them side by side; the process
    backend (one forking thread) one at a time: three starts that each wait for the other
    two all succeed in the first case and all time out in the second."""
    backend = _BarrierBackend(health_port, concurrency, parties=3)
    with support.running_api(make_settings(db, backend, rabbitmq)) as api:
        with ThreadPoolExecutor(max_workers=3) as pool:
            posts = [pool.submit(api.post, "/configure", json=live_config()) for _ in range(3)]
            statuses = [post.result() for post in posts]
        codes = [response.status_code for response in statuses]
        assert codes.count(200) == accepted, codes
        for response in statuses:
            if response.status_code == 200:
                api.delete(f"/task/{response.json()['task_id']}")


def _active_in_db(db) -> int:
    return db["tasks"].count_documents({"status": {"$in": ["waiting", "running"]}})


def _fails_once_after_applying(monkeypatch, method: str, task_id: str = "") -> list[str]:
    """``TaskStore.<method>`` (of ``task_id``, else of any task) does its write, then raises
    as a reply that timed out would."""
    original = getattr(store.TaskStore, method)
    failed: list[str] = []

    def flaky(self, task_id_or_document, *args, **kwargs):
        result = original(self, task_id_or_document, *args, **kwargs)
        if not failed and task_id in ("", task_id_or_document):
            failed.append(method)
            raise pymongo.errors.NetworkTimeout("timed out (after the write was applied)")
        return result

    monkeypatch.setattr(store.TaskStore, method, flaky)
    return failed


@pytest.mark.parametrize("method", ["insert", "update"])
def test_a_configure_that_fails_half_way_keeps_no_slot(api, db, monkeypatch, method):
    """The write applied, its reply lost: the client gets 503 and no task id, so the task
    must end failed and free its slot (it kept one for good, and the capacity shrank)."""
    failed = _fails_once_after_applying(monkeypatch, method)
    refused = api.post("/configure", json=live_config())
    assert failed == [method]
    assert error_of(refused, 503)["code"] == "DEPENDENCY_UNAVAILABLE"
    wait_for(lambda: _active_in_db(db) == 0, 5, "the half-created task to be failed")
    ids = [configure(api)["task_id"] for _ in range(constants.MAX_WINDOWS)]
    assert len(ids) == constants.MAX_WINDOWS


def test_a_job_that_cannot_start_for_any_reason_keeps_no_slot(api, db, backend, monkeypatch):
    """A job API that times out (not only one that refuses) fails the task and frees it."""
    original = backend.start
    calls: list[str] = []

    def timing_out(task_id: str, config: dict):
        if not calls:
            calls.append(task_id)
            original(task_id, config)  # the Job was created; only the answer is lost
            raise TimeoutError("read timed out")
        return original(task_id, config)

    monkeypatch.setattr(backend, "start", timing_out)
    assert error_of(api.post("/configure", json=live_config()), 503)["code"] == "JOB_START_FAILED"
    assert status_of(api, calls[0]) == "failed" and not backend.is_alive(calls[0])
    ids = [configure(api)["task_id"] for _ in range(constants.MAX_WINDOWS)]
    assert len(ids) == constants.MAX_WINDOWS


def test_a_stop_whose_reply_is_lost_still_frees_the_slot(api, backend, monkeypatch):
    """With every slot taken, a DELETE whose MongoDB write applied but whose reply timed
    out answers 503; the slot is free all the same (the process tally kept it before)."""
    ids = [configure(api)["task_id"] for _ in range(constants.MAX_WINDOWS)]
    failed = _fails_once_after_applying(monkeypatch, "transition", ids[0])
    assert error_of(api.delete(f"/task/{ids[0]}"), 503)["code"] == "DEPENDENCY_UNAVAILABLE"
    assert failed == ["transition"] and status_of(api, ids[0]) == "stopped"
    assert api.post("/configure", json=live_config()).status_code == 200
    assert not backend.is_alive(ids[0])  # and its job is stopped


def test_pz13986_200_concurrent_configures_get_only_200s_and_503s(api, db):
    def post(_index: int) -> int:
        return api.post("/configure", json=live_config()).status_code

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=200) as pool:
        statuses = list(pool.map(post, range(200)))
    elapsed = time.monotonic() - started
    assert sorted(set(statuses)) == [200, 503], statuses
    assert statuses.count(200) == constants.MAX_WINDOWS
    assert db["tasks"].count_documents({"status": {"$in": ["waiting", "running"]}}) == 30
    assert elapsed < 20


# --- waterfall and dynamic ROI ----------------------------------------------------------------


def test_pz13238_waterfall_rows_appear_once_running_with_one_finite_value_per_channel(
    settings, backend, api
):
    serving, backend.port = backend.port, closed_port()
    task_id = configure(api, channels={"min": 40, "max": 60})["task_id"]
    assert api.get(f"/waterfall/{task_id}").json() == {"task_id": task_id, "rows": []}
    backend.port = serving
    task_id = configure(api, channels={"min": 40, "max": 60})["task_id"]
    wait_status(api, task_id, "running")
    rows = wait_for(
        lambda: api.get(f"/waterfall/{task_id}?rows=3").json()["rows"], 3, "waterfall rows"
    )
    for row in rows:
        assert len(row["values"]) == 21
        assert all(math.isfinite(value) for value in row["values"])
        assert row["timestamp"].endswith("Z")


def _event_contrast(api, band: dict) -> float:
    task_id = configure(api, channels={"min": 40, "max": 60}, frequencyRange=band)["task_id"]
    wait_status(api, task_id, "running")
    rows = wait_for(lambda: api.get(f"/waterfall/{task_id}").json()["rows"], 3, "rows")
    values = rows[-1]["values"]
    return values[50 - 40] - statistics.median(values)


def test_the_200_hz_event_at_channel_50_shows_only_when_the_band_includes_it(api):
    event = fibre_data.EVENTS[0]
    assert (event.channel, event.frequency_hz) == (50, 200)
    assert _event_contrast(api, {"min": 0, "max": 500}) > 6
    assert abs(_event_contrast(api, {"min": 300, "max": 500})) < 3


@pytest.mark.parametrize("rows", ["0", "1001", "abc", "-1"])
def test_waterfall_rows_parameter_is_bounded(api, rows):
    task_id = configure(api)["task_id"]
    assert error_of(api.get(f"/waterfall/{task_id}?rows={rows}"), 400)["field"] == "rows"


def test_waterfall_rows_parameter_sets_the_count(api):
    task_id = configure(api, nfft=128, overlap=64)["task_id"]
    wait_status(api, task_id, "running")
    time.sleep(0.2)
    assert len(api.get(f"/waterfall/{task_id}?rows=4").json()["rows"]) == 4


def test_config_task_changes_the_roi_and_answers_new_metadata(api):
    task_id = configure(api)["task_id"]
    wait_status(api, task_id, "running")
    roi = {"channels": {"min": 100, "max": 149}, "frequencyRange": {"min": 10, "max": 20}}
    metadata = api.post(f"/config_task/{task_id}", json=roi).json()
    assert metadata["channel_count"] == 50 and metadata["frequencyRange"] == roi["frequencyRange"]
    assert api.get(f"/metadata/{task_id}").json()["channels"] == roi["channels"]
    rows = wait_for(lambda: api.get(f"/waterfall/{task_id}").json()["rows"], 3, "rows")
    assert len(rows[-1]["values"]) == 50


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channels": {"min": 0, "max": 5}}, "channels"),
        ({"frequencyRange": {"min": 10, "max": 5}}, "frequencyRange"),
        ({"nfft": 256}, "nfft"),
        ({}, None),
    ],
)
def test_config_task_validates_like_configure(api, body, field):
    task_id = configure(api)["task_id"]
    assert error_of(api.post(f"/config_task/{task_id}", json=body), 400)["field"] == field


def test_config_task_keeps_single_channel_rule(api):
    task = configure(
        api, viewType="SingleChannel", nfft=256, overlap=None, channels={"min": 9, "max": 9}
    )
    body = {"channels": {"min": 9, "max": 10}}
    assert error_of(api.post(f"/config_task/{task['task_id']}", json=body), 400)


def test_config_task_on_a_finished_task_is_a_409(api):
    task_id = configure(api)["task_id"]
    api.delete(f"/task/{task_id}")
    body = {"channels": {"min": 1, "max": 2}}
    assert error_of(api.post(f"/config_task/{task_id}", json=body), 409)["code"] == "TASK_FINISHED"


# --- restart, MongoDB, alerts, recordings -------------------------------------------------------


def test_restart_serves_the_tasks_that_survive_in_mongodb(settings, backend, db):
    with running_api(settings) as api:
        live = configure(api)["task_id"]
        wait_status(api, live, "running")
        stopped = configure(api)["task_id"]
        api.delete(f"/task/{stopped}")
    assert not backend.is_alive(live)
    assert db["tasks"].find_one({"task_id": live})["status"] == "running"
    with running_api(settings) as api:
        assert backend.started.count(live) == 2 and backend.started.count(stopped) == 1
        wait_status(api, live, "running")


def test_pz13983_indexes_of_contract_section_4_exist(api, db):
    def keys(collection: str) -> dict:
        info = db[collection].index_information()
        return {
            tuple(k for k, _ in index["key"]): index.get("unique", False) for index in info.values()
        }

    assert keys("tasks")[("task_id",)] is True and ("status",) in keys("tasks")
    assert keys("alerts")[("alertId",)] is True and ("alertTime",) in keys("alerts")
    recordings = keys("recordings")
    assert recordings[("uuid",)] is True
    assert {("start_time",), ("end_time",), ("start_time", "end_time")} <= set(recordings)


def test_recordings_are_left_to_the_recorder(settings):
    """The server only reads ``recordings``: the segy-recorder workload writes them."""
    settings.database = new_db
    with running_api(settings) as api:
        assert api.get("/recordings").json()["recordings"] == []


def test_recordings_are_filtered_by_overlap(api):
    assert len(api.get("/recordings").json()["recordings"]) == support.SEED_FILES
    window = api.get(f"/recordings?start={_past(25)}&end={_past(15)}").json()["recordings"]
    assert 1 <= len(window) <= 3
    assert error_of(api.get("/recordings?start=soon"), 400)["field"] == "start"


def _alert(alert_id: str, minutes_ago: int, class_id: int = 104, severity: int = 3) -> dict:
    return {
        "alertId": alert_id,
        "classId": class_id,
        "severity": severity,
        "dofM": 4120,
        "alertTime": _past(minutes_ago),
        "siteId": constants.SITE_ID,
    }


def _store_alert(db, message: dict) -> None:
    """Store an alert as the RabbitMQ consumer does (twin/focus_server/alerts_consumer.py)."""
    document = alerts_consumer.validate(json.dumps(message).encode())
    db["alerts"].insert_one(
        {
            "_id": document["alertId"],
            **document,
            "received_at": datetime.now(UTC),
            "acknowledged": False,
        }
    )


def test_alerts_are_listed_newest_first_with_filters_and_acknowledged(api, db):
    ids = {name: str(uuid.uuid4()) for name in ("a1", "a2", "a3")}
    for alert_id, minutes, class_id, severity in [
        (ids["a1"], 30, 103, 1),
        (ids["a2"], 20, 104, 3),
        (ids["a3"], 10, 104, 2),
    ]:
        _store_alert(db, _alert(alert_id, minutes, class_id, severity))
    listed = api.get("/alerts").json()["alerts"]
    assert [a["alertId"] for a in listed] == [ids["a3"], ids["a2"], ids["a1"]]
    assert [a["alertId"] for a in api.get("/alerts?classId=104").json()["alerts"]] == [
        ids["a3"],
        ids["a2"],
    ]
    assert [a["alertId"] for a in api.get("/alerts?severity=1").json()["alerts"]] == [ids["a1"]]
    since = _past(25).replace("+", "%2B")
    assert [a["alertId"] for a in api.get(f"/alerts?since={since}").json()["alerts"]] == [
        ids["a3"],
        ids["a2"],
    ]
    assert len(api.get("/alerts?limit=1").json()["alerts"]) == 1
    assert api.post(f"/alerts/{ids['a2']}/ack").json()["acknowledged"] is True
    assert db["alerts"].find_one({"alertId": ids["a2"]})["acknowledged"] is True
    assert error_of(api.post("/alerts/zzz/ack"), 404)["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    "query", ["classId=105", "severity=4", "classId=x", "since=yesterday", "limit=0"]
)
def test_alert_filters_are_validated(shared_api, query):
    assert error_of(shared_api.get(f"/alerts?{query}"), 400)["field"] == query.split("=")[0]


def test_mongodb_outage_is_a_503_not_a_500(settings):
    dead = pymongo.MongoClient(
        "127.0.0.1", closed_port(), serverSelectionTimeoutMS=300, connectTimeoutMS=300
    )
    settings.database = lambda: dead["prisma"]
    with running_api(settings) as api:
        error = error_of(api.get("/ack/anything"), 503)
    dead.close()
    assert error["code"] == "DEPENDENCY_UNAVAILABLE"


def test_an_index_conflict_is_reported_and_the_other_indexes_are_made(db, monkeypatch):
    original = mongomock.Collection.create_index

    def conflicting(collection, keys, **options):
        if collection.name == "tasks":
            raise OperationFailure("Index already exists with different options", code=85)
        return original(collection, keys, **options)

    monkeypatch.setattr(mongomock.Collection, "create_index", conflicting)
    conflicts = store.ensure_indexes(db)
    assert [conflict.split(":")[0] for conflict in conflicts] == ["tasks.task_id", "tasks.status"]
    assert "alertId_1" in db["alerts"].index_information()
