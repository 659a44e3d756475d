"""Following every pod's log in a namespace through the Kubernetes API.

One thread watches the namespace's pods; each pod that reaches Running (or has
already finished) gets one follower thread that streams ``GET .../log?follow=true
&timestamps=true``. When the stream ends and the pod still runs (its container
restarted, the connection dropped), the follower reopens it and skips the lines it
already has; when the pod is deleted, the follower reads to the stream's last line
and stops, and the pod is forgotten. A pod re-created under the same name (a
StatefulSet's ``mongodb-0``) is a new pod (a new uid) and gets a follower of its own.
Robot-free.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes import watch
from kubernetes.client.rest import ApiException

from libraries.pod_monitor.following import (
    RECENT_S,
    Dedup,
    FollowingSource,
    LineSink,
    split_stamped,
)

_REOPEN_S = 0.2
_WATCH_TIMEOUT_S = 60


class SourceUnavailable(RuntimeError):
    """The pods cannot be listed; the message says where and why, in one line."""


def api_client(kubeconfig: str, context: str | None, pool_size: int = 64) -> k8s.ApiClient:
    """An API client with a pool large enough for one stream per pod (no pool warnings)."""
    configuration = k8s.Configuration()
    k8s_config.load_kube_config(
        config_file=kubeconfig,
        context=context,
        client_configuration=configuration,
        persist_config=False,
    )
    configuration.connection_pool_maxsize = pool_size
    configuration.retries = 0  # one attempt: an unreachable API fails fast, quietly
    return k8s.ApiClient(configuration)


def _lines(response: Any) -> Iterator[str]:
    partial = b""
    for chunk in response.stream(65536, decode_content=True):
        *complete, partial = (partial + chunk).split(b"\n")
        for line in complete:
            yield line.decode(errors="replace").rstrip("\r")
    if partial:
        yield partial.decode(errors="replace")


def short_reason(error: BaseException) -> str:
    """``Connection refused`` rather than urllib3's three nested messages."""
    text = str(getattr(error, "reason", "") or error or type(error).__name__)
    found = re.search(r"\[Errno -?\d+\] ([^'\")]+)", text)
    if found:
        return found.group(1).strip()
    if "timed out" in text.lower():
        return "timed out"
    return text.splitlines()[0][:160]


