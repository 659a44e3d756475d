"""The times testers write, read as UTC instants (no Robot imports).

``now``, ``today 10:00``, ``yesterday 10:00``, ``3 days ago 08:30``, ``5 minutes ago``,
``90 s ago``, ``2 hours ago``, ``2026-11-22 10:00``
(``:ss`` optional), ISO-8601 (``2026-11-22T10:00:00Z``, ``...+02:00``; without an offset
it is UTC), epoch seconds (``1795428000``, ``1795428000.5``) and ``datetime`` objects.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

TimeLike = str | int | float | datetime

FORMATS = (
    "'now', 'today 10:00', 'yesterday 10:00', '3 days ago 08:30', '5 minutes ago', "
    "'2026-11-22 10:00', ISO-8601 ('2026-11-22T10:00:00Z') or epoch seconds "
    "('1795428000'), all UTC"
)

_AGO = re.compile(r"(?P<count>\d+) ?(?P<unit>s|sec|seconds?|min|minutes?|h|hours?) ago", re.I)
_UNITS = {"s": "seconds", "sec": "seconds", "min": "minutes", "h": "hours"}
_WHEN = re.compile(
    r"(?P<day>now|today|yesterday|(?P<ago>\d+) days? ago|(?P<date>\d{4}-\d{2}-\d{2}))"
    r"(?:[ T](?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?",
    re.IGNORECASE,
)
_EPOCH = re.compile(r"\d{9,11}(\.\d+)?")


def moment_at(when: str, now: datetime) -> datetime:
    """The UTC instant a tester means by ``when``: ``now``, ``today 10:00``,
    ``yesterday 10:00``, ``3 days ago 08:30``, ``2026-11-22 10:00`` (``:ss`` optional),
    or ``90 s ago`` / ``5 minutes ago`` / ``2 hours ago``."""
    ago = _AGO.fullmatch(when.strip())
    if ago:
        unit = ago["unit"].lower()
        unit = _UNITS.get(unit, unit if unit.endswith("s") else f"{unit}s")
        return now - timedelta(**{unit: int(ago["count"])})
    match = _WHEN.fullmatch(when.strip())
    if match is None or (match["day"].lower() == "now" and match["hour"] is not None):
        raise ValueError(f"cannot read the time {when!r}: use {FORMATS}")
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


def to_utc(value: TimeLike, now: datetime | None = None) -> datetime:
    """Any time a tester writes (see the module doc) as an aware UTC ``datetime``."""
    now = now or datetime.now(UTC)
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    text = str(value).strip()
    if _EPOCH.fullmatch(text):
        return datetime.fromtimestamp(float(text), UTC)
    if _WHEN.fullmatch(text) or _AGO.fullmatch(text):
        return moment_at(text, now)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"cannot read the time {text!r}: use {FORMATS}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def iso_utc(moment: datetime, milliseconds: bool = False) -> str:
    """``2026-11-22T10:00:00Z`` (or ``...10:00:00.125Z``)."""
    moment = moment.astimezone(UTC)
    if milliseconds:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
