"""Validation of ``/configure`` and ``/config_task`` bodies (contract section 2).

Every failure is a ``400`` whose ``field`` is the top-level request field at fault
(``channels`` for ``channels.min``); the message says which part and why.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from typing import Any

from fastapi import Request

from contract import constants
from twin import bugs
from twin.focus_server.errors import ApiError, invalid
from twin.grpc_job.protocol import format_time, parse_utc

CONFIGURE_FIELDS = (
    "timeStatus",
    "viewType",
    "nfft",
    "overlap",
    "channels",
    "frequencyRange",
    "startTime",
    "endTime",
)
ROI_FIELDS = ("channels", "frequencyRange")


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_JSON_BRACKET = re.compile(rb"[\[\]{}]")
JSON_TYPES = ("application/json",)


def json_depth(raw: bytes) -> int:
    """The deepest nesting of arrays/objects in ``raw`` (strings skipped), without parsing it."""
    depth = deepest = 0
    for match in _JSON_BRACKET.finditer(_JSON_STRING.sub(b'""', raw)):
        depth += 1 if match.group() in (b"[", b"{") else -1
        deepest = max(deepest, depth)
    return deepest


def is_json_type(content_type: str | None) -> bool:
    """``application/json`` or ``application/<x>+json``, any parameters (charset)."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media in JSON_TYPES or (media.startswith("application/") and media.endswith("+json"))


async def read_json_object(request: Request) -> dict:
    """The request's body as a JSON object: 415 unless it is declared JSON, 400 when malformed."""
    if not is_json_type(request.headers.get("content-type")):
        raise ApiError(
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            "the body must be sent as Content-Type: application/json",
        )
    return parse_json_object(await request.body())


def parse_json_object(raw: bytes) -> dict:
    """The request body as a JSON object, or a 400 (also when nested deeper than 64 levels)."""
    if json_depth(raw) > constants.MAX_JSON_DEPTH:
        raise invalid(None, f"JSON nested deeper than {constants.MAX_JSON_DEPTH} levels")
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise invalid(None, "malformed JSON body") from None
    if not isinstance(body, dict):
        raise invalid(None, "the body must be a JSON object")
    return body


def _reject_unknown(body: dict, allowed: tuple[str, ...]) -> None:
    for name in body:
        if name not in allowed:
            raise invalid(name, f"unknown field {name!r}")


def _integer(value: Any, field: str, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(field, f"{label} must be an integer")
    return value


def _number(value: Any, field: str, label: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise invalid(field, f"{label} must be a number")
    return value


def _range_object(body: dict, field: str) -> dict:
    value = body.get(field)
    if value is None:
        raise invalid(field, f"{field} is required")
    if not isinstance(value, dict) or set(value) != {"min", "max"}:
        raise invalid(field, f"{field} must be an object with exactly min and max")
    return value


def _channels(body: dict, view_type: str) -> dict:
    value = _range_object(body, "channels")
    low = _integer(value["min"], "channels", "channels.min")
    high = _integer(value["max"], "channels", "channels.max")
    if not 1 <= low <= high <= constants.SENSORS_RANGE:
        raise invalid(
            "channels", f"need 1 <= channels.min <= channels.max <= {constants.SENSORS_RANGE}"
        )
    if view_type == "SingleChannel" and low != high and not bugs.is_on("PZ-13669"):
        raise invalid("channels", "SingleChannel needs channels.min == channels.max")
    return {"min": low, "max": high}


def _frequency_range(body: dict) -> dict:
    value = _range_object(body, "frequencyRange")
    low = _number(value["min"], "frequencyRange", "frequencyRange.min")
    high = _number(value["max"], "frequencyRange", "frequencyRange.max")
    fmin, fmax = constants.FREQUENCY_MIN, constants.FREQUENCY_MAX
    if not fmin <= low < high <= fmax:
        raise invalid("frequencyRange", f"need {fmin} <= frequencyRange.min < max <= {fmax}")
    return {"min": low, "max": high}


def _choice(body: dict, field: str, choices: tuple[str, ...]) -> str:
    value = body.get(field)
    if value not in choices or not isinstance(value, str):
        raise invalid(field, f"{field} must be one of {', '.join(choices)}")
    return value


def _nfft_overlap(body: dict, view_type: str) -> tuple[int, int]:
    if body.get("nfft") is None:
        raise invalid("nfft", "nfft is required")
    nfft = _integer(body["nfft"], "nfft", "nfft")
    low, high = constants.nfft_range(view_type)
    if not constants.is_power_of_two(nfft) or not low <= nfft <= high:
        raise invalid("nfft", f"{view_type} needs nfft a power of two in {low}..{high}")
    overlap = body.get("overlap")
    if overlap is None:
        return nfft, nfft // 2
    overlap = _integer(overlap, "overlap", "overlap")
    if not 0 <= overlap < nfft:
        raise invalid("overlap", "need 0 <= overlap < nfft")
    return nfft, overlap


def _timestamp(body: dict, field: str) -> datetime:
    value = body.get(field)
    if value is None:
        raise invalid(field, f"a Historic task needs {field}")
    if not isinstance(value, str):
        raise invalid(field, f"{field} must be an ISO-8601 UTC string")
    try:
        return parse_utc(value)
    except ValueError:
        raise invalid(field, f"{field} must be an ISO-8601 UTC timestamp") from None


def _times(body: dict, time_status: str, now: datetime) -> tuple[str | None, str | None]:
    if time_status == "Live":
        for field in ("startTime", "endTime"):
            if body.get(field) is not None:
                raise invalid(field, f"a Live task takes no {field}")
        return None, None
    start, end = _timestamp(body, "startTime"), _timestamp(body, "endTime")
    if not start < end:
        raise invalid("startTime", "need startTime < endTime")
    if end > now and not bugs.is_on("PZ-13984"):
        raise invalid("endTime", "endTime must not be in the future")
    return format_time(start), format_time(end)


def validate_configure(body: dict, now: datetime) -> dict:
    """A complete, normalised task configuration from a ``/configure`` body."""
    _reject_unknown(body, CONFIGURE_FIELDS)
    time_status = _choice(body, "timeStatus", constants.TIME_STATUSES)
    view_type = _choice(body, "viewType", constants.VIEW_TYPES)
    nfft, overlap = _nfft_overlap(body, view_type)
    channels = _channels(body, view_type)
    frequency_range = _frequency_range(body)
    start, end = _times(body, time_status, now)
    return {
        "timeStatus": time_status,
        "viewType": view_type,
        "nfft": nfft,
        "overlap": overlap,
        "channels": channels,
        "frequencyRange": frequency_range,
        "startTime": start,
        "endTime": end,
    }


def validate_roi(body: dict, config: dict) -> dict:
    """The validated ``channels``/``frequencyRange`` changes of a ``/config_task`` body."""
    _reject_unknown(body, ROI_FIELDS)
    if not any(body.get(name) is not None for name in ROI_FIELDS):
        raise invalid(None, "give channels and/or frequencyRange")
    changes = {}
    if body.get("channels") is not None:
        changes["channels"] = _channels(body, config["viewType"])
    if body.get("frequencyRange") is not None:
        changes["frequencyRange"] = _frequency_range(body)
    return changes
