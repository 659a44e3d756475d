"""Keywords about the ``recordings`` collection and its SEG-Y files (contract §4)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from libraries.mongodb import checks
from libraries.mongodb.keywords.base import LibraryComponent, log_offenders, require_documents

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


class RecordingKeywords(LibraryComponent):
    """Classification, overlaps, gaps and SEG-Y files of the recordings."""

    def _recordings(self, query: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return list(self.connection.find(RECORDINGS, query or {}, FIELDS))

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
        self, segy_root: str, query: dict[str, Any] | None = None, min_documents: int = 1
    ) -> int:
        """Fail unless each recording's stored ``classification`` is what the contract's rule
        gives: ``deleted`` when ``deleted: true``; ``in_progress`` with no ``end_time``;
        ``complete`` when ``end_time > start_time`` and the file (``file_path`` under
        ``segy_root``) is present; else ``invalid``. Fails too when fewer than
        ``min_documents`` were checked (``0`` allows none). Returns how many were checked.

        | `Recording Classification Should Be Correct` | ${SEGY_ROOT} |
        """
        recordings = self._recordings(query)
        require_documents(len(recordings), min_documents, "recording(s)")
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
        self, segy_root: str, min_documents: int = 1
    ) -> int:
        """Fail unless every ``complete`` recording's SEG-Y file exists under ``segy_root``,
        opens with segyio (readable binary and trace headers) and has ``channel_count``
        traces, and at least ``min_documents`` complete recordings were checked (``0``
        allows none). Returns how many files were checked.

        | `Complete Recordings Should Have Valid SEG-Y Files` | ${SEGY_ROOT} |
        """
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
