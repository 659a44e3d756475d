"""The recorder: resume after a crash, back-fill missed time, then record live.

Live cycle: insert an ``in_progress`` document, wait ``cadence`` (or until stopped),
write the SEG-Y file atomically, then set ``end_time`` and ``complete``. The next
recording starts exactly where the previous one ended, so the history has neither
gaps nor overlaps. A recording left ``in_progress`` by a killed recorder is closed as
``complete`` when its file is whole, else marked ``invalid``; the time the recorder was
away is back-filled (the twin's interrogator buffers its data, like a real edge box).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pymongo import DESCENDING
from pymongo.database import Database

from twin.segy_recorder import history, probe, segyfile

log = logging.getLogger("segy-recorder")


@dataclass(frozen=True)
class RecorderSettings:
    """What and how often to record."""

    root: Path
    cadence: timedelta = timedelta(seconds=10)
    channel_count: int = 8
    samples: int = 4000
    history: timedelta = timedelta(days=3)
    seed_tasks: int = 24
    seed_alerts: int = 40


def utc_now() -> datetime:
    """Now, truncated to the millisecond as BSON stores it."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def as_utc(value: datetime) -> datetime:
    """A BSON datetime read without ``tz_aware`` is naive UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class Recorder:
    """Writes SEG-Y files and their ``recordings`` documents into ``db``."""

    def __init__(self, db: Database, settings: RecorderSettings, stop: threading.Event) -> None:
        self.db = db
        self.settings = settings
        self.stop = stop
        self.recordings = db["recordings"]
        self._file_seed = 0

    # -- start-up -------------------------------------------------------------------------
    def resume(self) -> datetime:
        """Seed or repair the history; returns where the next live recording starts."""
        for document in self.recordings.find({"classification": "in_progress", "deleted": False}):
            self._close_dangling(document)
        seeding = self.recordings.estimated_document_count() == 0
        if seeding:
            cursor = utc_now() - self.settings.history
            self._seed_tasks_and_alerts(cursor)
        else:
            cursor = self._last_end() or utc_now()
        end = max(utc_now(), cursor)  # never start before the last recording's end
        self._backfill(cursor, end, seeding)
        return end

    def _close_dangling(self, document: dict[str, Any]) -> None:
        path = self.settings.root / document["file_path"]
        segyfile.remove_partial(path)
        start = as_utc(document["start_time"])
        end = max(min(utc_now(), start + self.settings.cadence), start + timedelta(milliseconds=1))
        complete = segyfile.is_complete(path, document["channel_count"])
        classification = "complete" if complete else "invalid"
        self.recordings.update_one(
            {"_id": document["_id"]},
            {"$set": {"end_time": end, "classification": classification}},
        )
        log.warning("closed dangling recording %s as %s", document["uuid"], classification)

    def _last_end(self) -> datetime | None:
        last = self.recordings.find_one(
            {"end_time": {"$ne": None}}, sort=[("end_time", DESCENDING)], projection=["end_time"]
        )
        return as_utc(last["end_time"]) if last else None

    def _seed_tasks_and_alerts(self, start: datetime) -> None:
        end = utc_now()
        for name, build, count in (
            ("tasks", history.task_documents, self.settings.seed_tasks),
            ("alerts", history.alert_documents, self.settings.seed_alerts),
        ):
            if count and self.db[name].estimated_document_count() == 0:
                self.db[name].insert_many(build(start, end, count, seed=int(start.timestamp())))
                log.info("seeded %d %s", count, name)

    def _backfill(self, start: datetime, end: datetime, seeding: bool) -> None:
        planned = history.plan_backfill(start, end, self.settings.channel_count, seeding)
        for item in planned:
            if item.write_file:
                self._write_file(item.document)
        if planned:
            self.recordings.insert_many([item.document for item in planned], ordered=True)
            log.info("back-filled %d recordings from %s to %s", len(planned), start, end)

    # -- live -----------------------------------------------------------------------------
    def run(self) -> None:
        """Record until ``stop`` is set; the current recording is closed before returning."""
        probe.clear_ready(self.settings.root)
        try:
            start = self.resume()
            while not self.stop.is_set():
                start = self.record_one(start)
        finally:
            probe.clear_ready(self.settings.root)
        log.info("stopped")

    def record_one(self, start: datetime) -> datetime:
        """One live recording from ``start``; returns its end (the next start)."""
        document = history.recording_document(
            start, None, self.settings.channel_count, "in_progress"
        )
        self.recordings.insert_one(document)
        probe.mark_ready(self.settings.root, document["uuid"])
        log.info("recording %s started at %s", document["uuid"], start)
        self.stop.wait(max(0.0, (start + self.settings.cadence - utc_now()).total_seconds()))
        end = max(utc_now(), start + timedelta(milliseconds=1))
        self._write_file(document)
        self.recordings.update_one(
            {"_id": document["_id"]},
            {"$set": {"end_time": end, "classification": "complete"}},
        )
        log.info("recording %s complete at %s", document["uuid"], end)
        return end

    def _write_file(self, document: dict[str, Any]) -> None:
        self._file_seed += 1
        segyfile.write_segy(
            self.settings.root / document["file_path"],
            document["channel_count"],
            self.settings.samples,
            as_utc(document["start_time"]),
            seed=self._file_seed,
        )
