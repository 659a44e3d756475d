"""Checks of the recordings in a time range a tester names (pure: no pymongo calls).

Each check gives one :class:`Row` per recording overlapping the range: ``ok``,
``skipped`` (with why) or ``problem`` (with what). A recording classified ``invalid``
is a finding, never a silent pass: a problem, or with ``allow_invalid`` a row marked
``invalid (allowed)`` that the log shows and the caller warns about.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any

from libraries.mongodb import checks


class Expectation(Enum):
    """What `Recordings Between` checks of each recording in the range (written as the
    value: ``Should Be Complete``; case, spaces, ``_`` and ``-`` do not matter)."""

    SHOULD_BE_COMPLETE = "Should Be Complete"
    SHOULD_HAVE_VALID_SEGY_FILES = "Should Have Valid SEG-Y Files"
    SHOULD_BE_CLASSIFIED_CORRECTLY = "Should Be Classified Correctly"


OK, SKIPPED, PROBLEM, ALLOWED = "ok", "skipped", "problem", "invalid (allowed)"


@dataclass(frozen=True)
class Row:
    """One recording of the range and the verdict of the check on it."""

    uuid: str
    start: datetime | None
    end: datetime | None
    classification: str
    verdict: str  # OK, SKIPPED, PROBLEM or ALLOWED
    detail: str = ""

    def line(self) -> str:
        return f"{self.uuid} ({_span(self.start, self.end)}, {self.classification}): {self.detail}"


@dataclass(frozen=True)
class Report:
    """The rows of one check, and the gaps of the range (``Should Be Complete`` only)."""

    expectation: Expectation
    start: datetime
    end: datetime
    rows: list[Row]
    gaps: list[tuple[datetime, datetime]]

    def of(self, verdict: str) -> list[Row]:
        return [row for row in self.rows if row.verdict == verdict]

    @property
    def checked(self) -> int:
        return len(self.rows) - len(self.of(SKIPPED))

    def summary(self) -> str:
        skipped = self.of(SKIPPED)
        text = (
            f"Checked {self.checked} of {len(self.rows)} recording(s) between "
            f"{_moment(self.start)} and {_moment(self.end)} ({self.expectation.value})"
        )
        if skipped:
            text += f"; skipped {len(skipped)}: " + "; ".join(row.line() for row in skipped[:5])
        if allowed := self.of(ALLOWED):
            text += f"; {len(allowed)} invalid (allowed): " + "; ".join(
                row.line() for row in allowed[:5]
            )
        return text

    def failures(self) -> list[str]:
        found = [row.line() for row in self.of(PROBLEM)]
        found += [
            f"no recording covers {_moment(low)}..{_moment(high)} "
            f"({(high - low).total_seconds():.0f} s)"
            for low, high in self.gaps
        ]
        return found

    def html_table(self) -> str:
        """The rows as an HTML table for log.html."""
        colours = {OK: "#dfd", SKIPPED: "#eee", PROBLEM: "#fdd", ALLOWED: "#ffd"}
        cells = "".join(
            f'<tr style="background:{colours[row.verdict]}"><td>{html.escape(row.uuid)}</td>'
            f"<td>{_moment(row.start)}</td><td>{_moment(row.end)}</td>"
            f"<td>{html.escape(row.classification)}</td><td>{row.verdict}</td>"
            f"<td>{html.escape(row.detail)}</td></tr>"
            for row in self.rows
        )
        gaps = "".join(
            f'<tr style="background:#fdd"><td>(gap)</td><td>{_moment(low)}</td>'
            f"<td>{_moment(high)}</td><td></td><td>problem</td>"
            f"<td>no recording covers it</td></tr>"
            for low, high in self.gaps
        )
        return (
            f"<b>{html.escape(self.summary())}</b>"
            '<table border="1" style="border-collapse:collapse"><tr><th>uuid</th>'
            "<th>start_time</th><th>end_time</th><th>classification</th><th>verdict</th>"
            f"<th>why</th></tr>{cells}{gaps}</table>"
        )


def rule_reason(recording: Mapping[str, Any], root: str | Path | None) -> tuple[str, str]:
    """The classification the contract's rule gives, and why (contract section 4)."""
    if recording.get("deleted") is True:
        return "deleted", "deleted: true"
    start, end = recording.get("start_time"), recording.get("end_time")
    if end is None:
        return "in_progress", "no end_time yet"
    if not (isinstance(start, datetime) and isinstance(end, datetime)):
        return "invalid", "start_time or end_time is not a date"
    if checks.as_utc(end) <= checks.as_utc(start):
        return "invalid", f"end_time {_moment(end)} is not after start_time {_moment(start)}"
    file_path = recording.get("file_path")
    if not isinstance(file_path, str) or not file_path:
        return "invalid", "no file_path"
    if root is None and not Path(file_path).is_absolute():
        return "unknown", "no SEG-Y root configured to look for its file"
    path = checks.resolve(root or "/", file_path)
    if not path.is_file():
        return "invalid", f"its file {path} is missing"
    return "complete", f"ends after it starts, file {path} present"


