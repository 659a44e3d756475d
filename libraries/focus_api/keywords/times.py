"""Keywords for the times testers write: now, ``yesterday 10:00``, ``3 days ago 08:30``.

The parsing is ``libraries.common.times`` (the data keywords of MongoDB read the same)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from robot.api.deco import keyword

from libraries.common.times import to_utc
from libraries.focus_api.keywords.base import LibraryComponent
from libraries.focus_api.models import format_utc


class TimeKeywords(LibraryComponent):
    """ISO-8601 UTC timestamps, now or at a time a tester says."""

    @keyword("Get UTC Timestamp")
    def get_utc_timestamp(self, offset: timedelta = timedelta(0)) -> str:
        """Now plus ``offset`` as ISO-8601 UTC (``2026-11-22T08:00:00Z``).

        | ${future} = | `Get UTC Timestamp` | offset=1h |
        | ${past} = | `Get UTC Timestamp` | offset=-10 min |

        Returns, e.g., ``2026-11-22T09:00:00Z``.
        """
        return format_utc(datetime.now(UTC) + offset)

    @keyword("Get UTC Timestamp At")
    def get_utc_timestamp_at(self, when: str, offset: timedelta = timedelta(0)) -> str:
        """``when`` plus ``offset`` as ISO-8601 UTC (``2026-11-22T10:00:00Z``), for the
        times a tester says: ``now``, ``today 10:00``, ``yesterday 10:00``,
        ``3 days ago 08:30``, ``5 minutes ago``, ``2026-11-22 10:00`` (``:ss``
        optional), ISO-8601 or epoch seconds. Times are UTC.

        | ${start} = | `Get UTC Timestamp At` | yesterday 10:00 |
        | ${end} = | `Get UTC Timestamp At` | yesterday 10:00 | offset=30s |
        | ${since} = | `Get UTC Timestamp At` | now |

        Returns, e.g., ``2026-11-21T10:00:00Z``.
        """
        return format_utc(to_utc(when, datetime.now(UTC)) + offset)
