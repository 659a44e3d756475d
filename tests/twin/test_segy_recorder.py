"""The ``segy-recorder`` workload (twin/segy_recorder) against the MongoDB stand-in.

Covers: SEG-Y files readable with segyio and holding ``channel_count`` traces; the
contract's classification rule on every document; the seeded history (deleted, invalid,
one in progress, tasks and alerts) seeded once only; the contract's indexes and
validators; a clean SIGTERM exit; resume after SIGKILL with no overlap and no gap; and
no recorder process left behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import mongomock
import psutil
import pymongo
import pytest
import segyio

from contract import constants
from libraries.mongodb import checks
from tests.twin.mongo_fixtures import PASSWORD, USER, StandinProcess
from twin import config, processes
from twin.segy_recorder import segyfile
from twin.segy_recorder.probe import probe_segy_recorder
from twin.segy_recorder.recorder import Recorder, RecorderSettings
from twin.segy_recorder.schema import INDEXES, VALIDATORS

CHANNELS = 8
SAMPLES = 200
CADENCE_S = 0.5
HISTORY_DAYS = 0.5  # 12 one-hour recordings: 1 deleted, 1 invalid
WAIT_S = 20.0


def recorder_children() -> list[psutil.Process]:
    """Recorder processes started by these tests that are still alive.

    Pods of a whole twin (the session's ``twin`` fixture) carry the twin's marker and
    are the supervisor's to stop, not these tests'.
    """
    alive = []
    for child in psutil.Process().children(recursive=True):
        try:
            if (
                "twin.segy_recorder" in " ".join(child.cmdline())
                and child.status() != "zombie"
                and processes.MARKER not in child.environ()
            ):
                alive.append(child)
        except psutil.NoSuchProcess:
            continue
    return alive


class RecorderRig:
    """A stand-in, a twin directory pointing at it, and recorder processes."""

    def __init__(self, standin: StandinProcess, base: Path) -> None:
        self.standin = standin
        self.base = base
        self.processes: list[subprocess.Popen[bytes]] = []
        config.write_json(
            base / config.ENDPOINTS_FILE,
            {"host": config.HOST, "mongo": {"port": standin.port, "database": "prisma"}},
        )
        config.write_json(
            base / config.SECRETS_FILE,
            {"mongo_user": USER, "mongo_password": PASSWORD},
            private=True,
        )
        self.client = standin.client(tz_aware=True)
        self.db = self.client[constants.MONGO_DATABASE]
        self.root = config.workload_dir(constants.SEGY_RECORDER_WORKLOAD, base)

    def start(self) -> subprocess.Popen[bytes]:
        log = open(self.base / "recorder.log", "ab")  # noqa: SIM115 - owned by the process
        process = subprocess.Popen(
            [sys.executable, "-m", "twin.segy_recorder", "--cadence", str(CADENCE_S)]
            + ["--channels", str(CHANNELS), "--samples", str(SAMPLES)]
            + ["--history-days", str(HISTORY_DAYS), "--seed-tasks", "5", "--seed-alerts", "7"],
            cwd=config.REPO_ROOT,
            env=dict(os.environ, FOCUS_TWIN_DIR=str(self.base)),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.processes.append(process)
        return process

    def log_text(self) -> str:
        return (self.base / "recorder.log").read_text(errors="replace")

    def recordings(self) -> list[dict[str, Any]]:
        return list(self.db.recordings.find({}, sort=[("start_time", pymongo.ASCENDING)]))

    def wait_for(self, what: str, predicate: Callable[[], bool], timeout: float = WAIT_S) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.05)
        raise AssertionError(
            f"timed out after {timeout} s waiting for {what}; log:\n{self.log_text()[-2000:]}"
        )

    def count_complete_live(self) -> int:
        """Complete recordings shorter than a minute: the live ones (history is hourly)."""
        return sum(
            1
            for r in self.recordings()
            if r["classification"] == "complete"
            and r["end_time"] - r["start_time"] < timedelta(minutes=1)
        )

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=10)
        self.client.close()


@pytest.fixture
def rig(make_standin: Callable[..., StandinProcess], tmp_path: Path) -> Iterator[RecorderRig]:
    standin = make_standin().start(port=0)
    base = tmp_path / "twin"
    base.mkdir()
    rig = RecorderRig(standin, base)
    try:
        yield rig
    finally:
        rig.stop()
    assert not recorder_children(), "a recorder process survived its test"


def assert_history_is_sound(rig: RecorderRig) -> None:
    """The data-quality rules the suite checks, applied to the rig's database."""
    recordings = rig.recordings()
    now = datetime.now(UTC)
    for recording in recordings:
        assert recording["classification"] == checks.expected_classification(recording, rig.root), (
            recording
        )
    assert checks.overlapping_pairs(checks.live_intervals(recordings, now)) == []
    assert checks.gaps(recordings, now, timedelta(seconds=CADENCE_S * 4)) == []
    assert checks.duplicates(r["uuid"] for r in recordings) == {}
    for recording in recordings:
        if recording["classification"] == "complete":
            path = checks.resolve(rig.root, recording["file_path"])
            assert checks.segy_problem(path, recording["channel_count"]) is None


def test_history_is_seeded_with_readable_segy_files(rig: RecorderRig) -> None:
    process = rig.start()
    rig.wait_for("two live recordings", lambda: rig.count_complete_live() >= 2)
    recordings = rig.recordings()
    classes = [r["classification"] for r in recordings]
    assert classes.count("deleted") == 1 and classes.count("invalid") == 1
    assert classes.count("in_progress") <= 1
    assert rig.db.tasks.count_documents({}) == 5 and rig.db.alerts.count_documents({}) == 7
    complete = [r for r in recordings if r["classification"] == "complete"]
    with segyio.open(str(rig.root / complete[-1]["file_path"]), ignore_geometry=True) as handle:
        assert handle.tracecount == CHANNELS == complete[-1]["channel_count"]
        assert handle.bin[segyio.BinField.Samples] == SAMPLES
        assert handle.bin[segyio.BinField.Interval] == 1_000_000 // constants.PRR
        assert len(handle.trace[CHANNELS - 1]) == SAMPLES
    assert_history_is_sound(rig)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0


def test_sigterm_closes_the_current_recording(
    rig: RecorderRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FOCUS_TWIN_DIR", str(rig.base))
    assert not probe_segy_recorder({}, {})
    process = rig.start()
    rig.wait_for("the readiness probe", lambda: probe_segy_recorder({}, {}))
    assert rig.db.recordings.count_documents({"classification": "in_progress"}) == 1
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0
    assert not probe_segy_recorder({}, {})
    assert rig.db.recordings.count_documents({"classification": "in_progress"}) == 0
    assert_history_is_sound(rig)


def test_restart_does_not_seed_again(rig: RecorderRig) -> None:
    first = rig.start()
    rig.wait_for("a live recording", lambda: rig.count_complete_live() >= 1)
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=10) == 0
    before = {r["uuid"] for r in rig.recordings()}
    second = rig.start()
    rig.wait_for(
        "a live recording of the second run",
        lambda: any(
            r["uuid"] not in before and r["classification"] == "complete" for r in rig.recordings()
        ),
    )
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=10) == 0
    after = rig.recordings()
    assert before <= {r["uuid"] for r in after}
    assert [r["classification"] for r in after].count("deleted") == 1
    assert rig.db.tasks.count_documents({}) == 5 and rig.db.alerts.count_documents({}) == 7
    assert_history_is_sound(rig)


