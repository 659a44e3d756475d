"""Server-side cursors: results are materialised once, handed out in batches."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import bson
from bson import Int64
from bson.raw_bson import RawBSONDocument

from twin.mongo.errors import CURSOR_NOT_FOUND, CommandError
from twin.mongo.wire import MAX_BSON_OBJECT_SIZE

DEFAULT_FIRST_BATCH = 101
BATCH_BYTES = MAX_BSON_OBJECT_SIZE - 64 * 1024  # room for the reply envelope
IDLE_TIMEOUT_S = 600.0


@dataclass
class _Cursor:
    namespace: str
    documents: Iterator[dict[str, Any]]
    last_used: float = field(default_factory=time.monotonic)
    pending: RawBSONDocument | None = None


def _take(cursor: _Cursor, size: int | None) -> tuple[list[RawBSONDocument], bool]:
    """Up to ``size`` documents (None = no count limit) within the byte budget; and whether
    the cursor is exhausted."""
    batch: list[RawBSONDocument] = []
    total = 0
    while size is None or len(batch) < size:
        if cursor.pending is not None:
            raw, cursor.pending = cursor.pending, None
        else:
            try:
                raw = RawBSONDocument(bson.encode(next(cursor.documents)))
            except StopIteration:
                return batch, True
        if batch and total + len(raw.raw) > BATCH_BYTES:
            cursor.pending = raw
            return batch, False
        batch.append(raw)
        total += len(raw.raw)
    if cursor.pending is None:
        try:
            cursor.pending = RawBSONDocument(bson.encode(next(cursor.documents)))
        except StopIteration:
            return batch, True
    return batch, False


class CursorRegistry:
    """Open cursors of the whole server, by id; idle ones expire after ten minutes."""

    def __init__(self) -> None:
        self._cursors: dict[int, _Cursor] = {}

    def __len__(self) -> int:
        return len(self._cursors)

    def first_batch(
        self,
        namespace: str,
        documents: Iterable[dict[str, Any]],
        batch_size: int | None,
        single_batch: bool = False,
    ) -> dict[str, Any]:
        """The ``cursor`` sub-document of a find/aggregate/list* reply."""
        self._expire()
        cursor = _Cursor(namespace, iter(documents))
        batch, exhausted = _take(cursor, DEFAULT_FIRST_BATCH if batch_size is None else batch_size)
        cursor_id = 0
        if not exhausted and not single_batch:
            cursor_id = secrets.randbits(62) + 1
            self._cursors[cursor_id] = cursor
        return {"firstBatch": batch, "id": Int64(cursor_id), "ns": namespace}

    def next_batch(self, cursor_id: int, batch_size: int | None) -> dict[str, Any]:
        """The ``cursor`` sub-document of a getMore reply."""
        cursor = self._cursors.get(cursor_id)
        if cursor is None:
            raise CommandError(CURSOR_NOT_FOUND, f"cursor id {cursor_id} not found")
        cursor.last_used = time.monotonic()
        batch, exhausted = _take(cursor, batch_size or None)
        if exhausted:
            del self._cursors[cursor_id]
        return {
            "nextBatch": batch,
            "id": Int64(0 if exhausted else cursor_id),
            "ns": cursor.namespace,
        }

    def kill(self, cursor_ids: Iterable[int]) -> tuple[list[Int64], list[Int64]]:
        """Close cursors; returns (killed, not found)."""
        killed: list[Int64] = []
        not_found: list[Int64] = []
        for cursor_id in cursor_ids:
            found = self._cursors.pop(int(cursor_id), None) is not None
            (killed if found else not_found).append(Int64(cursor_id))
        return killed, not_found

    def _expire(self) -> None:
        deadline = time.monotonic() - IDLE_TIMEOUT_S
        for cursor_id in [cid for cid, c in self._cursors.items() if c.last_used < deadline]:
            del self._cursors[cursor_id]
