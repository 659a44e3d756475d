"""Keywords for the recordings: listing them, and the time range a Historic task plays back."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from robot.api import logger
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
        """``GET /recordings``: the recordings overlapping the range from ``start`` to ``end``
        (ISO-8601 UTC).

        | ${recordings} = | `Get Recordings` | start=${start} | end=${end} |

        Returns a list of recordings as the API lists them, e.g.:

        | [{"uuid": "4c1d2a7e-9b3f-4e21-8d0a-2f6c5b7e9a10",
        |   "start_time": "2026-11-21T10:00:00.000Z", "end_time": "2026-11-21T11:00:00.000Z",
        |   "file_path": "2026/11/21/10/4c1d2a7e-9b3f-4e21-8d0a-2f6c5b7e9a10.sgy",
        |   "channel_count": 2222, "classification": "complete", "deleted": False}]
        """
        response = self.client.recordings(start, end)
        check_status(response, 200)
        items = items_of(body_of(response), "recordings")
        return [
            parse(Recording, item, "a recording of GET /recordings").model_dump() for item in items
        ]

    @keyword
    def recordings_should_overlap(self, recordings: list[dict], start: str, end: str) -> None:
        """Each recording of ``recordings`` overlaps the range from ``start`` to ``end``
        (ISO-8601 UTC): it starts before ``end`` and, unless still in progress, ends after
        ``start``.

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
        for Historic tasks. Inside one recording, so it may be shorter than ``span``: the
        log says so. For "the last 30 s of recorded data" use `Get Last Recorded Range`.

        Recordings shorter than that (a recorder restart leaves a sliver of a few
        milliseconds) are passed over: rounded to whole seconds they would give
        ``start >= end``, which the server rightly refuses.

        | ${start}    ${end} = | `Get Recorded Time Range` | span=10s |

        Returns a list of two, e.g. ``["2026-11-22T07:59:40Z", "2026-11-22T07:59:50Z"]``.
        """
        start, end = recorded_time_range(self.client, span)
        covered = parse_utc(end) - parse_utc(start)
        if covered < span:
            logger.info(
                f"Recorded range {start}..{end} is {covered.total_seconds():g} s, shorter than "
                f"the {span.total_seconds():g} s asked: it lies inside one recording"
            )
        return [start, end]

    @keyword
    def get_last_recorded_range(
        self,
        span: timedelta = HISTORIC_SPAN,
        allow_shorter: bool = False,
        lookback: timedelta = timedelta(days=7),
    ) -> list[str]:
        """``[start, end]`` (ISO-8601 UTC, whole seconds): the last ``span`` of recorded data,
        for a Historic task. ``end`` is the end of the newest complete recording; ``start``
        is ``span`` before it, across consecutive complete recordings (one may end where
        the next starts; a gap over 1 s, a deleted or an invalid recording ends the
        stretch). Only recordings of the last ``lookback`` are read.

        When less than ``span`` of uninterrupted recorded data exists, it fails saying how
        much there is, unless ``allow_shorter=True``: then it returns the shorter range
        and logs a warning that says so.

        | ${start}    ${end} = | `Get Last Recorded Range` | 30 s |
        | ${task} = | Configure Historic Task | start=${start} | end=${end} |
        | ${start}    ${end} = | `Get Last Recorded Range` | 5 min | allow_shorter=True |

        Returns a list of two, e.g. ``["2026-11-22T07:59:20Z", "2026-11-22T07:59:50Z"]``.
        """
        now = datetime.now(UTC)
        response = self.client.recordings(format_utc(now - lookback), format_utc(now))
        check_status(response, 200)
        items = items_of(body_of(response), "recordings")
        start, end, covered = last_recorded_range(items, span)
        asked = span.total_seconds()
        if end - start < span:
            have = (end - start).total_seconds()
            text = (
                f"Only {have:g} s of uninterrupted recorded data end at {format_utc(end)} "
                f"(recorded since {covered}), not the last {asked:g} s asked for"
            )
            if not allow_shorter:
                raise AssertionError(
                    f"{text}. Wait until more is recorded, ask for less, or pass "
                    "allow_shorter=True to take what there is."
                )
            logger.warn(f"{text}: returning {format_utc(start)}..{format_utc(end)}")
        else:
            logger.info(
                f"The last {asked:g} s of recorded data: {format_utc(start)}..{format_utc(end)}"
            )
        return [format_utc(start), format_utc(end)]


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


CONTIGUOUS = timedelta(seconds=1)


def last_recorded_range(recordings: list[dict], span: timedelta) -> tuple[datetime, datetime, str]:
    """``(start, end, since)`` of the last ``span`` of uninterrupted complete recordings in
    whole seconds; shorter than ``span`` when less exists (``since``: where the
    uninterrupted stretch begins, ISO text). Fails when no complete recording exists."""
    complete = sorted(
        (
            (_moment(item["start_time"]), _moment(item["end_time"]))
            for item in recordings
            if _is_complete(item)
        ),
        key=lambda pair: pair[1],
        reverse=True,
    )
    if not complete:
        raise AssertionError(
            f"No complete recording among the {len(recordings)} listed: nothing recorded to "
            "play back; is the SEG-Y recorder running?"
        )
    end = complete[0][1].replace(microsecond=0)
    wanted = end - span
    covered_from = complete[0][0]
    for low, high in complete[1:]:
        if covered_from <= wanted or high < covered_from - CONTIGUOUS:
            break
        covered_from = min(covered_from, low)
    whole = covered_from.replace(microsecond=0) + timedelta(
        seconds=1 if covered_from.microsecond else 0
    )
    start = max(wanted, whole)
    if start >= end:
        raise AssertionError(
            f"The newest complete recordings hold less than 1 whole second of data "
            f"({format_utc(covered_from)}..{format_utc(end)}): nothing to play back yet"
        )
    return start, end, format_utc(covered_from)


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
