"""Following every pod's log through kubectl on the worker node, over SSH.

For an environment whose Kubernetes API is not reachable from the tester's machine
(staging behind a firewall) while the worker node's kubectl is: one SSH session runs
``kubectl get pods --watch``, and each pod that reaches Running gets one session
running ``kubectl logs --follow --timestamps``. Lines go to the same sink as with
:class:`~libraries.pod_monitor.kube_source.KubeSource`, and watch events are handled as
there (:class:`~libraries.pod_monitor.following.FollowingSource`). Robot-free.
"""

from __future__ import annotations

import shlex
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from libraries.pod_monitor.following import (
    RECENT_S,
    Dedup,
    FollowingSource,
    LineSink,
    split_stamped,
)
from libraries.ssh.client import WorkerConnection

if TYPE_CHECKING:
    import paramiko

_WATCH_FORMAT = '{.type}{" "}{.object.metadata.name}{" "}{.object.status.phase}{"\\n"}'


class SshSource(FollowingSource):
    """Watches the pods of ``namespace`` with kubectl on the worker node; follows their logs."""

    def __init__(
        self,
        connect: Callable[[], WorkerConnection],
        namespace: str,
        sink: LineSink,
        on_gone: Callable[[str], None] = lambda pod: None,
    ) -> None:
        super().__init__(namespace, sink, on_gone)  # kubectl's watch gives no uid: none kept
        self._connect = connect
        self.connection: WorkerConnection | None = None
        self._channels: set[paramiko.Channel] = set()

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
                self.track("ADDED", name, phase)
        threading.Thread(target=self._watch, name="pod-monitor-ssh-watch", daemon=True).start()

    def stop(self) -> None:
        self.stopped.set()
        with self._lock:
            channels = list(self._channels)
        for channel in channels:
            channel.close()
        if self.connection is not None:
            self.connection.close()

    def _open(self, command: str) -> paramiko.Channel:
        transport = self.connection.client.get_transport() if self.connection else None
        if transport is None:  # not connected, or closed: the callers start again
            raise ConnectionError(f"no SSH connection to {self.where}")
        channel = transport.open_session(timeout=10)
        channel.exec_command(command)
        with self._lock:
            self._channels.add(channel)
        return channel

    def _lines(self, channel: paramiko.Channel) -> Iterator[str]:
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
                        self.track(kind, name, phase)
            except Exception:  # the session broke (paramiko, socket): start it again
                pass
            self.stopped.wait(1.0)

    def _follow_pod(self, name: str, uid: str) -> None:
        dedup = Dedup()
        since = [f"--since={RECENT_S}s"] if name in self._recent_only else []
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

    def _closed(self, channel: paramiko.Channel) -> None:
        channel.close()
        with self._lock:
            self._channels.discard(channel)
