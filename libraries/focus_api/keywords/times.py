"""Keywords for the times testers write: now, ``yesterday 10:00``, ``3 days ago 08:30``."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from robot.api.deco import keyword

from libraries.focus_api.keywords.base import LibraryComponent
from libraries.focus_api.models import format_utc


class TimeKeywords(LibraryComponent):
    """ISO-8601 UTC timestamps, now or at a time a tester says."""

    @keyword("Get UTC Timestamp")
    def get_utc_timestamp(self, offset: timedelta = timedelta(0)) -> str:
        """Now plus ``offset`` as ISO-8601 UTC (``2026-11-22T08:00:00Z``).

        | ${future} = | `Get UTC Timestamp` | offset=1h |
        | ${past} = | `Get UTC Timestamp` | offset=-10 min |
        """
        return format_utc(datetime.now(UTC) + offset)

    @keyword("Get UTC Timestamp At")
    def get_utc_timestamp_at(self, when: str, offset: timedelta = timedelta(0)) -> str:
        """``when`` plus ``offset`` as ISO-8601 UTC (``2026-11-22T10:00:00Z``), for the
        times a tester says: ``now``, ``today 10:00``, ``yesterday 10:00``,
        ``3 days ago 08:30``, or ``2026-11-22 10:00`` (``:ss`` optional). Times are UTC.

        | ${start} = | `Get UTC Timestamp At` | yesterday 10:00 |
        | ${end} = | `Get UTC Timestamp At` | yesterday 10:00 | offset=30s |
        | ${since} = | `Get UTC Timestamp At` | now |
        """
        return format_utc(moment_at(when, datetime.now(UTC)) + offset)


_WHEN = re.compile(
    r"(?P<day>now|today|yesterday|(?P<ago>\d+) days? ago|(?P<date>\d{4}-\d{2}-\d{2}))"
    r"(?:[ T](?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?",
    re.IGNORECASE,
)


def moment_at(when: str, now: datetime) -> datetime:
    """The UTC instant a tester means by ``when`` (see `Get UTC Timestamp At`)."""
    match = _WHEN.fullmatch(when.strip())
    if match is None or (match["day"].lower() == "now" and match["hour"] is not None):
        raise ValueError(
            f"cannot read the time {when!r}: use 'now', 'today 10:00', 'yesterday 10:00', "
            "'3 days ago 08:30' or '2026-11-22 10:00' (UTC)"
        )
    day = match["day"].lower()
    if day == "now":
        return now
    if match["date"]:
        base = datetime.strptime(match["date"], "%Y-%m-%d").replace(tzinfo=UTC)
    else:
        back = 1 if day == "yesterday" else int(match["ago"] or 0)
        base = (now - timedelta(days=back)).replace(hour=0, minute=0, second=0, microsecond=0)
    try:
        return base.replace(
            hour=int(match["hour"] or 0),
            minute=int(match["minute"] or 0),
            second=int(match["second"] or 0),
        )
    except ValueError as error:
        raise ValueError(f"cannot read the time {when!r}: {error}") from None
