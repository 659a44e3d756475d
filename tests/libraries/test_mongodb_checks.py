"""Pure parts of the MongoDB library: the spec file, the data-quality checks, the checksum."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from contract import constants
from libraries.mongodb import checks, spec
from libraries.mongodb.client import IndexInfo
from twin.segy_recorder.schema import VALIDATORS
from twin.segy_recorder.segyfile import write_segy

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=3)


def recording(uuid: str, start_h: float, end_h: float | None, **extra: object) -> dict:
    end = T0 + timedelta(hours=end_h) if end_h is not None else None
    document = {
        "uuid": uuid,
        "start_time": T0 + timedelta(hours=start_h),
        "end_time": end,
        "file_path": f"{uuid}.sgy",
        "channel_count": 8,
        "classification": "complete",
        "deleted": False,
    }
    document.update(extra)
    return document


# -- spec ---------------------------------------------------------------------------------
def test_spec_resolves_constants_and_lists_contract_indexes() -> None:
    collections = spec.load_spec()
    assert set(collections) == {"recordings", "tasks", "alerts"}
    alerts = collections["alerts"].schema["properties"]
    assert alerts["classId"]["enum"] == list(constants.ALERT_CLASSES)
    assert alerts["dofM"]["maximum"] == constants.FIBRE_LENGTH_M
    described = [index.describe() for index in collections["recordings"].indexes]
    assert described == [
        "{uuid: 1} unique",
        "{start_time: 1}",
        "{end_time: 1}",
        "{start_time: 1, end_time: 1}",
    ]


@pytest.mark.parametrize(
    ("keys", "pattern"),
    [
        ("uuid", (("uuid", 1),)),
        ("start_time, end_time", (("start_time", 1), ("end_time", 1))),
        ("alertTime:-1", (("alertTime", -1),)),
        (["a", "b:-1"], (("a", 1), ("b", -1))),
        ({"a": 1, "b": -1}, (("a", 1), ("b", -1))),
    ],
)
def test_index_keys_notations(keys: object, pattern: tuple) -> None:
    assert spec.index_keys(keys) == pattern


def test_missing_indexes_names_the_dropped_one_and_needs_uniqueness() -> None:
    wanted = spec.load_spec()["tasks"]
    present = [
        IndexInfo("task_id_1", (("task_id", 1),), True),
        IndexInfo("status_1", (("status", 1),), False),
    ]
    assert spec.missing_indexes(wanted, present) == []
    assert [i.describe() for i in spec.missing_indexes(wanted, present[:1])] == ["{status: 1}"]
    not_unique = [IndexInfo("task_id_1", (("task_id", 1),), False), present[1]]
    assert [i.describe() for i in spec.missing_indexes(wanted, not_unique)] == [
        "{task_id: 1} unique"
    ]


def test_schema_differences_against_the_twin_validators() -> None:
    collections = spec.load_spec()
    for name, schema in VALIDATORS.items():
        assert spec.schema_differences(collections[name].schema, {"$jsonSchema": schema}) == []
    weakened = {**VALIDATORS["alerts"], "required": ["alertId"]}
    problems = spec.schema_differences(collections["alerts"].schema, {"$jsonSchema": weakened})
    assert "field 'severity' is not required by the validator" in problems
    assert spec.schema_differences(collections["alerts"].schema, {}) == [
        "the collection has no $jsonSchema validator"
    ]


def test_document_errors_sees_nested_missing_fields_and_bad_values() -> None:
    schema = spec.load_spec()["tasks"].schema
    task = {
        "task_id": "t",
        "config": {
            "timeStatus": "Live",
            "viewType": "ROI",
            "nfft": 1024,
            "channels": {"min": 1, "max": 2},
        },
        "status": "running",
        "created_at": T0,
        "updated_at": T0,
    }
    assert spec.document_errors(task, schema) == ["config.frequencyRange: missing"]
    task["config"]["frequencyRange"] = {"min": 0, "max": 10}
    assert spec.document_errors(task, schema) == []
    task["status"] = "lost"
    assert spec.document_errors(task, schema) == [
        f"status: 'lost' is not one of {list(constants.TASK_STATUSES)}"
    ]


# -- recordings -----------------------------------------------------------------------------
def test_classification_rule(tmp_path: Path) -> None:
    (tmp_path / "present.sgy").write_bytes(b"x")
    rule = checks.expected_classification
    assert rule(recording("present", 0, 1), tmp_path) == "complete"
    assert rule(recording("absent", 0, 1), tmp_path) == "invalid"
    assert rule(recording("present", 1, 1), tmp_path) == "invalid"
    assert rule(recording("present", 0, None), tmp_path) == "in_progress"
    assert rule(recording("present", 0, 1, deleted=True), tmp_path) == "deleted"
    assert (
        rule(recording("x", 0, 1, file_path=str(tmp_path / "present.sgy")), "/nowhere")
        == "complete"
    )


def test_overlaps_ignore_touching_deleted_and_invalid() -> None:
    recordings = [
        recording("a", 0, 1),
        recording("b", 1, 2),
        recording("c", 0.5, 1.5, deleted=True, classification="deleted"),
        recording("d", 0.5, 1.5, classification="invalid"),
    ]
    assert checks.overlapping_pairs(checks.live_intervals(recordings, NOW)) == []
    recordings.append(recording("e", 1.5, 2.5))
    assert checks.overlapping_pairs(checks.live_intervals(recordings, NOW)) == [("b", "e")]


def test_in_progress_recording_runs_until_now() -> None:
    recordings = [
        recording("live", 2, None, classification="in_progress"),
        recording("late", 2.5, 2.6),
    ]
    assert checks.overlapping_pairs(checks.live_intervals(recordings, NOW)) == [("live", "late")]


def test_gaps_beyond_tolerance() -> None:
    recordings = [recording("a", 0, 1), recording("b", 1.001, 2), recording("c", 2, None)]
    assert checks.gaps(recordings, NOW, timedelta(seconds=5)) == []
    assert checks.gaps(recordings, NOW, timedelta(seconds=1)) == [
        (T0 + timedelta(hours=1), T0 + timedelta(hours=1.001))
    ]
    stale = [recording("a", 0, 1)]
    assert checks.gaps(stale, NOW, timedelta(minutes=1)) == [(T0 + timedelta(hours=1), NOW)]


def test_segy_problem(tmp_path: Path) -> None:
    path = tmp_path / "r.sgy"
    assert "missing" in checks.segy_problem(path, 8)
    write_segy(path, 8, 50, T0, seed=1)
    assert checks.segy_problem(path, 8) is None
    assert "8 traces, channel_count is 9" in checks.segy_problem(path, 9)
    path.write_bytes(path.read_bytes()[:3000])
    assert "not readable" in checks.segy_problem(path, 8)


def test_duplicates_and_future_timestamps() -> None:
    assert checks.duplicates(["a", "b", "a"]) == {"a": 2}
    document = {"start_time": NOW + timedelta(seconds=1), "end_time": NOW, "other": "x"}
    assert checks.in_future(document, ["start_time", "end_time", "missing"], NOW) == ["start_time"]


def test_checksum_is_order_independent_and_sees_changes() -> None:
    documents = [recording("a", 0, 1), recording("b", 1, 2)]
    assert checks.checksum(documents) == checks.checksum(list(reversed(documents)))
    changed = [recording("a", 0, 1), recording("b", 1, 2.5)]
    assert checks.checksum(documents) != checks.checksum(changed)
    assert checks.checksum(documents, ["end_time"]) == checks.checksum(changed, ["end_time"])
