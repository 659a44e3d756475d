"""Is the capacity free? The tasks still waiting or running, and who left them.

A test that takes the ``focus-capacity`` lock alone counts on every slot being free. Under
that lock no other test of this machine may hold a task, so a task still waiting or running
is a leak (a teardown that missed it) or a stop that has not freed its slot yet. Either
way the test must not start on a wrong count: it waits a few seconds for the slots, then
fails and names each task left, with the test that created it from the task ledger.

A teardown that stops tasks confirms the same thing for its own tasks: it returns only
when none of them is waiting or running any more (`wait_until_inactive`).

Plain Python over :class:`FocusClient` and :class:`TaskLedger` (no Robot imports).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from contract import constants
from libraries.common.polling import wait_until
from libraries.focus_api.client import FocusApiError, FocusClient
from libraries.focus_api.ledger import Entry

ACTIVE = tuple(constants.ACTIVE_TASK_STATUSES)  # waiting, running: they hold a slot
NOT_IN_LEDGER = (
    "not in this machine's task ledger (created by another client, or by a request "
    "whose answer never reached its test)"
)


@dataclass(frozen=True)
class ActiveTask:
    """A task that holds a slot: ``GET /tasks`` lists it as waiting or running."""

    task_id: str
    status: str
    created_at: str = ""


def active_tasks(client: FocusClient) -> list[ActiveTask]:
    """``GET /tasks``: the tasks waiting or running on the server, oldest first.

    Raises ``AssertionError`` with the answer when the server does not list them.
    """
    response = client.tasks()
    if response.status_code != 200:
        raise AssertionError(
            f"GET /tasks answered {response.status_code}, expected 200 with the tasks waiting "
            f"or running: {response.text[:300]}"
        )
    try:
        listed = response.json()["tasks"]
        return [
            ActiveTask(str(item["task_id"]), str(item["status"]), str(item.get("created_at", "")))
            for item in listed
            if item["status"] in ACTIVE
        ]
    except (ValueError, KeyError, TypeError) as error:
        raise AssertionError(
            f"GET /tasks did not answer a list of tasks ({type(error).__name__}: {error}): "
            f"{response.text[:300]}"
        ) from None


def describe(tasks: Iterable[ActiveTask], known: dict[str, Entry], now: float | None = None) -> str:
    """One line per task: its id, status and who created it (the ledger) or why unknown."""
    lines = []
    for task in tasks:
        since = f" since {task.created_at}" if task.created_at else ""
        entry = known.get(task.task_id)
        origin = entry.describe(now) if entry else NOT_IN_LEDGER
        lines.append(f"  {task.task_id} ({task.status}{since}): {origin}")
    return "\n".join(lines)


def capacity_not_free(
    tasks: list[ActiveTask], known: dict[str, Entry], waited_s: float, lock: str
) -> str:
    """The failure of a test that found the capacity in use under its exclusive lock."""
    count = f"{len(tasks)} task{'s' if len(tasks) != 1 else ''}"
    by_test = sorted({known[t.task_id].test for t in tasks if t.task_id in known} - {""})
    culprits = (
        f" Fix the test{'s' if len(by_test) != 1 else ''} that left "
        f"{'them' if len(tasks) != 1 else 'it'}: {', '.join(by_test)}."
        if by_test
        else ""
    )
    return (
        f"The capacity is not free: {count} still waiting or running {waited_s:.0f} s after "
        f"this test took '{lock}' alone, so no other test may hold one:\n"
        f"{describe(tasks, known)}\n"
        f"A test or teardown left {'them' if len(tasks) != 1 else 'it'} running.{culprits}"
    )


def ledger_tasks_active(client: FocusClient, entries: Iterable[Entry]) -> list[ActiveTask]:
    """The ledger's tasks that ``GET /ack`` says are waiting or running."""
    statuses = ((entry.task_id, _status(client, entry.task_id)) for entry in entries)
    return [ActiveTask(task_id, status) for task_id, status in statuses if status in ACTIVE]


def _status(client: FocusClient, task_id: str) -> str:
    """The task's status (``gone`` when the server no longer knows it)."""
    response = client.ack(task_id)
    if response.status_code == 404:
        return "gone"
    if response.status_code != 200:
        raise AssertionError(f"GET /ack/{task_id} answered {response.status_code}")
    return str(response.json().get("status"))


def wait_until_inactive(
    client: FocusClient, task_ids: Iterable[str], timeout_s: float, interval_s: float = 0.25
) -> None:
    """Return once none of ``task_ids`` is waiting or running (``GET /ack``): their slots are
    free. Raises ``AssertionError`` naming those still active after ``timeout_s``."""
    pending = list(dict.fromkeys(task_ids))
    if not pending:
        return

    def still_active() -> dict[str, str]:
        statuses = {task_id: _status(client, task_id) for task_id in pending}
        pending[:] = [task_id for task_id, status in statuses.items() if status in ACTIVE]
        return {task_id: statuses[task_id] for task_id in pending}

    wait_until(
        still_active,
        lambda active: not active,
        what=f"the slots of {len(pending)} stopped task(s) to be free (no longer waiting "
        "or running)",
        timeout=timeout_s,
        interval=interval_s,
        retry_on=(FocusApiError, AssertionError, ValueError),
        describe=lambda active: ", ".join(f"{t} {s}" for t, s in active.items()),
    )
