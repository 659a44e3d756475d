"""kubectl on the worker node over SSH: the Kubernetes library's way when the API is away.

When the tester's machine cannot reach the Kubernetes API (a firewall, a VPN down, a
closed port) but the worker node can, :class:`KubectlOverSsh` runs ``kubectl`` there
through the jump host and turns its JSON into the same objects the API client
returns (``V1Pod``...), so keywords and their return shapes do not change. No Robot
imports.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kubernetes import client as k8s

from libraries.ssh.client import SshError, WorkerConnection, connect_worker


@dataclass(frozen=True)
class SshRoute:
    """How to reach the worker node: its address, the jump host, the user and key."""

    host: str
    user: str
    key: str
    jump_host: str | None = None
    known_hosts: str | None = None
    timeout: float = 10.0

    def describe(self) -> str:
        via = f" via {self.jump_host}" if self.jump_host else ""
        return f"kubectl on {self.user}@{self.host}{via}"


class _Raw:
    def __init__(self, text: str) -> None:
        self.data = text


class KubectlOverSsh:
    """The subset of :class:`KubeClient` that works through ``kubectl`` on the worker."""

    def __init__(
        self,
        route: SshRoute,
        namespace: str,
        error: type[Exception],
        connect: Callable[[SshRoute], WorkerConnection] | None = None,
    ) -> None:
        self.route = route
        self.namespace = namespace
        self.error = error
        self._connect = connect or (
            lambda r: connect_worker(r.host, r.user, r.key, r.jump_host, r.known_hosts, r.timeout)
        )
        self._connection: WorkerConnection | None = None
        self._decoder = k8s.ApiClient()

    def _kubectl(self, *args: str) -> str:
        try:
            if self._connection is None:
                self._connection = self._connect(self.route)
            return self._connection.kubectl(*args, "--namespace", self.namespace)
        except SshError as error:
            self.close()
            message = f"Kubernetes API unreachable; the SSH fallback failed: {error}"
            raise self.error(message) from None

    def _decode(self, text: str, kind: str) -> Any:
        return self._decoder.deserialize(_Raw(text), kind)

    def list_pods(self, label_selector: str = "", name_pattern: str | None = None) -> list[Any]:
        args = ["get", "pods", "--output", "json"]
        if label_selector:
            args += ["--selector", label_selector]
        pods = self._decode(self._kubectl(*args), "V1PodList").items
        if name_pattern:
            pattern = re.compile(name_pattern)
            pods = [pod for pod in pods if pattern.search(pod.metadata.name)]
        return sorted(pods, key=lambda pod: pod.metadata.name)

    def get_pod(self, name: str) -> Any:
        try:
            return self._decode(self._kubectl("get", "pod", name, "--output", "json"), "V1Pod")
        except self.error as error:
            if "NotFound" in str(error) or "not found" in str(error):
                raise self.error(f"pod {self.namespace}/{name} does not exist") from None
            raise

    def logs(
        self,
        name: str,
        tail_lines: int | None = None,
        since_seconds: int | None = None,
        timestamps: bool = False,
    ) -> str:
        args = ["logs", name]
        if tail_lines is not None:
            args.append(f"--tail={int(tail_lines)}")
        if since_seconds is not None:
            args.append(f"--since={int(since_seconds)}s")
        if timestamps:
            args.append("--timestamps")
        return self._kubectl(*args)

    def delete_pod(self, name: str, grace_seconds: int | None = None) -> None:
        args = ["delete", "pod", name, "--wait=false"]
        if grace_seconds is not None:
            args.append(f"--grace-period={int(grace_seconds)}")
        try:
            self._kubectl(*args)
        except self.error as error:
            if "NotFound" in str(error) or "not found" in str(error):
                raise self.error(f"cannot delete pod {self.namespace}/{name}: not found") from None
            raise

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
