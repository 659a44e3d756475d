"""Keywords for the recordings: listing them, and the time range a Historic task plays back."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from robot.api.deco import keyword

from libraries.focus_api.client import FocusClient
from libraries.focus_api.keywords.base import (
    LibraryComponent,
    body_of,
    check_status,
    items_of,
    parse,
)
from libraries.focus_api.models import Recording, format_utc, parse_utc

HISTORIC_SPAN = timedelta(seconds=30)


class RecordingKeywords(LibraryComponent):
    """`Get Recordings`, their range check, and the range a Historic task plays back."""

    @keyword
    def get_recordings(self, start: str | None = None, end: str | None = None) -> list[dict]:
        """``GET /recordings``: the recordings overlapping ``start``..``end`` (ISO-8601 UTC).

        | ${recordings} = | `Get Recordings` | start=${start} | end=${end} |
        """
        response = self.client.recordings(start, end)
        check_status(response, 200)
        items = items_of(body_of(response), "recordings")
        return [
            parse(Recording, item, "a recording of GET /recordings").model_dump() for item in items
        ]

    @keyword
    def recordings_should_overlap(self, recordings: list[dict], start: str, end: str) -> None:
        """Each recording of ``recordings`` overlaps ``start``..``end`` (ISO-8601 UTC): it starts
        before ``end`` and, unless still in progress, ends after ``start``.

        | ${recordings} = | `Get Recordings` | start=${start} | end=${end} |
        | `Recordings Should Overlap` | ${recordings} | ${start} | ${end} |
        """
        low, high = parse_utc(start), parse_utc(end)
        outside = [
            f"{item['uuid']} ({item['start_time']}..{item.get('end_time')})"
            for item in recordings
            if not (
                _moment(item["start_time"]) < high
                and (item.get("end_time") is None or _moment(item["end_time"]) > low)
            )
        ]
        if outside:
            raise AssertionError(
                f"{len(outside)} recording(s) listed outside {start}..{end}: {outside[:5]}"
            )

    @keyword
    def get_recorded_time_range(self, span: timedelta = HISTORIC_SPAN) -> list[str]:
        """``[start, end]`` (ISO-8601 UTC, whole seconds): up to ``span`` from the start of the
        newest complete recording of the last 7 days that covers at least one whole second,
        for Historic tasks.

        Recordings shorter than that (a recorder restart leaves a sliver of a few
        milliseconds) are passed over: rounded to whole seconds they would give
        ``start >= end``, which the server rightly refuses.

        | ${start}    ${end} = | `Get Recorded Time Range` | span=10s |
        """
        return recorded_time_range(self.client, span)


def recorded_time_range(client: FocusClient, span: timedelta = HISTORIC_SPAN) -> list[str]:
    """What `Get Recorded Time Range` returns, for the connection of ``client``."""
    now = datetime.now(UTC)
    response = client.recordings(format_utc(now - timedelta(days=7)), format_utc(now))
    check_status(response, 200)
    body = body_of(response)
    items = body.get("recordings", []) if isinstance(body, dict) else body
    ranges = [_whole_seconds(item, span) for item in items if _is_complete(item)]
    usable = [pair for pair in ranges if pair is not None]
    if not usable:
        raise AssertionError(
            f"No complete recording of at least 1 s in the last 7 days to play back "
            f"({len(ranges)} complete, all shorter); is the SEG-Y recorder running?"
        )
    start, end = max(usable)
    return [format_utc(start), format_utc(end)]


def _moment(value: str | float) -> datetime:
    """A recording time: ISO-8601 UTC text or epoch seconds."""
    if isinstance(value, int | float) and math.isfinite(value):
        return datetime.fromtimestamp(value, UTC)
    return parse_utc(str(value))


def _whole_seconds(recording: dict, span: timedelta) -> tuple[datetime, datetime] | None:
    """Up to ``span`` of the recording, in whole seconds inside it; None when under 1 s."""
    start = _moment(recording["start_time"])
    start = start.replace(microsecond=0) + timedelta(seconds=1 if start.microsecond else 0)
    end = min(_moment(recording["end_time"]), start + span).replace(microsecond=0)
    return (start, end) if end - start >= timedelta(seconds=1) else None


def _is_complete(recording: dict) -> bool:
    if recording.get("deleted") or recording.get("end_time") is None:
        return False
    return recording.get("classification", "complete") == "complete"
