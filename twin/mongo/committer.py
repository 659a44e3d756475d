"""Group commit: one fdatasync, in a worker thread, for every write queued meanwhile.

A command changes the in-memory state on the loop thread, which queues its journal
records; its connection then awaits :meth:`GroupCommitter.durable` before replying. The
flusher takes the queued records and the waiters together (atomically on the loop
thread), writes and syncs them off the loop, then releases exactly those waiters, so a
reply never precedes the fsync of its own records.
"""

from __future__ import annotations

import asyncio
import logging

from twin.mongo.store import Store

log = logging.getLogger("twin.mongo")


class GroupCommitter:
    """Makes the store's queued changes durable in batches."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._waiters: list[asyncio.Future[None]] = []
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._busy = False
        self._stopping = False

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._flush_forever())

    async def stop(self) -> None:
        """Flush what is queued, then stop the flusher (never in the middle of a write)."""
        if self._task is not None:
            self._stopping = True
            self._wakeup.set()
            await self._task
            self._task = None

    async def durable(self) -> None:
        """Return once every change made so far is on disk (raises OSError if it failed).

        Also waits for a flush in progress, so that no reply shows data not yet durable.
        """
        if not (self._store.pending or self._waiters or self._busy):
            return
        if self._task is None or self._task.done():
            self._store.write_durably(self._store.take_pending())
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        self._wakeup.set()
        await waiter

    async def _flush_forever(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            if not self._waiters and not self._store.pending:
                if self._stopping:
                    return
                continue
            self._busy = True
            waiters, self._waiters = self._waiters, []
            data = self._store.take_pending()
            try:
                await loop.run_in_executor(None, self._store.write_durably, data)
                self._store.compact_if_large()
            except OSError as error:
                log.error("journal write failed: %s", error)
                _settle(waiters, error)
            else:
                _settle(waiters, None)
            finally:
                self._busy = False
            self._wakeup.set()  # look again: more may have queued meanwhile


def _settle(waiters: list[asyncio.Future[None]], error: OSError | None) -> None:
    for waiter in waiters:
        if waiter.done():
            continue
        if error is None:
            waiter.set_result(None)
        else:
            waiter.set_exception(error)
