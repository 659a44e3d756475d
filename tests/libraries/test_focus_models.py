"""Unit tests of the Focus API models, explain_invalid and the metadata calculations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from contract import constants
from libraries.focus_api import models


def past(seconds: int) -> str:
    return models.format_utc(datetime.now(UTC) - timedelta(seconds=seconds))


def future(seconds: int) -> str:
    return models.format_utc(datetime.now(UTC) + timedelta(seconds=seconds))


def test_default_payload_is_valid_and_matches_the_seeds() -> None:
    payload = models.build_payload()
    assert models.explain_invalid(payload) == []
    assert payload["nfft"] == constants.DEFAULT_NFFT
    assert payload["channels"] == {"min": 11, "max": 109}
    assert "overlap" not in payload


def test_build_payload_does_not_validate() -> None:
    payload = models.build_payload(nfft="abc", channel_min=-5)
    assert payload["nfft"] == "abc"
    assert payload["channels"]["min"] == -5


@pytest.mark.parametrize("view", constants.VIEW_TYPES)
def test_every_power_of_two_in_range_is_valid(view: str) -> None:
    low, high = constants.nfft_range(view)
    for nfft in constants.powers_of_two(low, high):
        payload = models.build_payload(view_type=view, nfft=nfft, channel_max=11)
        assert models.explain_invalid(payload) == [], nfft


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"time_status": "Later"}, "timeStatus"),
        ({"view_type": "Spectrogram"}, "viewType"),
        ({"nfft": 64}, "nfft"),
        ({"nfft": 8192}, "nfft"),
        ({"nfft": 1000}, "nfft"),
        ({"nfft": "1024"}, "nfft"),
        ({"view_type": "SingleChannel", "nfft": 131072, "channel_max": 11}, "nfft"),
        ({"overlap": 1024}, "overlap"),
        ({"overlap": -1}, "overlap"),
        ({"channel_min": 0}, "channels"),
        ({"channel_max": constants.SENSORS_RANGE + 1}, "channels"),
        ({"channel_min": 50, "channel_max": 40}, "channels"),
        ({"view_type": "SingleChannel", "channel_min": 50, "channel_max": 51}, "channels"),
        ({"frequency_min": 500, "frequency_max": 500}, "frequencyRange"),
        ({"frequency_max": constants.FREQUENCY_MAX + 1}, "frequencyRange"),
        ({"frequency_min": -1}, "frequencyRange"),
        ({"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T00:01:00Z"}, "startTime"),
    ],
)
def test_invalid_payload_names_the_field(overrides: dict, field: str) -> None:
    payload = models.build_payload(**overrides)
    reasons = models.explain_invalid(payload)
    assert reasons, overrides
    assert models.invalid_field(payload) == field, reasons


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (None, None, "startTime"),
        ("future", "future2", "endTime"),
        ("past", "past", "startTime"),
        ("2026-11-22 08:00", "past", "startTime"),
    ],
)
def test_historic_time_rules(start: str | None, end: str | None, field: str) -> None:
    moments = {"past": past(60), "future": future(3600), "future2": future(7200)}
    payload = models.build_payload(
        time_status="Historic", start=moments.get(start, start), end=moments.get(end, end)
    )
    assert models.invalid_field(payload) == field, models.explain_invalid(payload)


def test_historic_in_the_past_is_valid() -> None:
    payload = models.build_payload(time_status="Historic", start=past(120), end=past(60))
    assert models.explain_invalid(payload) == []


def test_single_channel_with_equal_bounds_is_valid() -> None:
    payload = models.build_payload(view_type="SingleChannel", channel_min=7, channel_max=7)
    assert models.explain_invalid(payload) == []


def test_unknown_field_is_refused() -> None:
    payload = models.build_payload() | {"colour": "red"}
    assert models.explain_invalid(payload) == ["colour: Extra inputs are not permitted"]


def test_calculations_follow_the_contract() -> None:
    assert models.channel_count(11, 109) == 99
    assert models.frequency_resolution(1024, 2000) == pytest.approx(1.953125)
    assert models.time_resolution(1024, 512, 2000) == pytest.approx(0.256)
    # bins k in 0..512 with 0 <= k * 1.953125 <= 500: k = 0..256
    assert models.frequency_bins(1024, 0, 500, 2000) == 257
    # the whole band 0..1000 Hz is every bin 0..nfft/2
    assert models.frequency_bins(128, 0, 1000, 2000) == 65
    # 100..200 Hz at 15.625 Hz per bin: k = 7..12 (109.375 .. 187.5)
    assert models.frequency_bins(128, 100, 200, 2000) == 6


def test_expected_metadata_defaults_overlap_to_half_nfft() -> None:
    expected = models.expected_metadata(models.build_payload(nfft=2048), constants.PRR)
    assert expected["overlap"] == 1024
    assert expected["time_resolution"] == pytest.approx(0.512)


def test_metadata_mismatches_reports_each_wrong_field() -> None:
    payload = models.build_payload()
    metadata = payload | models.expected_metadata(payload, constants.PRR)
    assert models.metadata_mismatches(metadata, payload, constants.PRR) == []
    metadata["channel_count"] = 98
    metadata["viewType"] = "ROI"
    problems = models.metadata_mismatches(metadata, payload, constants.PRR)
    assert problems == [
        "channel_count: expected 99, got 98",
        "viewType: expected 'MultiChannel', got 'ROI'",
    ]


def full_metadata(**overrides: object) -> dict:
    payload = models.build_payload()
    return (
        payload
        | models.expected_metadata(payload, constants.PRR)
        | {
            "task_id": "t1",
            "prr": constants.PRR,
            "stream": {"host": "127.0.0.1", "port": 5000},
            "status": "running",
            "created_at": past(1),
        }
        | overrides
    )


def test_task_metadata_requires_every_field() -> None:
    models.TaskMetadata.model_validate(full_metadata())
    broken = full_metadata()
    del broken["frequency_bins"]
    with pytest.raises(ValidationError, match="frequency_bins"):
        models.TaskMetadata.model_validate(broken)


def test_historic_metadata_requires_times() -> None:
    with pytest.raises(ValidationError, match="startTime and endTime"):
        models.TaskMetadata.model_validate(full_metadata(timeStatus="Historic"))


def test_waterfall_rows_must_be_finite() -> None:
    row = {"timestamp": past(1), "values": [1.0, float("nan")]}
    with pytest.raises(ValidationError, match="not finite"):
        models.WaterfallRow.model_validate(row)


def test_error_body_and_alert_models() -> None:
    body = models.ErrorBody.model_validate(
        {"error": {"code": "INVALID", "message": "bad", "field": "nfft"}}
    )
    assert body.error.field == "nfft"
    with pytest.raises(ValidationError):
        models.ErrorBody.model_validate({"detail": "bad"})
    alert = {"alertId": "a", "classId": 104, "severity": 3, "dofM": 4120, "alertTime": past(1)}
    models.Alert.model_validate(alert)
    with pytest.raises(ValidationError):
        models.Alert.model_validate(alert | {"severity": 4})


def test_numbers_as_strings_are_refused() -> None:
    payload = models.build_payload()
    payload["frequencyRange"] = {"min": "0", "max": "500"}
    assert models.invalid_field(payload) == "frequencyRange"


def test_tester_times_read_as_utc_instants():
    from datetime import UTC, datetime

    from libraries.common.times import moment_at

    now = datetime(2026, 11, 22, 15, 30, 12, 500000, tzinfo=UTC)
    assert moment_at("now", now) == now
    assert moment_at("yesterday 10:00", now) == datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    assert moment_at("Today 08:05:09", now) == datetime(2026, 11, 22, 8, 5, 9, tzinfo=UTC)
    assert moment_at("3 days ago 23:59", now) == datetime(2026, 11, 19, 23, 59, tzinfo=UTC)
    assert moment_at("2026-01-02 03:04", now) == datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    assert moment_at("2026-01-02", now) == datetime(2026, 1, 2, tzinfo=UTC)
    for wrong in ("tomorrow", "yesterday 25:00", "now 10:00", "10:00"):
        with pytest.raises(ValueError, match="cannot read the time"):
            moment_at(wrong, now)