def test_resume_after_sigkill_has_no_overlap_and_no_gap(
    rig: RecorderRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FOCUS_TWIN_DIR", str(rig.base))
    first = rig.start()
    rig.wait_for(
        "a recording in progress",
        lambda: (
            rig.count_complete_live() >= 1
            and rig.db.recordings.count_documents({"classification": "in_progress"}) == 1
        ),
    )
    dangling = rig.db.recordings.find_one({"classification": "in_progress"})
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert not probe_segy_recorder({}, {}), "a killed recorder must not look ready"
    second = rig.start()
    rig.wait_for(
        "the dangling recording closed",
        lambda: (
            rig.db.recordings.find_one({"uuid": dangling["uuid"]})["classification"]
            != "in_progress"
        ),
    )
    rig.wait_for(
        "a new live recording after it",
        lambda: (
            rig.db.recordings.count_documents(
                {"start_time": {"$gt": dangling["start_time"]}, "classification": "complete"}
            )
            >= 1
        ),
    )
    closed = rig.db.recordings.find_one({"uuid": dangling["uuid"]})
    assert closed["classification"] in ("invalid", "complete")
    assert closed["end_time"] > closed["start_time"]
    assert not list(rig.root.rglob("*" + segyfile.PART_SUFFIX))
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=10) == 0
    assert_history_is_sound(rig)


