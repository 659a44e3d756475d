"""The MongoDB keyword library driven against the MongoDB stand-in (python -m twin.mongo).

The database holds the recorder's seeded history (recordings with SEG-Y files, tasks,
alerts) and the contract's indexes and validators. Every check is shown both passing
on that history and failing once the data is broken by hand.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pymongo
import pytest
from assertionengine import AssertionOperator
from robot.api.types import Secret

from contract import constants
from libraries.mongodb import CleanupListener, MongoDB
from libraries.mongodb.keywords.base import MongoState
from libraries.mongodb.keywords.connection import ConnectionKeywords
from libraries.mongodb.keywords.documents import DocumentKeywords
from libraries.mongodb.keywords.layout import LayoutKeywords
from libraries.mongodb.keywords.recordings import RecordingKeywords
from libraries.mongodb.keywords.server import ServerKeywords
from tests.twin.mongo_fixtures import PASSWORD, USER, StandinProcess
from twin.segy_recorder.recorder import Recorder, RecorderSettings
from twin.segy_recorder.schema import VALIDATORS, ensure_schema

EQ = AssertionOperator["=="]


@dataclass
class Library:
    """The keyword components sharing one state, as the MongoDB class composes them."""

    state: MongoState
    connection: ConnectionKeywords
    layout: LayoutKeywords
    documents: DocumentKeywords
    recordings: RecordingKeywords
    server: ServerKeywords

    @classmethod
    def create(cls) -> Library:
        state = MongoState()
        return cls(
            state,
            ConnectionKeywords(state),
            LayoutKeywords(state),
            DocumentKeywords(state),
            RecordingKeywords(state),
            ServerKeywords(state),
        )

    def connect(self, port: int, alias: str = "") -> str:
        return self.connection.connect_to_mongodb(
            "127.0.0.1", port, USER, Secret(PASSWORD), alias=alias
        )


@dataclass
class History:
    standin: StandinProcess
    db: pymongo.database.Database
    root: Path
    settings: RecorderSettings

    def catch_up(self) -> None:
        """Record up to now, as the twin's running recorder does: the seeded history ends
        when the fixture ran, and "no gap until now" holds only if the recorder kept on."""
        Recorder(self.db, self.settings, threading.Event()).resume()


@pytest.fixture(scope="module")
def history(
    shared_standin: StandinProcess,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[History]:
    """The stand-in with the contract's layout and a day of seeded history."""
    root = tmp_path_factory.mktemp("segy")
    client = shared_standin.client(tz_aware=True)
    db = client[constants.MONGO_DATABASE]
    ensure_schema(db)
    settings = RecorderSettings(root=root, channel_count=4, samples=50, history=timedelta(days=1))
    Recorder(db, settings, threading.Event()).resume()
    try:
        yield History(shared_standin, db, root, settings)
    finally:
        client.close()


@pytest.fixture
def library(history: History) -> Iterator[Library]:
    lib = Library.create()
    lib.connect(history.standin.port)
    try:
        yield lib
    finally:
        lib.connection.close_all_mongodb_connections()


def complete_recording(history: History) -> dict:
    return history.db.recordings.find_one({"classification": "complete"}, sort=[("start_time", -1)])


# -- connections --------------------------------------------------------------------------
def test_wrong_password_fails_in_one_line_without_the_password(history: History) -> None:
    lib = Library.create()
    with pytest.raises(AssertionError) as failure:
        lib.connection.connect_to_mongodb(
            "127.0.0.1", history.standin.port, USER, Secret("wrong-pw-123")
        )
    assert "wrong-pw-123" not in str(failure.value) and "OperationFailure" in str(failure.value)
    assert not lib.state.connections


def test_uri_connection_and_switching(history: History, library: Library) -> None:
    uri = f"mongodb://{USER}:{PASSWORD}@127.0.0.1:{history.standin.port}/prisma?authSource=prisma"
    assert library.connection.connect_to_mongodb_with_uri(Secret(uri), alias="uri") == "uri"
    assert library.documents.count_documents("tasks") == history.db.tasks.count_documents({})
    assert (
        library.connection.switch_mongodb_connection(f"127.0.0.1:{history.standin.port}/prisma")
        == "uri"
    )
    library.connection.close_mongodb_connection("uri")
    assert set(library.state.connections) == {f"127.0.0.1:{history.standin.port}/prisma"}


