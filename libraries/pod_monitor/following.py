"""What both log sources share: the pods by name, one follower thread per running pod, and
forgetting a deleted pod once its follower has read its last line. Robot-free.

A source (:class:`~libraries.pod_monitor.kube_source.KubeSource` through the Kubernetes
API, :class:`~libraries.pod_monitor.ssh_source.SshSource` through kubectl over SSH) feeds
its watch events to :meth:`FollowingSource.track` and follows one pod's log in
``_follow_pod``; the lines it reads carry the container runtime's timestamps
(``timestamps=true``), which :func:`split_stamped` reads and :class:`Dedup` uses to skip
what a reopened stream repeats.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

LineSink = Callable[[str, int, str], None]  # (pod, timestamp ns, text)
RECENT_S = 5  # seconds of history read from a pod that already ran when the monitor started
_FOLLOWED_PHASES = ("Running", "Succeeded", "Failed")


def parse_timestamp(stamp: str) -> int:
    """RFC 3339 (nano) ``2026-11-30T15:50:24.659330123Z`` to nanoseconds since the epoch."""
    base, _, fraction = stamp.rstrip("Z").partition(".")
    seconds = dt.datetime.strptime(base, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.UTC).timestamp()
    digits = "".join(ch for ch in fraction if ch.isdigit())[:9]
    return int(seconds) * 1_000_000_000 + int((digits or "0").ljust(9, "0"))


def split_stamped(raw: str) -> tuple[int, str] | None:
    """``(ns, text)`` of a ``timestamps=true`` log line; ``None`` when it has no stamp."""
    stamp, _, text = raw.partition(" ")
    try:
        return parse_timestamp(stamp), text
    except ValueError:
        return None


class Dedup:
    """Skips lines already read when a follower reopens its stream (same pod run)."""

    def __init__(self) -> None:
        self.last_ns = -1
        self.at_last = 0  # lines already taken with timestamp == last_ns
        self._seen_at = 0

    def restart(self) -> None:
        self._seen_at = 0

    def fresh(self, ns: int) -> bool:
        if ns < self.last_ns:
            return False
        if ns == self.last_ns:
            self._seen_at += 1
            if self._seen_at <= self.at_last:
                return False
            self.at_last += 1
            return True
        self.last_ns, self.at_last, self._seen_at = ns, 1, 1
        return True


class FollowingSource:
    """Base of a log source: the pods of ``namespace`` by name, each followed into ``sink``.

    A subclass watches the pods and calls :meth:`track` with each event; it follows one
    pod's log in ``_follow_pod`` (reading to the stream's last line, reopening it while
    the pod runs) and returns when the pod is gone or the source stopped.
    ``on_gone(pod)`` is called once a deleted pod's follower has ended.
    """

    def __init__(
        self,
        namespace: str,
        sink: LineSink,
        on_gone: Callable[[str], None] = lambda pod: None,
    ) -> None:
        self.namespace = namespace
        self.sink = sink
        self.on_gone = on_gone
        self.phases: dict[str, str] = {}
        self.uids: dict[str, str] = {}  # the pod now behind each name (empty: no uids known)
        self.deleted: set[str] = set()
        self.followers: dict[str, threading.Thread] = {}  # live pods' followers only
        self.stopped = threading.Event()
        self._lock = threading.Lock()
        # Pods that ran before the monitor started: only their recent lines (a new pabot
        # process must not fetch hours of history); later pods are followed from their start.
        self._recent_only: set[str] = set()

    def track(self, kind: str, name: str, phase: str, uid: str = "") -> None:
        """A watch event: start a follower once the pod runs; note a deleted pod."""
        if kind == "DELETED":
            with self._lock:
                stale = bool(uid) and self.uids.get(name, uid) != uid
            if not stale:
                self._gone(name)
            return
        with self._lock:
            if uid and self.uids.get(name, uid) != uid:  # re-created under the same name
                self.deleted.discard(name)
                self.followers.pop(name, None)  # the old one drains its stream and ends
            if uid:
                self.uids[name] = uid
            self.phases[name] = phase
            start = (
                phase in _FOLLOWED_PHASES
                and name not in self.followers
                and name not in self.deleted
            )
            if start:
                thread = threading.Thread(
                    target=self._follow,
                    args=(name, uid),
                    name=f"pod-monitor:{name}",
                    daemon=True,
                )
                self.followers[name] = thread
        if start:
            thread.start()

    def _gone(self, name: str) -> None:
        with self._lock:
            self.deleted.add(name)
            self.phases.pop(name, None)
            follower = self.followers.get(name)
            idle = follower is None or not follower.is_alive()
            if idle:
                self._forget(name)
        if idle:
            self.on_gone(name)

    def _forget(self, name: str) -> None:
        """Drop a deleted pod whose follower has ended (holding the lock): memory stays
        bounded by the live pods however many come and go (a soak makes thousands)."""
        self.followers.pop(name, None)
        self.uids.pop(name, None)
        self.deleted.discard(name)

    def _follow(self, name: str, uid: str = "") -> None:
        """A follower thread: the pod's log, then, when the pod was deleted, forget it."""
        try:
            self._follow_pod(name, uid)
        finally:
            with self._lock:
                mine = self.followers.get(name) is threading.current_thread()
                gone = mine and name in self.deleted
                if gone:
                    self._forget(name)
            if gone:
                self.on_gone(name)

    def _follow_pod(self, name: str, uid: str) -> None:
        """Follow the log of pod ``name`` (``uid`` when known) into ``sink`` until it ends."""
        raise NotImplementedError
