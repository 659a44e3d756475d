"""Durability: an fsync'd append-only BSON journal plus a compacted snapshot.

Records are physical (the post-image of a document, a deletion by ``_id``, a collection's
options, an index), so replaying them is idempotent: a crash between writing a new
snapshot and emptying the journal only replays records the snapshot already holds.
"""

from __future__ import annotations

import fcntl
import os
import struct
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import bson

JOURNAL_FILE = "journal.bson"
SNAPSHOT_FILE = "snapshot.bson"
LOCK_FILE = "mongod.lock"


class DataDirLocked(RuntimeError):
    """Another stand-in process already owns the data directory."""


def _read_records(path: Path) -> tuple[list[dict[str, Any]], int]:
    """The valid records of ``path`` and the byte length they cover (a torn tail is dropped)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return [], 0
    records, offset = [], 0
    while offset + 4 <= len(data):
        (size,) = struct.unpack_from("<i", data, offset)
        if size < 5 or offset + size > len(data):
            break
        try:
            records.append(bson.decode(data[offset : offset + size]))
        except bson.errors.InvalidBSON:
            break
        offset += size
    return records, offset


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Journal:
    """The on-disk state of one stand-in; owns an exclusive lock on its directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._lock_fd = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock_fd)
            raise DataDirLocked(f"{directory} is in use by another process") from None
        self._fd: int | None = None
        self._pending: list[bytes] = []
        self.size = 0

    def load(self) -> Iterator[dict[str, Any]]:
        """Snapshot records then journal records; a torn journal tail is cut off."""
        snapshot, _ = _read_records(self.directory / SNAPSHOT_FILE)
        journal_path = self.directory / JOURNAL_FILE
        records, valid_length = _read_records(journal_path)
        if journal_path.exists() and journal_path.stat().st_size != valid_length:
            os.truncate(journal_path, valid_length)
        yield from snapshot
        yield from records

    def append(self, record: dict[str, Any]) -> None:
        """Queue a record; it is durable once :meth:`write` (or :meth:`commit`) has written it."""
        self._pending.append(bson.encode(record))

    @property
    def pending(self) -> bool:
        """Whether records are queued but not yet durable."""
        return bool(self._pending)

    def take(self) -> bytes:
        """Dequeue the queued records as one block, for :meth:`write`."""
        data = b"".join(self._pending)
        self._pending.clear()
        return data

    def write(self, data: bytes) -> None:
        """Append ``data`` and fdatasync it (may run in a worker thread; one writer at a time)."""
        if not data:
            return
        if self._fd is None:
            self._fd = os.open(
                self.directory / JOURNAL_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644
            )
            self.size = os.fstat(self._fd).st_size
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        os.fdatasync(self._fd)
        self.size += len(data)

    def commit(self) -> None:
        """Write the queued records and fsync them, in the calling thread."""
        self.write(self.take())

    def rewrite(self, records: Iterable[dict[str, Any]]) -> None:
        """Replace snapshot + journal by ``records`` (the full current state)."""
        self.commit()
        tmp = self.directory / (SNAPSHOT_FILE + ".tmp")
        with open(tmp, "wb") as handle:
            for record in records:
                handle.write(bson.encode(record))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.directory / SNAPSHOT_FILE)
        _fsync_dir(self.directory)
        if self._fd is not None:
            os.close(self._fd)
        self._fd = os.open(
            self.directory / JOURNAL_FILE,
            os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_TRUNC,
            0o644,
        )
        os.fsync(self._fd)
        self.size = 0

    def close(self) -> None:
        """Flush what is queued and release the directory."""
        self.commit()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        os.close(self._lock_fd)