def check(
    expectation: Expectation,
    recordings: list[Mapping[str, Any]],
    start: datetime,
    end: datetime,
    root: str | Path | None,
    allow_invalid: bool = False,
    gap_tolerance: timedelta = timedelta(seconds=5),
) -> Report:
    """Check each recording of ``recordings`` (those overlapping ``start`` to ``end``)."""
    judge = {
        Expectation.SHOULD_BE_COMPLETE: _complete,
        Expectation.SHOULD_HAVE_VALID_SEGY_FILES: _valid_segy,
        Expectation.SHOULD_BE_CLASSIFIED_CORRECTLY: _classified,
    }[expectation]
    rows = []
    for recording in sorted(recordings, key=lambda item: _sort_key(item.get("start_time"))):
        verdict, detail = judge(recording, root)
        if verdict == PROBLEM and allow_invalid and _is_invalid(recording, root):
            verdict = ALLOWED
        rows.append(
            Row(
                str(recording.get("uuid")),
                _date(recording.get("start_time")),
                _date(recording.get("end_time")),
                str(recording.get("classification")),
                verdict,
                detail,
            )
        )
    gaps = (
        _gaps(recordings, start, end, gap_tolerance)
        if expectation is Expectation.SHOULD_BE_COMPLETE and recordings
        else []  # an empty range is reported as such (min_recordings), not as one gap
    )
    return Report(expectation, start, end, rows, gaps)


def _is_invalid(recording: Mapping[str, Any], root: str | Path | None) -> bool:
    """Classified ``invalid`` by the system itself, and so by the rule: what
    ``allow_invalid`` lets through (a recording classified ``complete`` whose file is
    missing is a problem whatever it allows)."""
    return recording.get("classification") == "invalid" and rule_reason(recording, root)[0] == (
        "invalid"
    )


def _complete(recording: Mapping[str, Any], root: str | Path | None) -> tuple[str, str]:
    stored = recording.get("classification")
    rule, why = rule_reason(recording, root)
    if rule == "in_progress" or stored == "in_progress":
        return SKIPPED, "still recording: it cannot be complete yet"
    if rule == "deleted" or stored == "deleted":
        return PROBLEM, "deleted: its data is gone, the range is not complete"
    if stored == "complete" and rule == "complete":
        return OK, why
    if stored == "complete":
        return PROBLEM, f"classified complete, but {why}"
    return PROBLEM, f"classified {stored}: {why}"


def _valid_segy(recording: Mapping[str, Any], root: str | Path | None) -> tuple[str, str]:
    stored = recording.get("classification")
    if recording.get("deleted") is True or stored == "deleted":
        return SKIPPED, "deleted: no file is expected"
    if recording.get("end_time") is None or stored == "in_progress":
        return SKIPPED, "still recording: its file is not final yet"
    if stored == "invalid":
        return PROBLEM, f"classified invalid: {rule_reason(recording, root)[1]}"
    file_path = recording.get("file_path")
    if not isinstance(file_path, str) or not file_path:
        return PROBLEM, "no file_path"
    if root is None and not Path(file_path).is_absolute():
        return PROBLEM, "no SEG-Y root configured (set SEGY_ROOT) to find its file"
    path = checks.resolve(root or "/", file_path)
    problem = checks.segy_problem(path, int(recording.get("channel_count") or 0))
    if problem:
        return PROBLEM, problem
    return OK, f"{path}: readable SEG-Y, {recording.get('channel_count')} traces"


def _classified(recording: Mapping[str, Any], root: str | Path | None) -> tuple[str, str]:
    stored = recording.get("classification")
    rule, why = rule_reason(recording, root)
    if rule == "unknown":
        return PROBLEM, why
    if stored != rule:
        return PROBLEM, f"classified {stored}, the rule gives {rule} ({why})"
    if rule == "invalid":
        return PROBLEM, f"classified invalid, as the rule gives ({why}): a finding"
    return OK, f"{rule} ({why})"


def _gaps(
    recordings: list[Mapping[str, Any]],
    start: datetime,
    end: datetime,
    tolerance: timedelta,
) -> list[tuple[datetime, datetime]]:
    """Stretches from ``start`` to ``end`` longer than ``tolerance`` that no recording that is
    not deleted covers (an in-progress one covers until now)."""
    now = datetime.now(start.tzinfo)
    spans = []
    for recording in recordings:
        if recording.get("deleted") is True:
            continue
        low = _date(recording.get("start_time"))
        high = _date(recording.get("end_time")) or now
        if low is not None:
            spans.append((max(low, start), min(high, end)))
    found, covered = [], start
    for low, high in sorted(spans):
        if low - covered > tolerance:
            found.append((covered, low))
        covered = max(covered, high)
    limit = min(end, now)
    if limit - covered > tolerance:
        found.append((covered, limit))
    return found


def _date(value: Any) -> datetime | None:
    return checks.as_utc(value) if isinstance(value, datetime) else None


def _sort_key(value: Any) -> float:
    return checks.as_utc(value).timestamp() if isinstance(value, datetime) else 0.0


def _moment(value: datetime | None) -> str:
    if value is None:
        return "-"
    text = checks.as_utc(value).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
    return text.removesuffix(".000") + "Z"


def _span(start: datetime | None, end: datetime | None) -> str:
    return f"{_moment(start)}..{_moment(end)}"
