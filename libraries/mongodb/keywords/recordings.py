"""Keywords about the ``recordings`` collection and its SEG-Y files (contract §4)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from libraries.common.docs import shows
from libraries.common.times import FORMATS, iso_utc, to_utc
from libraries.mongodb import checks, ranges
from libraries.mongodb.keywords.base import LibraryComponent, log_offenders, require_documents
from libraries.mongodb.ranges import Expectation

RECORDINGS = "recordings"
FIELDS = [
    "uuid",
    "start_time",
    "end_time",
    "file_path",
    "channel_count",
    "classification",
    "deleted",
]
SAMPLE_SIZE = 5
EXPECTATIONS = (
    "| =Expectation= | =A recording passes when= | =Skipped (and said why)= |\n"
    "| Should Be Complete | it is classified ``complete`` and the rule agrees (it ends after "
    "it starts, its file is there); together the recordings cover the range with no gap "
    "over ``gap_tolerance`` | in progress |\n"
    "| Should Have Valid SEG-Y Files | its file exists, opens as SEG-Y and has "
    "``channel_count`` traces | deleted (no file expected), in progress (not final yet) |\n"
    "| Should Be Classified Correctly | its stored ``classification`` is what the "
    "contract's rule gives | none |"
)
RECORDING_EXAMPLE = """\
| {"uuid": "4c1d2a7e-9b3f-4e21-8d0a-2f6c5b7e9a10",
|  "start_time": datetime(2026, 11, 21, 10, 0), "end_time": datetime(2026, 11, 21, 11, 0),
|  "file_path": "2026/11/21/10/4c1d2a7e-9b3f-4e21-8d0a-2f6c5b7e9a10.sgy",
|  "channel_count": 2222, "classification": "complete", "deleted": False}"""


class RecordingKeywords(LibraryComponent):
    """Classification, overlaps, gaps and SEG-Y files of the recordings."""

    def _recordings(self, query: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return list(self.connection.find(RECORDINGS, query or {}, FIELDS))

    def _between(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Every recording overlapping ``start`` to ``end`` (deleted, in progress too)."""
        overlap = {
            "start_time": {"$lt": end},
            "$or": [{"end_time": {"$gt": start}}, {"end_time": None}],
        }
        return self._recordings(overlap)

    @shows(RECORDING=RECORDING_EXAMPLE)
    @keyword
    def get_recordings_between(
        self, start: str | datetime | int | float, end: str | datetime | int | float
    ) -> list[dict[str, Any]]:
        """The ``recordings`` documents overlapping the range from ``start`` to ``end``,
        oldest first, deleted and in-progress ones included; reads once.

        Times as testers write them: ``yesterday 10:00``, ``today 08:30``,
        ``3 days ago 08:30``, ``2026-11-21 10:00``, ISO-8601 (``2026-11-21T10:00:00Z``),
        epoch seconds (``1795428000``) or a ``datetime``; UTC.

        | ${recordings} = | `Get Recordings Between` | yesterday 10:00 | yesterday 10:05 |
        | Length Should Be | ${recordings} | 1 |

        Returns a list of documents (dates are ``datetime`` objects), e.g.:

        %RECORDING%
        """
        low, high = _range(start, end)
        found = sorted(self._between(low, high), key=lambda item: str(item.get("start_time")))
        logger.info(f"{len(found)} recording(s) between {iso_utc(low)} and {iso_utc(high)}")
        return found

    @shows(EXPECTATIONS=EXPECTATIONS)
    @keyword
    def recordings_between(
        self,
        start: str | datetime | int | float,
        end: str | datetime | int | float,
        expectation: Expectation,
        min_recordings: int = 1,
        allow_invalid: bool = False,
        segy_root: str | None = None,
        gap_tolerance: timedelta = timedelta(seconds=5),
    ) -> int:
        """Checks every recording overlapping the range from ``start`` to ``end``, and only
        those; returns how many were checked. Written as a sentence:

        | `Recordings Between` | yesterday 10:00 | yesterday 10:05 | Should Be Complete |
        | `Recordings Between` | ${start} | ${end} | Should Have Valid SEG-Y Files |
        | `Recordings Between` | 2026-11-21T10:00:00Z | 1795428300 |
        | ... | Should Be Classified Correctly |
        | `Recordings Between` | today 08:00 | now | Should Be Complete | min_recordings=0 |

        Times as in `Get Recordings Between` (UTC). ``expectation``:

        %EXPECTATIONS%

        A recording classified ``invalid`` is a finding: it fails the check. With
        ``allow_invalid=True`` it is shown in the log and warned about instead (a
        recording classified ``complete`` whose file is missing fails either way).
        ``segy_root`` is where the files are (default: the connection's, see
        `Connect To MongoDB`).

        Fails when fewer than ``min_recordings`` were checked (default 1: an empty range
        proves nothing; ``0`` accepts it). log.html shows a table of every recording:
        checked, skipped and why, or what is wrong. A failure names each recording
        and its cause, e.g.:

        | Recordings between 2026-11-21T10:00:00Z and 2026-11-21T10:05:00Z should have
        | valid SEG-Y files: 1 problem(s):
        |   4c1d2a7e-... (2026-11-21T10:00:00Z..2026-11-21T11:00:00Z, complete):
        |   /data/segy-recorder/2026/11/21/10/4c1d2a7e-....sgy: file is missing

        Returns the number checked, e.g. ``1``.
        """
        low, high = _range(start, end)
        root = self.state.segy_root(segy_root)
        report = ranges.check(
            expectation, self._between(low, high), low, high, root, allow_invalid, gap_tolerance
        )
        logger.info(report.html_table(), html=True)
        if allowed := report.of(ranges.ALLOWED):
            logger.warn(
                f"{len(allowed)} recording(s) between {iso_utc(low)} and {iso_utc(high)} "
                "classified invalid (allowed): " + "; ".join(row.line() for row in allowed[:5])
            )
        if not report.rows and min_recordings > 0:
            raise AssertionError(
                f"No recording overlaps {iso_utc(low)}..{iso_utc(high)}: nothing was checked, "
                f"which proves nothing (min_recordings={min_recordings}). Check the range "
                "(times are UTC), or pass min_recordings=0 when an empty range is expected."
            )
        failures = report.failures()
        if failures:
            shown = "\n  ".join(failures[:10])
            more = f"\n  ... and {len(failures) - 10} more" if len(failures) > 10 else ""
            raise AssertionError(
                f"Recordings between {iso_utc(low)} and {iso_utc(high)} "
                f"{_verb(expectation)}: {len(failures)} problem(s):\n  {shown}{more}\n"
                f"{report.summary()}"
            )
        if report.checked < min_recordings:
            raise AssertionError(
                f"{report.summary()}: all {len(report.rows)} were skipped, fewer checked than "
                f"min_recordings={min_recordings}; nothing was checked, which proves nothing. "
                "Pass min_recordings=0 when that is expected."
            )
        logger.info(report.summary())
        return report.checked

    @keyword
    def get_recent_recording_range(self, recordings: int = 4) -> list[str]:
        """``[start, end]`` (ISO-8601 UTC, milliseconds) from the start of an older complete
        recording to the start of the newest one, ``recordings`` complete recordings counted
        from the newest (default 4: the fourth newest to the newest, so three recordings
        overlap it). Fails when fewer complete recordings are stored. Reads once.

        | ${start}    ${end} = | `Get Recent Recording Range` |

        Returns e.g. ``["2026-11-22T09:56:00.000Z", "2026-11-22T09:59:00.000Z"]``.
        """
        if recordings < 2:
            raise ValueError(f"a range needs two recordings at least, got {recordings}")
        starts = sorted(
            to_utc(item["start_time"])
            for item in self._recordings({"classification": "complete", "deleted": False})
        )
        if len(starts) < recordings:
            raise AssertionError(
                f"Only {len(starts)} complete recording(s) stored, {recordings} needed"
            )
        return [iso_utc(starts[-recordings], True), iso_utc(starts[-1], True)]

    @keyword
    def recordings_should_be_every_stored_one_overlapping(
        self,
        listed: list[dict[str, Any]],
        start: str | datetime | int | float,
        end: str | datetime | int | float,
        min_recordings: int = 2,
    ) -> int:
        """``listed`` (recordings as ``GET /recordings`` answers for ``start`` to ``end``,
        see FocusApi's ``Get Recordings``) are exactly the live (not deleted) recordings
        stored that overlap that range (start before its end, end after its start or none
        yet): every one, none more. At least ``min_recordings`` must overlap, so that
        "every" is put to the test. Returns how many were compared.

        | ${listed} = | Get Recordings | start=${start} | end=${end} |
        | `Recordings Should Be Every Stored One Overlapping` | ${listed} | ${start} | ${end} |
        """
        low, high = _range(start, end)
        overlapping = self._between(low, high)
        live = [item for item in overlapping if item.get("deleted") is not True]
        stored = sorted(str(item["uuid"]) for item in live)
        span = f"{iso_utc(low, True)}..{iso_utc(high, True)}"
        if len(stored) < min_recordings:
            raise AssertionError(
                f"Only {len(stored)} recording(s) overlap {span}, {min_recordings} needed"
            )
        from_api = sorted(str(item["uuid"]) for item in listed)
        missing = sorted(set(stored) - set(from_api))
        extra = sorted(set(from_api) - set(stored))
        if missing or extra or len(from_api) != len(stored):
            raise AssertionError(
                f"GET /recordings for {span} and MongoDB's overlapping recordings differ: "
                f"{len(from_api)} listed, {len(stored)} stored; not listed "
                f"{missing[:SAMPLE_SIZE]}, listed but not stored (or deleted) {extra[:SAMPLE_SIZE]}"
            )
        logger.info(f"{len(stored)} recording(s) overlap {span}: every one listed, none more")
        return len(stored)

    @keyword
    def recording_should_have_started_since(
        self, since: str | datetime | int | float
    ) -> dict[str, Any]:
        """A recording that is still in progress started at or after ``since``: the
        recorder is recording again (after its pod was replaced, ``since`` being the
        delete: `Get Disruption Time`). Reads once; returns that recording.

        | ${since} = | Get Disruption Time | segy-recorder |
        | `Recording Should Have Started Since` | ${since} |

        Returns the recording document, e.g. one with ``"classification": "in_progress"``
        and ``"end_time": None``.
        """
        moment = to_utc(since)
        found = self._recordings(
            {"start_time": {"$gte": moment}, "end_time": None, "deleted": {"$ne": True}}
        )
        if found:
            return found[0]
        newest = self.connection.find(RECORDINGS, {}, FIELDS)
        latest = max(newest, key=lambda item: str(item.get("start_time")), default=None)
        seen = (
            "no recording at all"
            if latest is None
            else f"the newest started at {latest.get('start_time')} "
            f"({latest.get('classification')})"
        )
        raise AssertionError(
            f"No recording in progress started since {iso_utc(moment, milliseconds=True)}: {seen}"
        )

    @keyword
    def find_overlapping_recordings(self, min_documents: int = 2) -> list[list[str]]:
        """Pairs of uuids of live recordings (``complete`` or ``in_progress``, not deleted)
        whose time ranges overlap; an ``in_progress`` one runs until now. Touching
        (one ends where the next starts) is not an overlap. Fails when fewer than
        ``min_documents`` live recordings exist (fewer than two cannot overlap, so the
        answer would prove nothing; ``0`` allows it).

        | ${pairs} = | `Find Overlapping Recordings` |
        | Should Be Empty | ${pairs} |
        """
        intervals = checks.live_intervals(self._recordings(), datetime.now(UTC))
        require_documents(len(intervals), min_documents, "live recording(s)")
        pairs = [list(pair) for pair in checks.overlapping_pairs(intervals)]
        logger.info(
            f"{len(intervals)} live recording(s), {len(pairs)} overlapping pair(s): "
            f"{pairs[:SAMPLE_SIZE]}"
        )
        return pairs

    @keyword
    def recording_classification_should_be_correct(
        self,
        segy_root: str | None = None,
        query: dict[str, Any] | None = None,
        min_documents: int = 1,
        allow_invalid: bool = False,
    ) -> int:
        """Fail unless each recording's stored ``classification`` is what the contract's rule
        gives: ``deleted`` when ``deleted: true``; ``in_progress`` with no ``end_time``;
        ``complete`` when ``end_time > start_time`` and the file (``file_path`` under
        ``segy_root``, default the connection's) is present; else ``invalid``. Fails too
        when fewer than ``min_documents`` were checked (``0`` allows none).

        Every recording matching ``query`` is checked (all of them by default; for a time
        range use `Recordings Between`). A recording classified ``invalid`` (rightly) is
        a finding: it fails the check, or with ``allow_invalid=True`` it is listed in a
        warning. Returns how many were checked.

        | `Recording Classification Should Be Correct` | ${SEGY_ROOT} |
        | `Recording Classification Should Be Correct` | allow_invalid=True |

        Returns the number checked, e.g. ``73``.
        """
        segy_root = self.state.segy_root(segy_root) or ""
        recordings = self._recordings(query)
        require_documents(len(recordings), min_documents, "recording(s)")
        invalid = [
            f"{recording.get('uuid')} ({ranges.rule_reason(recording, segy_root)[1]})"
            for recording in recordings
            if recording.get("classification") == "invalid"
        ]
        if invalid and not allow_invalid:
            raise AssertionError(
                log_offenders(
                    f"of {len(recordings)} recording(s) classified invalid (a finding; "
                    "allow_invalid=True reports them as a warning instead)",
                    len(invalid),
                    invalid[:SAMPLE_SIZE],
                )
            )
        if invalid:
            logger.warn(
                f"{len(invalid)} of {len(recordings)} recording(s) classified invalid: "
                + "; ".join(invalid[:SAMPLE_SIZE])
            )
        wrong = []
        for recording in recordings:
            expected = checks.expected_classification(recording, segy_root)
            if recording.get("classification") != expected:
                wrong.append(
                    {
                        "uuid": recording.get("uuid"),
                        "stored": recording.get("classification"),
                        "rule": expected,
                    }
                )
        if wrong:
            raise AssertionError(
                log_offenders(
                    f"of {len(recordings)} recording(s) misclassified",
                    len(wrong),
                    wrong[:SAMPLE_SIZE],
                )
            )
        return len(recordings)

    @keyword("Complete Recordings Should Have Valid SEG-Y Files")
    def complete_recordings_should_have_valid_segy_files(
        self, segy_root: str | None = None, min_documents: int = 1
    ) -> int:
        """Fail unless every ``complete`` recording's SEG-Y file exists under ``segy_root``
        (default: the connection's), opens with segyio (readable binary and trace headers)
        and has ``channel_count`` traces, and at least ``min_documents`` complete
        recordings were checked (``0`` allows none). Returns how many files were checked.

        It checks the whole history; the log says how many recordings of each other
        classification it left out (deleted, in progress, invalid: a finding that
        `Recording Classification Should Be Correct` reports). For a time range use
        `Recordings Between`.

        | `Complete Recordings Should Have Valid SEG-Y Files` | ${SEGY_ROOT} |

        Returns the number checked, e.g. ``66``.
        """
        segy_root = self.state.segy_root(segy_root) or ""
        left_out: dict[str, int] = {}
        for recording in self._recordings({"classification": {"$ne": "complete"}}):
            kind = str(recording.get("classification"))
            left_out[kind] = left_out.get(kind, 0) + 1
        if left_out:
            logger.info(
                "Not checked (only complete recordings have a final file): "
                + ", ".join(f"{count} {kind}" for kind, count in sorted(left_out.items()))
            )
        recordings = self._recordings({"classification": "complete"})
        require_documents(len(recordings), min_documents, "complete recording(s)")
        problems = [
            f"{recording['uuid']}: {problem}"
            for recording in recordings
            if (
                problem := checks.segy_problem(
                    checks.resolve(segy_root, recording["file_path"]), recording["channel_count"]
                )
            )
        ]
        if problems:
            raise AssertionError(
                log_offenders(
                    f"of {len(recordings)} complete recording(s) without a valid SEG-Y file",
                    len(problems),
                    problems[:SAMPLE_SIZE],
                )
            )
        logger.info(f"{len(recordings)} SEG-Y file(s) checked")
        return len(recordings)

    @keyword("Every SEG-Y File Should Have One Recording")
    def every_segy_file_should_have_one_recording(
        self, segy_root: str, settle: timedelta = timedelta(seconds=5), min_files: int = 1
    ) -> int:
        """Fail unless every SEG-Y file under ``segy_root`` (``*.sgy``, ``*.segy``, at any
        depth) is the ``file_path`` of exactly one recording: the recorder stores one
        document per file, never none, never two. A file found without exactly one is
        looked at again after ``settle`` (its document may have been on its way) before it
        counts. Fails too when fewer than ``min_files`` files were checked. Returns how many
        were.

        | `Every SEG-Y File Should Have One Recording` | ${SEGY_ROOT} |
        """
        files = checks.segy_files(segy_root)
        require_documents(len(files), min_files, f"SEG-Y file(s) under {segy_root}")
        problems = checks.files_without_one_recording(files, self._recordings(), segy_root)
        if problems:
            suspects = [path for path in files if any(str(path) in p for p in problems)]
            time.sleep(settle.total_seconds())
            suspects = [path for path in suspects if path.exists()]
            problems = checks.files_without_one_recording(suspects, self._recordings(), segy_root)
        logger.info(f"{len(files)} SEG-Y file(s) checked, {len(problems)} not one recording")
        if problems:
            raise AssertionError(
                log_offenders(
                    f"of {len(files)} SEG-Y file(s) not stored as exactly one recording",
                    len(problems),
                    problems[:SAMPLE_SIZE],
                )
            )
        return len(files)

    @keyword
    def recording_history_should_have_no_gaps(
        self, tolerance: timedelta = timedelta(seconds=5), min_documents: int = 1
    ) -> int:
        """Fail when, between the first recording and now, a stretch longer than ``tolerance``
        is covered by no recording (of any classification), or when fewer than
        ``min_documents`` recordings exist (``0`` allows none: no history, no gap).
        Returns the recordings checked.

        | `Recording History Should Have No Gaps` | tolerance=30s |
        """
        recordings = self._recordings()
        require_documents(len(recordings), min_documents, "recording(s)")
        found = checks.gaps(recordings, datetime.now(UTC), tolerance)
        if found:
            spans = [
                f"{start:%Y-%m-%dT%H:%M:%S}Z..{end:%Y-%m-%dT%H:%M:%S}Z "
                f"({(end - start).total_seconds():.0f} s)"
                for start, end in found
            ]
            raise AssertionError(
                log_offenders(
                    f"gap(s) longer than {tolerance.total_seconds():g} s in the recording history",
                    len(found),
                    spans[:SAMPLE_SIZE],
                )
            )
        return len(recordings)


def _range(
    start: str | datetime | int | float, end: str | datetime | int | float
) -> tuple[datetime, datetime]:
    """The range a tester wrote, as UTC datetimes; fails on an empty or reversed one."""
    now = datetime.now(UTC)
    low, high = to_utc(start, now), to_utc(end, now)
    if high <= low:
        raise ValueError(
            f"the range {iso_utc(low)}..{iso_utc(high)} is empty: the end must be after the "
            f"start (times are {FORMATS})"
        )
    return low, high


def _verb(expectation: Expectation) -> str:
    return {
        Expectation.SHOULD_BE_COMPLETE: "should be complete",
        Expectation.SHOULD_HAVE_VALID_SEGY_FILES: "should have valid SEG-Y files",
        Expectation.SHOULD_BE_CLASSIFIED_CORRECTLY: "should be classified correctly",
    }[expectation]
