"""Pydantic v2 models of the Focus Server REST API (contract section 2).

Requests carry the contract's rules as validators, so ``explain_invalid`` can say why a
payload would be refused. Negative tests still need invalid payloads: ``build_payload``
returns a plain dict without validating anything.

The metadata calculations (``expected_metadata`` and friends) are plain functions of the
configuration, used by the ``Task Metadata Should Match Configuration`` keyword.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from contract import constants
from libraries.common import redact

Number = StrictInt | StrictFloat


class _Model(BaseModel):
    """Base of the request models: JSON names as aliases, unknown fields refused."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")


class _Response(BaseModel):
    """Base of the response models: extra fields allowed (servers may add some)."""

    model_config = ConfigDict(populate_by_name=True, extra="allow")


class ChannelRange(_Model):
    """``channels``: ``1 <= min <= max <= SensorsRange``."""

    min: StrictInt
    max: StrictInt

    @model_validator(mode="after")
    def _in_sensors_range(self) -> ChannelRange:
        if not 1 <= self.min <= self.max <= constants.SENSORS_RANGE:
            raise ValueError(f"need 1 <= min <= max <= {constants.SENSORS_RANGE}")
        return self


class FrequencyRange(_Model):
    """``frequencyRange``: ``FrequencyMin <= min < max <= FrequencyMax`` (Hz)."""

    min: Number
    max: Number

    @model_validator(mode="after")
    def _in_band(self) -> FrequencyRange:
        low, high = constants.FREQUENCY_MIN, constants.FREQUENCY_MAX
        if not low <= self.min < self.max <= high:
            raise ValueError(f"need {low} <= min < max <= {high}")
        return self


def parse_utc(value: str) -> datetime:
    """Parse an ISO-8601 UTC timestamp (``Z`` or ``+00:00``); raise ValueError otherwise."""
    parsed = datetime.fromisoformat(value)
    offset = parsed.utcoffset()
    if offset is None or offset.total_seconds() != 0:
        raise ValueError(f"{value!r} is not a UTC timestamp")
    return parsed