# -- layout ---------------------------------------------------------------------------------
def test_indexes_match_spec_until_one_is_dropped(history: History, library: Library) -> None:
    library.layout.indexes_should_match_spec()
    assert library.layout.index_should_exist("recordings", "uuid", unique=True) == "uuid_1"
    history.db.recordings.drop_index("start_time_1_end_time_1")
    try:
        with pytest.raises(AssertionError, match=r"recordings \{start_time: 1, end_time: 1\}"):
            library.layout.indexes_should_match_spec()
        with pytest.raises(AssertionError, match="No index"):
            library.layout.index_should_exist("recordings", "start_time, end_time")
    finally:
        history.db.recordings.create_index([("start_time", 1), ("end_time", 1)])
    library.layout.indexes_should_match_spec("recordings")
    with pytest.raises(AssertionError, match="No index"):
        library.layout.index_should_exist("tasks", "status", unique=True)


def test_schema_matches_spec_until_the_validator_is_weakened(
    history: History, library: Library
) -> None:
    library.layout.schema_should_match_spec()
    weakened = {**VALIDATORS["alerts"], "required": ["alertId"]}
    history.db.command("collMod", "alerts", validator={"$jsonSchema": weakened})
    try:
        with pytest.raises(AssertionError, match="alerts: field 'severity' is not required"):
            library.layout.schema_should_match_spec()
    finally:
        history.db.command("collMod", "alerts", validator={"$jsonSchema": VALIDATORS["alerts"]})
    library.layout.collection_should_exist("alerts")
    with pytest.raises(AssertionError, match="does not exist"):
        library.layout.collection_should_exist("no_such_collection")


def test_validator_rejection_and_a_wrongly_accepted_document(
    history: History, library: Library
) -> None:
    reason = library.layout.insert_should_be_rejected_by_validator("recordings", {"uuid": "bad"})
    assert reason
    before = history.db.tasks.count_documents({})
    valid_task = {
        "task_id": f"t-{uuid.uuid4()}",
        "config": {},
        "status": "waiting",
        "created_at": datetime.now(UTC),
        "updated_at": datetime.now(UTC),
    }
    with pytest.raises(AssertionError, match="accepted an invalid document"):
        library.layout.insert_should_be_rejected_by_validator("tasks", valid_task)
    assert library.connection.delete_documents_created_by_tests() == 1
    assert history.db.tasks.count_documents({}) == before


# -- documents ------------------------------------------------------------------------------
def test_count_documents_asserts_and_polls(history: History, library: Library) -> None:
    total = history.db.alerts.count_documents({})
    assert library.documents.count_documents("alerts") == total
    library.documents.count_documents("recordings", '{"classification": "deleted"}', EQ, 2)
    with pytest.raises(AssertionError):
        library.documents.count_documents("alerts", None, EQ, total + 1)
    started = time.monotonic()
    with pytest.raises(AssertionError):
        library.documents.count_documents(
            "alerts", None, AssertionOperator[">"], total, timeout=timedelta(seconds=0.5)
        )
    assert 0.5 <= time.monotonic() - started < 3


def test_documents_should_satisfy_and_spec_schema(history: History, library: Library) -> None:
    condition = {"classId": {"$in": list(constants.ALERT_CLASSES)}, "severity": {"$in": [1, 2, 3]}}
    assert library.documents.documents_should_satisfy(
        "alerts", None, condition
    ) == history.db.alerts.count_documents({})
    scratch = f"scratch_{uuid.uuid4().hex[:8]}"
    library.documents.insert_test_document(scratch, {"classId": 105, "severity": 2})
    with pytest.raises(AssertionError, match=f"1 {scratch} document"):
        library.documents.documents_should_satisfy(scratch, {}, condition)
    for name in ("tasks", "alerts", "recordings"):
        assert library.documents.documents_should_match_spec_schema(name) > 0
    history.db.command("collMod", "tasks", validator={})
    try:
        library.documents.insert_test_document("tasks", {"task_id": "half", "status": "running"})
        with pytest.raises(AssertionError, match="1 of .* tasks document"):
            library.documents.documents_should_match_spec_schema("tasks")
    finally:
        library.connection.delete_documents_created_by_tests()
        history.db.command("collMod", "tasks", validator={"$jsonSchema": VALIDATORS["tasks"]})
        history.db.drop_collection(scratch)


def test_uniqueness_and_future_timestamps(history: History, library: Library) -> None:
    assert library.documents.values_should_be_unique("recordings", "uuid") > 0
    scratch = f"scratch_{uuid.uuid4().hex[:8]}"
    library.documents.insert_test_document(scratch, {"k": 1})
    library.documents.insert_test_document(scratch, {"k": 1})
    try:
        with pytest.raises(AssertionError, match="duplicate k"):
            library.documents.values_should_be_unique(scratch, "k")
        library.documents.timestamps_should_not_be_in_the_future(
            "alerts", ["alertTime", "received_at"]
        )
        future = datetime.now(UTC) + timedelta(minutes=5)
        library.documents.insert_test_document(scratch, {"when": future})
        with pytest.raises(AssertionError, match="timestamps after"):
            library.documents.timestamps_should_not_be_in_the_future(scratch, ["when"])
    finally:
        library.connection.delete_documents_created_by_tests()
        history.db.drop_collection(scratch)


