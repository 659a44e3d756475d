"""The API server's object store: a diff-based mirror of the supervisor, with watch events.

The supervisor hands the store the *current* objects of a kind (``sync``); the store
compares them with what it holds and emits ``ADDED``/``MODIFIED``/``DELETED`` events,
each with the next global ``resourceVersion``. A bounded history lets a watch resume
from a list's ``resourceVersion``; a version older than the history is "too old" (410).
"""

from __future__ import annotations

import asyncio
import builtins
import copy
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_HISTORY = 1000


@dataclass(frozen=True)
class Event:
    rv: int
    type: str
    kind: str
    object: dict


class TooOld(Exception):
    """The requested resourceVersion is older than the retained history."""


class Store:
    """Objects by (kind, name), a global resourceVersion, history and live watchers."""

    def __init__(self, history: int = DEFAULT_HISTORY) -> None:
        self._rv = 1
        # Called before every read: the owner brings the store up to date with the changes
        # it has not synced yet (it syncs once per burst of changes, not once per change).
        self.before_read: Callable[[], None] = lambda: None
        self._plain: dict[tuple[str, str], dict] = {}
        self.objects: dict[tuple[str, str], dict] = {}
        self.history: deque[Event] = deque(maxlen=max(history, 1))
        self.watchers: set[asyncio.Queue] = set()

    def sync(self, kind: str, current: dict[str, dict]) -> None:
        """Make the store's objects of ``kind`` equal ``current`` (name -> object)."""
        for name, obj in current.items():
            key = (kind, name)
            old = self._plain.get(key)
            if old == obj:
                continue
            if old is not None and _uid(old) != _uid(obj):
                # Another object under the same name (a StatefulSet's pod re-created between
                # two syncs): the API server ends the old one and starts the new one. A
                # MODIFIED event here would leave a client watching for the old object's
                # DELETED (kubectl delete's wait) waiting forever.
                self._emit("DELETED", key, self._plain.pop(key), keep=False)
                old = None
            self._emit("ADDED" if old is None else "MODIFIED", key, obj)
        for key in [k for k in self._plain if k[0] == kind and k[1] not in current]:
            last = self._plain.pop(key)
            self._emit("DELETED", key, last, keep=False)

    @property
    def rv(self) -> int:
        """The newest resourceVersion."""
        self.before_read()
        return self._rv

    def _emit(self, kind_of_event: str, key: tuple[str, str], obj: dict, keep: bool = True) -> None:
        self._rv += 1
        stamped = copy.deepcopy(obj)
        stamped.setdefault("metadata", {})["resourceVersion"] = str(self._rv)
        if keep:
            self._plain[key] = copy.deepcopy(obj)
            self.objects[key] = stamped
        else:
            self.objects.pop(key, None)
        event = Event(self._rv, kind_of_event, key[0], stamped)
        self.history.append(event)
        for queue in list(self.watchers):
            queue.put_nowait(event)

    def get(self, kind: str, name: str) -> dict | None:
        self.before_read()
        return self.objects.get((kind, name))

    def written(self, kind: str, name: str) -> dict:
        """An object the caller has just created or changed (KeyError if it is not there)."""
        self.before_read()
        obj = self.objects.get((kind, name))
        if obj is None:
            raise KeyError(f"{kind}/{name} is not in the store after it was written")
        return obj

    def list(self, kind: str) -> list[dict]:
        self.before_read()
        return [obj for (k, _), obj in sorted(self.objects.items()) if k == kind]

    # builtins.list: inside this class, `list` is the method above
    def subscribe(self, since: int | None) -> tuple[builtins.list[Event], asyncio.Queue]:
        """Events after ``since`` from history (None: none), and a queue of the next ones.

        Raises :class:`TooOld` when events after ``since`` were already dropped.
        """
        self.before_read()
        backlog: builtins.list[Event] = []
        if since is not None and since < self._rv:
            oldest = self.history[0].rv if self.history else self._rv + 1
            if since + 1 < oldest:
                raise TooOld(f"too old resource version: {since} ({oldest - 1})")
            backlog = [event for event in self.history if event.rv > since]
        queue: asyncio.Queue = asyncio.Queue()
        self.watchers.add(queue)
        return backlog, queue

    def unsubscribe(self, queue: asyncio.Queue) -> None:
        self.watchers.discard(queue)


def _uid(obj: dict) -> str | None:
    return (obj.get("metadata") or {}).get("uid")