def format_utc(moment: datetime) -> str:
    """``2026-11-22T08:00:00Z`` (seconds precision)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ConfigureRequest(_Model):
    """Body of ``POST /configure`` with every validation rule of the contract."""

    time_status: Literal["Live", "Historic"] = Field(alias="timeStatus")
    view_type: Literal["MultiChannel", "SingleChannel", "Waterfall", "ROI"] = Field(
        alias="viewType"
    )
    nfft: StrictInt
    overlap: StrictInt | None = None
    channels: ChannelRange
    frequency_range: FrequencyRange = Field(alias="frequencyRange")
    start_time: str | None = Field(default=None, alias="startTime")
    end_time: str | None = Field(default=None, alias="endTime")

    @field_validator("start_time", "end_time")
    @classmethod
    def _utc(cls, value: str | None) -> str | None:
        if value is not None:
            parse_utc(value)
        return value

    @model_validator(mode="after")
    def _rules(self) -> ConfigureRequest:
        low, high = constants.nfft_range(self.view_type)
        if not constants.is_power_of_two(self.nfft) or not low <= self.nfft <= high:
            raise ValueError(f"nfft: {self.view_type} needs a power of two in {low}..{high}")
        if self.overlap is not None and not 0 <= self.overlap < self.nfft:
            raise ValueError("overlap: need 0 <= overlap < nfft")
        if self.view_type == "SingleChannel" and self.channels.min != self.channels.max:
            raise ValueError("channels: SingleChannel needs min == max")
        self._check_times()
        return self

    def _check_times(self) -> None:
        if self.time_status == "Live":
            for name, value in (("startTime", self.start_time), ("endTime", self.end_time)):
                if value is not None:
                    raise ValueError(f"{name}: a Live task takes no {name}")
            return
        for name, value in (("startTime", self.start_time), ("endTime", self.end_time)):
            if value is None:
                raise ValueError(f"{name}: a Historic task needs {name}")
        if self.start_time is None or self.end_time is None:  # refused just above
            return
        start, end = parse_utc(self.start_time), parse_utc(self.end_time)
        if not start < end:
            raise ValueError("startTime: need startTime < endTime")
        if end > datetime.now(UTC):
            raise ValueError("endTime: must not be in the future")


class Stream(_Response):
    host: str
    port: int


class ConfigureResponse(_Response):
    task_id: str
    status: Literal["waiting"]
    stream: Stream


class TaskMetadata(_Response):
    """The metadata of a task: every field present for Live and Historic (PZ-13985)."""

    task_id: str
    time_status: Literal["Live", "Historic"] = Field(alias="timeStatus")
    view_type: str = Field(alias="viewType")
    nfft: int
    overlap: int
    channels: ChannelRange
    channel_count: int
    frequency_range: FrequencyRange = Field(alias="frequencyRange")
    prr: float
    frequency_resolution: float
    frequency_bins: int
    time_resolution: float
    stream: Stream
    status: constants.TaskStatus
    created_at: str
    start_time: str | None = Field(default=None, alias="startTime")
    end_time: str | None = Field(default=None, alias="endTime")

    @model_validator(mode="after")
    def _historic_times(self) -> TaskMetadata:
        if self.time_status == "Historic" and (self.start_time is None or self.end_time is None):
            raise ValueError("a Historic task's metadata needs startTime and endTime")
        return self


class AckResponse(_Response):
    task_id: str
    status: constants.TaskStatus
    updated_at: str


class WaterfallRow(_Response):
    timestamp: str | float
    values: list[float]

    @field_validator("values")
    @classmethod
    def _finite(cls, values: list[float]) -> list[float]:
        bad = [index for index, value in enumerate(values) if not math.isfinite(value)]
        if bad:
            raise ValueError(f"values at indexes {bad[:10]} are not finite")
        return values


class WaterfallResponse(_Response):
    task_id: str
    rows: list[WaterfallRow]


class HealthResponse(_Response):
    status: Literal["ok", "degraded"]
    version: str
    dependencies: dict[str, str]


class ChannelsResponse(_Response):
    lowest_channel: int
    highest_channel: int
    channels: list[int]


class ErrorDetail(_Response):
    code: str
    message: str
    field: str | None = None


class ErrorBody(_Response):
    """Every error body: ``{"error": {"code", "message", "field"}}``."""

    error: ErrorDetail


class TokenResponse(_Response):
    access_token: str
    token_type: Literal["bearer"]
    expires_in: float

    def model_post_init(self, context: Any, /) -> None:
        # A token issued during the run never shows in an output (libraries/common/redact.py).
        redact.remember(self.access_token)


class Alert(_Response):
    alert_id: str = Field(alias="alertId")
    class_id: constants.AlertClass = Field(alias="classId")
    severity: constants.AlertSeverity
    dof_m: float = Field(alias="dofM", ge=0, le=constants.FIBRE_LENGTH_M)
    alert_time: str = Field(alias="alertTime")


class Recording(_Response):
    uuid: str
    start_time: str | float
    end_time: str | float | None = None
    file_path: str | None = None
    channel_count: int | None = None
    classification: Literal["in_progress", "complete", "deleted", "invalid"] | None = None
    deleted: bool = False


PAYLOAD_DEFAULTS: dict[str, Any] = {
    "time_status": "Live",
    "view_type": "MultiChannel",
    "nfft": constants.DEFAULT_NFFT,
    "channel_min": constants.DEFAULT_CHANNEL_MIN,
    "channel_max": constants.DEFAULT_CHANNEL_MAX,
    "frequency_min": constants.FREQUENCY_MIN,
    "frequency_max": constants.FREQUENCY_MAX // 2,
    "overlap": None,
    "start": None,
    "end": None,
}


def build_payload(**fields: Any) -> dict[str, Any]:
    """A ``/configure`` body as a plain dict, NOT validated (negative tests need bad ones).

    ``fields`` override :data:`PAYLOAD_DEFAULTS` (the seeds' default Live task);
    ``overlap=None`` leaves the field out (the server's default is ``nfft/2``).
    """
    unknown = sorted(set(fields) - set(PAYLOAD_DEFAULTS))
    if unknown:
        raise ValueError(
            f"unknown configure field(s) {', '.join(unknown)}; known: {', '.join(PAYLOAD_DEFAULTS)}"
        )
    value = PAYLOAD_DEFAULTS | fields
    payload: dict[str, Any] = {
        "timeStatus": value["time_status"],
        "viewType": value["view_type"],
        "nfft": value["nfft"],
        "channels": {"min": value["channel_min"], "max": value["channel_max"]},
        "frequencyRange": {"min": value["frequency_min"], "max": value["frequency_max"]},
        "startTime": value["start"],
        "endTime": value["end"],
    }
    if value["overlap"] is not None:
        payload["overlap"] = value["overlap"]
    return payload


def explain_invalid(payload: dict[str, Any]) -> list[str]:
    """Why the server must refuse ``payload``: ``["field: reason", ...]``; empty when valid."""
    try:
        ConfigureRequest.model_validate(payload)
    except ValidationError as error:
        return [_describe(item) for item in error.errors()]
    return []


def _describe(item: ErrorDetails) -> str:
    location = ".".join(str(part) for part in item["loc"])
    message = item["msg"].removeprefix("Value error, ")
    return f"{location}: {message}" if location else message


def invalid_field(payload: dict[str, Any]) -> str | None:
    """The top-level request field the first rule violation is about, or None when valid."""
    reasons = explain_invalid(payload)
    if not reasons:
        return None
    return reasons[0].split(":", 1)[0].split(".", 1)[0]


def channel_count(channel_min: int, channel_max: int) -> int:
    """``max - min + 1``."""
    return channel_max - channel_min + 1


def frequency_resolution(nfft: int, prr: float) -> float:
    """``prr / nfft`` (Hz per FFT bin)."""
    return prr / nfft


def frequency_bins(nfft: int, frequency_min: float, frequency_max: float, prr: float) -> int:
    """FFT bins ``k`` in ``0..nfft/2`` with ``min <= k * prr / nfft <= max`` (exact arithmetic)."""
    step = Fraction(prr) / nfft
    low, high = Fraction(frequency_min), Fraction(frequency_max)
    return sum(1 for k in range(nfft // 2 + 1) if low <= k * step <= high)


def time_resolution(nfft: int, overlap: int, prr: float) -> float:
    """``(nfft - overlap) / prr`` (seconds between waterfall rows)."""
    return (nfft - overlap) / prr


def expected_metadata(payload: dict[str, Any], prr: float) -> dict[str, Any]:
    """The metadata fields the server computes from a (valid) configuration."""
    nfft = payload["nfft"]
    overlap = payload.get("overlap")
    overlap = nfft // 2 if overlap is None else overlap
    channels, band = payload["channels"], payload["frequencyRange"]
    return {
        "nfft": nfft,
        "overlap": overlap,
        "channel_count": channel_count(channels["min"], channels["max"]),
        "frequency_resolution": frequency_resolution(nfft, prr),
        "frequency_bins": frequency_bins(nfft, band["min"], band["max"], prr),
        "time_resolution": time_resolution(nfft, overlap, prr),
    }


def metadata_mismatches(metadata: dict[str, Any], payload: dict[str, Any], prr: float) -> list[str]:
    """Differences between the server's metadata and the configuration, one line each."""
    problems = []
    for name, expected in expected_metadata(payload, prr).items():
        actual = metadata.get(name)
        if not isinstance(actual, int | float) or not math.isclose(
            actual, expected, rel_tol=1e-9, abs_tol=1e-12
        ):
            problems.append(f"{name}: expected {expected}, got {actual!r}")
    for name in ("timeStatus", "viewType", "channels", "frequencyRange"):
        if metadata.get(name) != payload.get(name):
            problems.append(f"{name}: expected {payload.get(name)!r}, got {metadata.get(name)!r}")
    return problems
