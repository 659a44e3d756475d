"""FocusClient and the FocusApi keywords against the real twin (session fixture ``twin``)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from assertionengine import AssertionOperator
from robot.api.types import Secret

from contract import constants
from libraries.focus_api import FocusApi
from libraries.focus_api.client import FocusAuthError, FocusClient, TokenManager
from libraries.focus_api.models import TaskMetadata, build_payload
from tests.conftest import RunningTwin


@pytest.fixture
def client(twin: RunningTwin) -> Iterator[FocusClient]:
    focus = FocusClient(
        twin.endpoints["focus"]["base_url"],
        twin.secrets["focus_user"],
        twin.secrets["focus_password"],
        ca_bundle=twin.endpoints["ca"],
    )
    try:
        yield focus
    finally:
        focus.close()


@pytest.fixture
def library(twin: RunningTwin) -> Iterator[FocusApi]:
    lib = FocusApi()
    lib.connect_to_focus_server(
        twin.endpoints["focus"]["base_url"],
        twin.secrets["focus_user"],
        Secret(twin.secrets["focus_password"]),
        ca_bundle=twin.endpoints["ca"],
    )
    try:
        yield lib
    finally:
        lib.stop_all_tasks()
        lib.close_all_focus_connections()


def test_health_and_channels(client: FocusClient) -> None:
    assert client.health().json()["status"] == "ok"
    channels = client.channels().json()
    assert channels["channels"] == list(range(1, constants.SENSORS_RANGE + 1))


def test_wrong_password_is_refused(twin: RunningTwin) -> None:
    focus = FocusClient(
        twin.endpoints["focus"]["base_url"],
        twin.secrets["focus_user"],
        "not-the-password",
        ca_bundle=twin.endpoints["ca"],
    )
    with pytest.raises(FocusAuthError) as error:
        focus.channels()
    assert "not-the-password" not in str(error.value)
    focus.close()


def test_expired_token_is_refreshed_by_the_real_server(client: FocusClient) -> None:
    fetched: list[str] = []

    def fetch() -> tuple[str, float]:
        """First a 1-second token that the cache believes lives 300 s, then normal ones."""
        response = client.issue_token(expires_in=1 if not fetched else None)
        fetched.append(response.json()["access_token"])
        return fetched[-1], 300.0

    client.tokens = TokenManager(fetch)
    assert client.channels().status_code == 200
    time.sleep(1.5)
    assert client.channels().status_code == 200
    assert len(fetched) == 2


def test_task_lifecycle_through_the_client(client: FocusClient) -> None:
    answer = client.configure(build_payload()).json()
    task_id = answer["task_id"]
    try:
        TaskMetadata.model_validate(client.metadata(task_id).json())
        deadline = time.monotonic() + constants.TASK_RUNNING_TIMEOUT_S
        while client.ack(task_id).json()["status"] != "running":
            assert time.monotonic() < deadline, "task did not run within 30 s"
            time.sleep(0.2)
    finally:
        assert client.stop(task_id).json()["status"] == "stopped"
    assert client.ack(task_id).json()["status"] == "stopped"


def test_stop_all_tasks_tolerates_tasks_already_gone(
    library: FocusApi, client: FocusClient
) -> None:
    first = library.configure_live_task()
    second = library.configure_live_task()
    client.stop(first["task_id"])  # behind the library's back
    library.stop_all_tasks()
    assert library.get_created_tasks() == []
    assert client.ack(second["task_id"]).json()["status"] == "stopped"


def test_stop_all_tasks_ignores_unknown_tasks(library: FocusApi) -> None:
    library.state.tasks["no-such-task"] = library.state.connections.current_alias
    library.stop_all_tasks()
    assert library.get_created_tasks() == []


def test_status_wait_says_what_it_saw(library: FocusApi) -> None:
    task = library.configure_live_task()
    library.stop_task(task)
    started = time.monotonic()
    with pytest.raises(AssertionError) as error:
        equals = AssertionOperator["=="]
        library.get_task_status(task, equals, "running", timeout=timedelta(seconds=10))
    assert time.monotonic() - started < 5, "a final status must end the wait early"
    message = str(error.value)
    assert f"for Task {task['task_id']} status equal 'running'" in message
    assert "last seen: 'stopped'" in message


def test_configure_with_unexpected_success_still_registers_the_task(library: FocusApi) -> None:
    with pytest.raises(AssertionError, match="answered 200, expected 400"):
        library.configure_task(build_payload(), expected_status=400)
    assert len(library.get_created_tasks()) == 1


def test_metadata_keyword_checks_the_formulas(library: FocusApi) -> None:
    payload = build_payload(nfft=256, overlap=64, frequency_min=100, frequency_max=200)
    task = library.configure_task(payload)
    library.task_metadata_should_match_configuration(task, payload, prr=constants.PRR)
    wrong = build_payload(nfft=256, overlap=32, frequency_min=100, frequency_max=200)
    with pytest.raises(AssertionError, match="time_resolution: expected"):
        library.task_metadata_should_match_configuration(task, wrong)


def test_configure_task_for_view_fills_in_what_the_view_needs(library: FocusApi) -> None:
    single = library.configure_task_for_view("SingleChannel", channel_min="42")
    channels = library.get_task_metadata(single)["channels"]
    assert channels == {"min": 42, "max": 42}
    live = library.configure_live_task(nfft="2048", view_type="Waterfall")
    metadata = library.get_task_metadata(live)
    assert (metadata["nfft"], metadata["viewType"]) == (2048, "Waterfall")
    with pytest.raises(ValueError, match="unknown configure field.*nffft"):
        library.configure_live_task(nffft="2048")


KILLED_RUN = """
import os, sys
from robot.api.types import Secret
from libraries.focus_api import FocusApi
lib = FocusApi()
lib.connect_to_focus_server(sys.argv[1], sys.argv[2], Secret(sys.argv[3]), ca_bundle=sys.argv[4])
print(lib.configure_live_task()["task_id"], flush=True)
os._exit(0)  # killed: no teardown, no Stop All Tasks
"""


def test_the_next_connection_stops_what_a_killed_run_left(
    twin: RunningTwin, client: FocusClient, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("FOCUS_TASK_LEDGER", str(tmp_path / "ledger.json"))
    focus = twin.endpoints["focus"]
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_RUN, focus["base_url"], twin.secrets["focus_user"]]
        + [twin.secrets["focus_password"], twin.endpoints["ca"]],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    task_id = killed.stdout.split()[-1]
    assert client.ack(task_id).json()["status"] in ("waiting", "running")
    lib = FocusApi()
    lib.connect_to_focus_server(
        focus["base_url"],
        twin.secrets["focus_user"],
        Secret(twin.secrets["focus_password"]),
        ca_bundle=twin.endpoints["ca"],
    )
    try:
        assert client.ack(task_id).json()["status"] == "stopped"
        assert task_id not in (tmp_path / "ledger.json").read_text()
    finally:
        lib.close_all_focus_connections()


def _connected(twin: RunningTwin) -> FocusApi:
    lib = FocusApi()
    lib.connect_to_focus_server(
        twin.endpoints["focus"]["base_url"],
        twin.secrets["focus_user"],
        Secret(twin.secrets["focus_password"]),
        ca_bundle=twin.endpoints["ca"],
    )
    return lib


def test_a_task_left_running_fails_the_capacity_check_naming_it_and_its_test(
    twin: RunningTwin, client: FocusClient, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("FOCUS_TASK_LEDGER", str(tmp_path / "ledger.json"))
    lib = _connected(twin)
    try:
        lib.no_task_should_be_active(timeout=timedelta(seconds=5))  # a clean start
        leaked = lib.configure_live_task()["task_id"]
        lib.state.tasks.clear()  # a teardown that forgot it
        lib.state.ledger.remove(client.base_url, leaked)
        lib.state.ledger.add(client.base_url, leaked, "Suites.Demo.Leaky Test")
        started = time.monotonic()
        with pytest.raises(AssertionError) as error:
            lib.no_task_should_be_active(timeout=timedelta(seconds=1))
        assert time.monotonic() - started < 5
        message = str(error.value)
        assert message.startswith("The capacity is not free: 1 task still waiting or running")
        assert f"  {leaked} (" in message
        assert "created by test 'Suites.Demo.Leaky Test'" in message
        assert message.endswith("Fix the test that left it: Suites.Demo.Leaky Test.")
        assert [t["task_id"] for t in lib.get_active_tasks()] == [leaked]
    finally:
        client.stop(leaked)
        lib.close_all_focus_connections()
    lib = _connected(twin)
    try:
        lib.no_task_should_be_active(timeout=timedelta(seconds=5))
    finally:
        lib.close_all_focus_connections()


ENDED_ENGINE = """
import os, sys
from libraries.focus_api.client import FocusClient
from libraries.focus_api.ledger import TaskLedger
from libraries.focus_api.models import build_payload
client = FocusClient(sys.argv[1], sys.argv[2], sys.argv[3], ca_bundle=sys.argv[4])
task_id = client.configure(build_payload()).json()["task_id"]
TaskLedger(owner=int(sys.argv[5])).add(client.base_url, task_id, "Suites.Load.Flood")
print(task_id, flush=True)
os._exit(0)  # an engine killed at its timeout: it stops nothing
"""


def test_stop_all_tasks_stops_what_an_ended_load_engine_left(
    twin: RunningTwin, client: FocusClient, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("FOCUS_TASK_LEDGER", str(tmp_path / "ledger.json"))
    focus = twin.endpoints["focus"]
    engine = subprocess.run(
        [sys.executable, "-c", ENDED_ENGINE, focus["base_url"], twin.secrets["focus_user"]]
        + [twin.secrets["focus_password"], twin.endpoints["ca"], str(os.getpid())],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    task_id = engine.stdout.split()[-1]
    lib = _connected(twin)  # its own process's engine: not a leftover of a killed run
    try:
        assert client.ack(task_id).json()["status"] in ("waiting", "running")
        lib.stop_all_tasks()
        assert client.ack(task_id).json()["status"] == "stopped"
        assert task_id not in (tmp_path / "ledger.json").read_text()
    finally:
        client.stop(task_id)
        lib.close_all_focus_connections()


def test_a_raw_configure_that_creates_a_task_registers_it(
    library: FocusApi, client: FocusClient
) -> None:
    response = library.send_raw_request("POST", "/configure", build_payload())
    task_id = response.json()["task_id"]
    assert library.get_created_tasks() == [task_id]
    library.stop_all_tasks()
    assert client.ack(task_id).json()["status"] == "stopped"
