"""Checks of the recordings in a tester's time range, and the last recorded range."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from libraries.focus_api.keywords.recordings import last_recorded_range
from libraries.mongodb import ranges
from libraries.mongodb.ranges import Expectation
from twin.segy_recorder.segyfile import write_segy

T0 = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
CHANNELS = 8


def recording(uuid: str, start: datetime, end: datetime | None, classification: str, **extra):
    return {
        "uuid": uuid,
        "start_time": start.replace(tzinfo=None),  # as pymongo reads BSON dates
        "end_time": end.replace(tzinfo=None) if end else None,
        "file_path": f"{uuid}.sgy",
        "channel_count": CHANNELS,
        "classification": classification,
        "deleted": classification == "deleted",
        **extra,
    }


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path


def with_file(root: Path, document: dict) -> dict:
    write_segy(root / document["file_path"], CHANNELS, 16, T0, seed=1)
    return document


def check(expectation, recordings, root, start=T0, end=T0 + timedelta(minutes=5), **options):
    return ranges.check(expectation, recordings, start, end, root, **options)


def test_a_complete_recording_with_its_file_passes_every_check(root: Path):
    good = with_file(
        root, recording("a", T0 - timedelta(minutes=30), T0 + timedelta(hours=1), "complete")
    )
    for expectation in Expectation:
        report = check(expectation, [good], root)
        assert report.failures() == [], expectation
        assert report.checked == 1
        assert report.summary().startswith(
            "Checked 1 of 1 recording(s) between 2026-11-21T10:00:00Z"
        )


def test_a_recording_in_range_without_its_file_fails_naming_the_cause(root: Path):
    lost = recording("b", T0, T0 + timedelta(hours=1), "complete")  # no file written
    segy = check(Expectation.SHOULD_HAVE_VALID_SEGY_FILES, [lost], root)
    assert segy.failures() == [
        "b (2026-11-21T10:00:00Z..2026-11-21T11:00:00Z, complete): "
        f"{root / 'b.sgy'}: file is missing"
    ]
    classified = check(Expectation.SHOULD_BE_CLASSIFIED_CORRECTLY, [lost], root)
    assert classified.failures()[0].endswith(
        f"classified complete, the rule gives invalid (its file {root / 'b.sgy'} is missing)"
    )
    complete = check(Expectation.SHOULD_BE_COMPLETE, [lost], root)
    assert "classified complete, but its file" in complete.failures()[0]
    # allow_invalid lets through what the system itself classified invalid, never this
    assert check(Expectation.SHOULD_BE_COMPLETE, [lost], root, allow_invalid=True).failures()


def test_invalid_is_a_finding_unless_allowed_and_then_shown(root: Path):
    bad = recording("c", T0, T0 + timedelta(hours=1), "invalid")
    for expectation in Expectation:
        report = check(expectation, [bad], root)
        assert report.failures() and "invalid" in report.failures()[0], expectation
        allowed = check(expectation, [bad], root, allow_invalid=True)
        assert allowed.failures() == [] and allowed.of(ranges.ALLOWED), expectation
        assert "1 invalid (allowed): c (" in allowed.summary()


def test_skipped_recordings_are_counted_and_said_why(root: Path):
    gone = recording("d", T0 - timedelta(hours=1), T0 + timedelta(minutes=1), "deleted")
    live = recording("e", T0 + timedelta(minutes=1), None, "in_progress")
    report = check(Expectation.SHOULD_HAVE_VALID_SEGY_FILES, [gone, live], root)
    assert report.failures() == []
    assert report.checked == 0
    assert [row.detail for row in report.of(ranges.SKIPPED)] == [
        "deleted: no file is expected",
        "still recording: its file is not final yet",
    ]
    assert "skipped 2: d (" in report.summary()
    assert "<td>skipped</td>" in report.html_table()


def test_should_be_complete_finds_a_gap_and_a_deleted_recording(root: Path):
    first = with_file(root, recording("f", T0, T0 + timedelta(minutes=2), "complete"))
    later = with_file(
        root, recording("g", T0 + timedelta(minutes=3), T0 + timedelta(minutes=9), "complete")
    )
    report = check(Expectation.SHOULD_BE_COMPLETE, [first, later], root)
    assert report.failures() == [
        "no recording covers 2026-11-21T10:02:00Z..2026-11-21T10:03:00Z (60 s)"
    ]
    gone = recording("h", T0 + timedelta(minutes=2), T0 + timedelta(minutes=3), "deleted")
    report = check(Expectation.SHOULD_BE_COMPLETE, [first, gone, later], root)
    assert any("deleted: its data is gone" in line for line in report.failures())


def test_last_recorded_range_spans_consecutive_recordings_and_says_when_short():
    def listed(start: datetime, seconds: float, classification: str = "complete") -> dict:
        end = start + timedelta(seconds=seconds)
        return {
            "uuid": str(start),
            "start_time": start.isoformat().replace("+00:00", "Z"),
            "end_time": end.isoformat().replace("+00:00", "Z"),
            "classification": classification,
        }

    tens = [listed(T0 + timedelta(seconds=10 * i), 10) for i in range(5)]  # 10:00:00..10:00:50
    start, end, _ = last_recorded_range(tens, timedelta(seconds=30))
    assert (start, end) == (T0 + timedelta(seconds=20), T0 + timedelta(seconds=50))
    # a restart left a gap at 10:00:30: only 20 s are uninterrupted
    gap = tens[:3] + [listed(T0 + timedelta(seconds=35), 15)]
    start, end, since = last_recorded_range(gap, timedelta(seconds=30))
    assert (start, end) == (T0 + timedelta(seconds=35), T0 + timedelta(seconds=50))
    assert since == "2026-11-21T10:00:35Z"
    with pytest.raises(AssertionError, match="No complete recording"):
        last_recorded_range([listed(T0, 10, "invalid")], timedelta(seconds=30))