def test_schema_creates_the_contract_indexes_and_validators(rig: RecorderRig) -> None:
    rig.db.create_collection("alerts")  # exists already: the validator comes by collMod
    process = rig.start()
    rig.wait_for(
        "a recording in progress",
        lambda: rig.db.recordings.count_documents({"classification": "in_progress"}) == 1,
    )
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0
    for name, indexes in INDEXES.items():
        listed = {
            tuple(index["key"]): bool(index.get("unique")) for index in rig.db[name].list_indexes()
        }
        for fields, unique in indexes:
            assert listed.get(tuple(fields)) == unique, (name, fields, listed)
    for name, schema in VALIDATORS.items():
        options = next(rig.db.list_collections(filter={"name": name}))["options"]
        assert options["validator"] == {"$jsonSchema": schema}
    with pytest.raises(pymongo.errors.WriteError):
        rig.db.alerts.insert_one({"alertId": "x", "classId": 999})


def _in_memory_recorder(tmp_path: Path) -> tuple[Recorder, Any]:
    db = mongomock.MongoClient(tz_aware=True)["prisma"]
    settings = RecorderSettings(
        root=tmp_path,
        cadence=timedelta(seconds=CADENCE_S),
        channel_count=CHANNELS,
        samples=SAMPLES,
        history=timedelta(hours=3),
    )
    return Recorder(db, settings, threading.Event()), db


def test_dangling_recording_with_a_partial_file_becomes_invalid(tmp_path: Path) -> None:
    recorder, db = _in_memory_recorder(tmp_path)
    start = recorder.resume()
    dangling = {
        "uuid": "u1",
        "start_time": start,
        "end_time": None,
        "file_path": segyfile.relative_path(start, "u1"),
        "channel_count": CHANNELS,
        "classification": "in_progress",
        "deleted": False,
    }
    db.recordings.insert_one(dangling)
    part = tmp_path / (dangling["file_path"] + segyfile.PART_SUFFIX)
    part.parent.mkdir(parents=True, exist_ok=True)
    part.write_bytes(b"\0" * 3600)
    resumed = Recorder(db, recorder.settings, threading.Event()).resume()
    closed = db.recordings.find_one({"uuid": "u1"})
    assert closed["classification"] == "invalid" and not part.exists()
    assert checks.as_utc(closed["end_time"]) <= resumed


def test_dangling_recording_with_a_whole_file_becomes_complete(tmp_path: Path) -> None:
    recorder, db = _in_memory_recorder(tmp_path)
    start = recorder.resume()
    dangling = {
        "uuid": "u2",
        "start_time": start,
        "end_time": None,
        "file_path": segyfile.relative_path(start, "u2"),
        "channel_count": CHANNELS,
        "classification": "in_progress",
        "deleted": False,
    }
    db.recordings.insert_one(dangling)
    segyfile.write_segy(tmp_path / dangling["file_path"], CHANNELS, SAMPLES, start, seed=1)
    Recorder(db, recorder.settings, threading.Event()).resume()
    assert db.recordings.find_one({"uuid": "u2"})["classification"] == "complete"


def test_truncated_segy_file_is_not_complete(tmp_path: Path) -> None:
    path = tmp_path / "a.sgy"
    segyfile.write_segy(path, CHANNELS, SAMPLES, datetime.now(UTC), seed=1)
    assert segyfile.is_complete(path, CHANNELS) and not segyfile.is_complete(path, CHANNELS + 1)
    path.write_bytes(path.read_bytes()[: 3600 + 240 + 100])
    assert not segyfile.is_complete(path, CHANNELS)


def test_recorder_waits_for_mongodb_then_records(rig: RecorderRig) -> None:
    rig.standin.terminate()
    process = rig.start()
    rig.wait_for(
        "the recorder to wait for MongoDB", lambda: "waiting for MongoDB" in rig.log_text()
    )
    assert process.poll() is None, f"the recorder gave up:\n{rig.log_text()[-1000:]}"
    rig.standin.start()
    rig.wait_for(
        "a recording in progress",
        lambda: rig.db.recordings.count_documents({"classification": "in_progress"}) == 1,
    )
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0