def test_every_x_checks_fail_on_an_empty_set_unless_allowed(library: Library) -> None:
    """An empty collection satisfies any rule: each "every X" check refuses to pass on it
    unless the caller says min_documents=0."""
    empty = f"empty_{uuid.uuid4().hex[:8]}"
    documents = library.documents
    checks = {
        "satisfy": lambda **kw: documents.documents_should_satisfy(empty, {}, {"k": 1}, **kw),
        "unique": lambda **kw: documents.values_should_be_unique(empty, "k", **kw),
        "future": lambda **kw: documents.timestamps_should_not_be_in_the_future(
            empty, ["when"], **kw
        ),
    }
    for name, check in checks.items():
        with pytest.raises(AssertionError, match="fewer than min_documents=1"):
            check()
        assert check(min_documents=0) == 0, name
    with pytest.raises(AssertionError, match="fewer than min_documents=1"):
        documents.documents_should_match_spec_schema("alerts", {"alertId": "none"})
    assert (
        documents.documents_should_match_spec_schema("alerts", {"alertId": "none"}, min_documents=0)
        == 0
    )


def test_checksum_compares_before_and_after(library: Library) -> None:
    before = library.documents.get_collection_checksum("tasks")
    assert library.documents.get_collection_checksum("tasks") == before
    now = datetime.now(UTC)
    library.documents.insert_test_document(
        "tasks",
        {
            "task_id": f"t-{uuid.uuid4()}",
            "config": {},
            "status": "waiting",
            "created_at": now,
            "updated_at": now,
        },
    )
    assert library.documents.get_collection_checksum("tasks") != before
    library.connection.delete_documents_created_by_tests()
    assert library.documents.get_collection_checksum("tasks") == before


# -- recordings -----------------------------------------------------------------------------
def test_overlapping_recording_is_found(history: History, library: Library) -> None:
    assert library.recordings.find_overlapping_recordings() == []
    last = complete_recording(history)
    overlap = {
        **{k: v for k, v in last.items() if k != "_id"},
        "uuid": f"overlap-{uuid.uuid4()}",
        "start_time": last["end_time"] - timedelta(minutes=1),
        "end_time": last["end_time"] + timedelta(minutes=1),
    }
    library.documents.insert_test_document("recordings", overlap)
    pairs = library.recordings.find_overlapping_recordings()
    assert {last["uuid"], overlap["uuid"]} in [set(pair) for pair in pairs]
    library.connection.delete_documents_created_by_tests()
    assert library.recordings.find_overlapping_recordings() == []


def test_classification_and_segy_checks_see_a_missing_or_broken_file(
    history: History, library: Library
) -> None:
    root = str(history.root)
    # The seeded history has one invalid recording (twin/segy_recorder/history.py), which
    # the check reports as a finding unless allow_invalid=True.
    seeded = list(history.db.recordings.find({"classification": "invalid"}))
    assert len(seeded) == 1
    finding = rf"1 of \d+ recording\(s\) classified invalid.*{seeded[0]['uuid']}"
    with pytest.raises(AssertionError, match=finding):
        library.recordings.recording_classification_should_be_correct(root)
    checked = library.recordings.recording_classification_should_be_correct(
        root, allow_invalid=True
    )
    assert checked == history.db.recordings.count_documents({})
    assert library.recordings.complete_recordings_should_have_valid_segy_files(root) > 0
    last = complete_recording(history)
    path = history.root / last["file_path"]
    original = path.read_bytes()
    path.unlink()
    try:
        with pytest.raises(
            AssertionError,
            match=f"{last['uuid']}.*'stored': 'complete', 'rule': 'invalid'|{last['uuid']}",
        ):
            library.recordings.recording_classification_should_be_correct(root, allow_invalid=True)
        with pytest.raises(AssertionError, match="file is missing"):
            library.recordings.complete_recordings_should_have_valid_segy_files(root)
        path.write_bytes(original[:4000])
        with pytest.raises(AssertionError, match="not readable|traces"):
            library.recordings.complete_recordings_should_have_valid_segy_files(root)
    finally:
        path.write_bytes(original)
    library.recordings.complete_recordings_should_have_valid_segy_files(root)


def test_gap_in_the_history_is_found(history: History, library: Library) -> None:
    history.catch_up()
    assert library.recordings.recording_history_should_have_no_gaps(timedelta(seconds=5)) > 0
    middle = history.db.recordings.find_one(
        {"classification": "complete"}, sort=[("start_time", 1)], skip=5
    )
    history.db.recordings.delete_one({"_id": middle["_id"]})
    try:
        with pytest.raises(AssertionError, match="1 gap"):
            library.recordings.recording_history_should_have_no_gaps(timedelta(seconds=5))
    finally:
        history.db.recordings.insert_one(middle)