class KubeSource(FollowingSource):
    """Watches the pods of ``namespace`` and follows each pod's log into ``sink``."""

    def __init__(
        self,
        api: k8s.ApiClient,
        namespace: str,
        sink: LineSink,
        on_gone: Callable[[str], None] = lambda pod: None,
        connect_timeout: float = 3.0,
    ) -> None:
        super().__init__(namespace, sink, on_gone)
        self.api = api
        self.core = k8s.CoreV1Api(api)
        self.connect_timeout = connect_timeout
        self._responses: set[Any] = set()
        self._watcher: threading.Thread | None = None

    @property
    def where(self) -> str:
        return f"{self.api.configuration.host} (namespace {self.namespace})"

    def start(self) -> None:
        """List the pods (raises :class:`SourceUnavailable`), then watch and follow them."""
        try:
            listing = self.core.list_namespaced_pod(
                self.namespace, _request_timeout=(self.connect_timeout, 10)
            )
        except ApiException as error:
            raise SourceUnavailable(
                f"the Kubernetes API at {self.where} answered {error.status} {error.reason}"
            ) from None
        except Exception as error:  # urllib3 and socket errors: unreachable
            reason = short_reason(error)
            raise SourceUnavailable(
                f"the Kubernetes API at {self.where} is not reachable ({reason})"
            ) from None
        self._recent_only = {pod.metadata.name for pod in listing.items}
        for pod in listing.items:
            self._seen("ADDED", pod)
        self._watcher = threading.Thread(
            target=self._watch,
            args=(listing.metadata.resource_version,),
            name="pod-monitor-watch",
            daemon=True,
        )
        self._watcher.start()

    def stop(self) -> None:
        self.stopped.set()
        with self._lock:
            responses = list(self._responses)
        for response in responses:
            try:
                response.shutdown()  # unblocks a follower waiting on a quiet pod
            except Exception:
                pass

    # ------------------------------------------------------------------ watch
    def _watch(self, resource_version: str) -> None:
        failures = 0
        while not self.stopped.is_set():
            watcher = watch.Watch()
            try:
                for event in watcher.stream(
                    self.core.list_namespaced_pod,
                    self.namespace,
                    resource_version=resource_version,
                    timeout_seconds=_WATCH_TIMEOUT_S,
                    _request_timeout=(self.connect_timeout, _WATCH_TIMEOUT_S + 30),
                ):
                    if self.stopped.is_set():
                        break
                    pod = event["object"]
                    if event["type"] == "ERROR" or not hasattr(pod, "metadata"):
                        continue
                    resource_version = pod.metadata.resource_version or resource_version
                    self._seen(event["type"], pod)
                    failures = 0
                resource_version = watcher.resource_version or resource_version
            except ApiException as error:
                if error.status == 410:  # too old: list again
                    resource_version = self._relist()
                else:
                    failures += 1
            except Exception:
                failures += 1
            if failures:
                self.stopped.wait(min(0.5 * failures, 5.0))

    def _relist(self) -> str:
        try:
            listing = self.core.list_namespaced_pod(
                self.namespace, _request_timeout=(self.connect_timeout, 10)
            )
        except Exception:
            return ""
        names = {pod.metadata.name for pod in listing.items}
        for name in list(self.phases):
            if name not in names:
                self._gone(name)
        for pod in listing.items:
            self._seen("MODIFIED", pod)
        returned: str = listing.metadata.resource_version
        return returned

    def _seen(self, kind: str, pod: Any) -> None:
        phase = (pod.status and pod.status.phase) or "Pending"
        self.track(kind, pod.metadata.name, phase, pod.metadata.uid or "")

    # ------------------------------------------------------------------ follow
    def _should_reopen(self, name: str, uid: str) -> bool:
        with self._lock:
            return (
                not self.stopped.is_set()
                and name not in self.deleted
                and self.uids.get(name, "") == uid
                and self.phases.get(name) == "Running"
            )

    def _same_pod(self, name: str, uid: str) -> bool:
        """Whether ``name`` is still the pod ``uid`` (a log stream names no uid: before
        reopening one, a follower makes sure it would not read a re-created pod)."""
        if not uid:
            return True
        try:
            pod = self.core.read_namespaced_pod(
                name, self.namespace, _request_timeout=(self.connect_timeout, 10)
            )
        except ApiException as error:
            gone: bool = error.status == 404
            return not gone
        except Exception:
            return True  # unreachable for now: the next attempt tells
        returned: bool = pod.metadata.uid == uid
        return returned

    def _follow_pod(self, name: str, uid: str) -> None:
        dedup = Dedup()
        since = {"since_seconds": RECENT_S} if name in self._recent_only else {}
        while not self.stopped.is_set():
            dedup.restart()
            try:
                response = self.core.read_namespaced_pod_log(
                    name,
                    self.namespace,
                    follow=True,
                    timestamps=True,
                    _preload_content=False,
                    _request_timeout=(self.connect_timeout, None),
                    **since,
                )
            except ApiException:
                response = None  # not started yet, or gone
            except Exception:
                response = None
            if response is not None:
                self._read(name, response, dedup)
                since = {}  # reopened: a restarted container's run, from its start
            if not self._should_reopen(name, uid):
                return
            self.stopped.wait(_REOPEN_S)
            if not self._same_pod(name, uid):
                return  # re-created under its name: that pod has a follower of its own

    def _read(self, name: str, response: Any, dedup: Dedup) -> None:
        with self._lock:
            self._responses.add(response)
        try:
            for raw in _lines(response):
                stamped = split_stamped(raw)
                if stamped is None:
                    continue
                ns, text = stamped
                if dedup.fresh(ns):
                    self.sink(name, ns, text)
        except Exception:
            pass
        finally:
            with self._lock:
                self._responses.discard(response)
            response.release_conn()
