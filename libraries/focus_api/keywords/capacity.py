"""Keywords that check the capacity is free before a test counts on all of it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import timedelta

from robot.api import logger
from robot.api.deco import keyword

from libraries.common.polling import wait_until
from libraries.focus_api import capacity
from libraries.focus_api.client import FocusApiError
from libraries.focus_api.keywords.base import LibraryComponent


class CapacityKeywords(LibraryComponent):
    """`Get Active Tasks`, `No Task Should Be Active`."""

    @keyword
    def get_active_tasks(self) -> list[dict]:
        """``GET /tasks``: the tasks waiting or running on the Focus Server (each holds one
        of its ``MaxWindows`` slots), oldest first, as ``{"task_id", "status",
        "created_at"}``. Every client's tasks, not only this run's.

        | ${active} = | `Get Active Tasks` |
        | Length Should Be | ${active} | 0 |
        """
        return [asdict(task) for task in capacity.active_tasks(self.client)]

    @keyword
    def no_task_should_be_active(
        self, timeout: timedelta = timedelta(seconds=5), lock: str = "focus-capacity"
    ) -> None:
        """Waits up to ``timeout`` until no task is waiting or running on the Focus Server;
        then fails, naming each task left and the test that created it.

        For a test that needs every slot: it holds the ``${lock}`` lock alone, so no other
        test may hold a task meanwhile, and a task still active is one that an earlier
        test or teardown left running. Its creator comes from the task ledger (tests of
        this machine, load engines included); a task the ledger does not know is named as
        such. ``Capacity Test Setup`` calls this right after taking the lock.

        | `Hold Lock` | focus-capacity | mode=exclusive |
        | `No Task Should Be Active` | timeout=5s |
        """
        started = time.monotonic()
        read = self._active_reader()
        try:
            wait_until(
                read,
                lambda tasks: not tasks,
                what="no task waiting or running",
                timeout=timeout,
                interval=timedelta(milliseconds=250),
                retry_on=(FocusApiError,),
            )
        except AssertionError:
            active = read()
            if active:
                known = self.state.ledger.find(self.client.base_url, (t.task_id for t in active))
                waited = time.monotonic() - started
                raise AssertionError(
                    capacity.capacity_not_free(active, known, waited, lock)
                ) from None
        logger.info(
            f"No task waiting or running on {self.client.base_url} "
            f"(checked in {time.monotonic() - started:.1f} s): every slot is free"
        )

    def _active_reader(self) -> Callable[[], list[capacity.ActiveTask]]:
        """``GET /tasks``; on a server without it (404), this machine's ledger through
        ``GET /ack`` (with a warning: other clients' tasks are not seen then)."""
        client = self.client
        if client.tasks().status_code != 404:
            return lambda: capacity.active_tasks(client)
        entries = self.state.ledger.entries(client.base_url)
        logger.warn(
            f"{client.base_url} has no GET /tasks: checking only the {len(entries)} task(s) of "
            "this machine's task ledger; tasks of other clients are not seen"
        )
        return lambda: capacity.ledger_tasks_active(client, entries)