# -- server ---------------------------------------------------------------------------------
def test_metrics_and_connections_back_to_baseline(history: History, library: Library) -> None:
    before = library.server.get_server_metrics()
    assert before["connections"]["current"] >= 1 and "insert" in before["opcounters"]
    library.connect(history.standin.port, alias="second")
    library.documents.count_documents("alerts")
    during = library.server.get_server_metrics()
    assert during["connections"]["current"] > before["connections"]["current"]
    assert sum(during["opcounters"].values()) > sum(before["opcounters"].values())
    library.connection.close_mongodb_connection("second")
    library.server.connections_should_return_to_baseline(before, timeout=timedelta(seconds=10))
    extra = pymongo.MongoClient(
        "127.0.0.1",
        history.standin.port,
        username=USER,
        password=PASSWORD,
        authSource="prisma",
        serverSelectionTimeoutMS=2000,
    )
    try:
        extra.prisma.command("ping")
        with pytest.raises(AssertionError, match="for connections to return to .*; last seen: "):
            library.server.connections_should_return_to_baseline(
                before, timeout=timedelta(seconds=0.5)
            )
    finally:
        extra.close()


# -- outage and clean-up --------------------------------------------------------------------
def test_wait_until_unreachable_then_reachable(make_standin: Callable[..., StandinProcess]) -> None:
    standin = make_standin("outage").start(port=0)
    lib = Library.create()
    lib.connect(standin.port)
    try:
        standin.kill_9()
        assert lib.connection.wait_until_mongodb_is_unreachable(timedelta(seconds=5)) < 5
        with pytest.raises(
            AssertionError, match=r"timeout 1 s.* for MongoDB to become reachable; last seen: "
        ):
            lib.connection.wait_until_mongodb_is_reachable(timedelta(seconds=1))
        standin.start()
        assert lib.connection.wait_until_mongodb_is_reachable(timedelta(seconds=15)) < 15
        assert lib.documents.count_documents("anything") == 0
    finally:
        lib.connection.close_all_mongodb_connections()


def test_library_listener_removes_test_documents_even_after_a_failure(history: History) -> None:
    library = MongoDB()
    names = library.get_keyword_names()
    assert {
        "Connect To MongoDB",
        "Complete Recordings Should Have Valid SEG-Y Files",
        "count_documents",
    } <= set(names)
    library.run_keyword(
        "Connect To MongoDB", ["127.0.0.1", history.standin.port, USER, Secret(PASSWORD)], {}
    )
    marker = f"listener-{uuid.uuid4()}"
    library.run_keyword("insert_test_document", ["alerts_scratch", {"marker": marker}], {})
    assert history.db.alerts_scratch.count_documents({"marker": marker}) == 1
    (listener,) = [x for x in library.ROBOT_LIBRARY_LISTENER if isinstance(x, CleanupListener)]
    listener.end_test(None, None)
    assert history.db.alerts_scratch.count_documents({"marker": marker}) == 0
    library.run_keyword("insert_test_document", ["alerts_scratch", {"marker": marker}], {})
    listener.close()
    assert history.db.alerts_scratch.count_documents({"marker": marker}) == 0
    history.db.drop_collection("alerts_scratch")


# -- clean-up of the test's own documents only (issue 20, item 4) ----------------------------
SCRATCH = "pytest_own_data"  # no validator: any document shape


def test_delete_test_documents_deletes_only_the_tests_own(
    history: History, library: Library
) -> None:
    """Own ids and nothing else: a filter that would empty a collection, a foreign id, and the
    real site are refused before anything is deleted (outside Robot there is no test site)."""
    site = f"{constants.SITE_ID}.pytest-{uuid.uuid4().hex[:8]}"
    document = {"alertId": f"pytest-{uuid.uuid4()}", "siteId": site}
    own = library.documents.insert_test_document(SCRATCH, document)
    foreign = history.db[SCRATCH].insert_one({"alertId": f"other-{uuid.uuid4()}"}).inserted_id
    before = history.db[SCRATCH].count_documents({})
    try:
        for wanted in (
            {"_id": {"$exists": True}},
            {"_id": str(foreign)},
            {"siteId": constants.SITE_ID},
            {"siteId": site},  # not the running test's own site: no test is running
            {"alertId": document["alertId"]},
        ):
            with pytest.raises(RuntimeError, match=f"Refused to delete from {SCRATCH}"):
                library.documents.delete_test_documents(SCRATCH, wanted)
        assert history.db[SCRATCH].count_documents({}) == before
        assert library.documents.delete_test_documents(SCRATCH, {"_id": own}) == 1
        assert history.db[SCRATCH].count_documents({}) == before - 1
    finally:
        history.db[SCRATCH].delete_one({"_id": foreign})
