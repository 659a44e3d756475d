"""Following every pod's log through kubectl on the worker node, over SSH.

For an environment whose Kubernetes API is not reachable from the tester's machine
(staging behind a firewall) while the worker node's kubectl is: one SSH session runs
``kubectl get pods --watch``, and each pod that reaches Running gets one session
running ``kubectl logs --follow --timestamps``. Lines go to the same sink as with
:class:`~libraries.pod_monitor.kube_source.KubeSource`. Robot-free.
"""

from __future__ import annotations

import shlex
import threading
from collections.abc import Callable

from libraries.pod_monitor.kube_source import (
    RECENT_S,
    Dedup,
    KubeSource,
    LineSink,
    split_stamped,
)
from libraries.ssh.client import WorkerConnection

_WATCH_FORMAT = '{.type}{" "}{.object.metadata.name}{" "}{.object.status.phase}{"\\n"}'


class SshSource:
    """Watches the pods of ``namespace`` with kubectl on the worker node; follows their logs."""

    def __init__(
        self,
        connect: Callable[[], WorkerConnection],
        namespace: str,
        sink: LineSink,
        on_gone: Callable[[str], None] = lambda pod: None,
    ) -> None:
        self._connect = connect
        self.namespace = namespace
        self.sink = sink
        self.on_gone = on_gone
        self.connection: WorkerConnection | None = None
        self.phases: dict[str, str] = {}
        self.uids: dict[str, str] = {}  # kubectl's watch gives no uid: stays empty
        self.followers: dict[str, threading.Thread] = {}
        self.deleted: set[str] = set()
        self.stopped = threading.Event()
        self._lock = threading.Lock()
        self._channels: set = set()
        self._recent_only: set[str] = set()

    @property
    def where(self) -> str:
        where = self.connection.where if self.connection else "the worker node"
        return f"kubectl on {where} over SSH (namespace {self.namespace})"

    def _kubectl(self, *args: str) -> str:
        quoted = " ".join(shlex.quote(arg) for arg in args)
        return f"kubectl --namespace {shlex.quote(self.namespace)} {quoted}"

    def start(self) -> None:
        """Connect and list once (raises :class:`SshError`), then watch and follow."""
        self.connection = self._connect()
        listing = self.connection.kubectl(
            "--namespace",
            self.namespace,
            "get",
            "pods",
            "-o",
            'jsonpath={range .items[*]}{.metadata.name}{" "}{.status.phase}{"\\n"}{end}',
        )
        for line in listing.splitlines():
            name, _, phase = line.partition(" ")
            if name:
                self._recent_only.add(name)
                self._seen("ADDED", name, phase)
        threading.Thread(target=self._watch, name="pod-monitor-ssh-watch", daemon=True).start()

    def stop(self) -> None:
        self.stopped.set()
        with self._lock:
            channels = list(self._channels)
        for channel in channels:
            channel.close()
        if self.connection is not None:
            self.connection.close()

    def _open(self, command: str):
        transport = self.connection.client.get_transport()
        channel = transport.open_session(timeout=10)
        channel.exec_command(command)
        with self._lock:
            self._channels.add(channel)
        return channel

    def _lines(self, channel):
        handle = channel.makefile("rb")
        for raw in handle:
            if self.stopped.is_set():
                return
            yield raw.decode(errors="replace").rstrip("\r\n")

    def _watch(self) -> None:
        command = self._kubectl(
            "get",
            "pods",
            "--watch-only",
            "--output-watch-events",
            "-o",
            f"jsonpath={_WATCH_FORMAT}",
        )
        while not self.stopped.is_set():
            try:
                channel = self._open(command)
                for line in self._lines(channel):
                    kind, name, phase = (line.split(" ") + ["", ""])[:3]
                    if name:
                        self._seen(kind, name, phase)
            except Exception:  # the session broke (paramiko, socket): start it again
                pass
            self.stopped.wait(1.0)

    # Watch events are handled as the API source handles them.
    _seen = KubeSource.track
    _gone = KubeSource._gone
    _forget = KubeSource._forget

    def _follow(self, name: str, uid: str = "") -> None:
        dedup = Dedup()
        since = [f"--since={RECENT_S}s"] if name in self._recent_only else []
        try:
            while not self.stopped.is_set():
                dedup.restart()
                channel = None
                try:
                    channel = self._open(
                        self._kubectl("logs", "--follow", "--timestamps", *since, name)
                    )
                    for raw in self._lines(channel):
                        stamped = split_stamped(raw)
                        if stamped and dedup.fresh(stamped[0]):
                            self.sink(name, stamped[0], stamped[1])
                    since = []
                except Exception:  # the session broke: reopen while the pod runs
                    pass
                finally:
                    if channel is not None:
                        self._closed(channel)
                with self._lock:
                    again = name not in self.deleted and self.phases.get(name) == "Running"
                if not again or self.stopped.is_set():
                    return
                self.stopped.wait(0.5)
        finally:
            with self._lock:
                mine = self.followers.get(name) is threading.current_thread()
                gone = mine and name in self.deleted
                if gone:
                    self._forget(name)
            if gone:
                self.on_gone(name)

    def _closed(self, channel) -> None:
        channel.close()
        with self._lock:
            self._channels.discard(channel)
