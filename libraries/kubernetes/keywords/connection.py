"""Connecting to a cluster: kubeconfig and context, or in-cluster configuration."""

from __future__ import annotations

from datetime import timedelta

from robot.api import logger
from robot.api.deco import keyword

from contract import constants
from libraries.kubernetes.client import KubeClient
from libraries.kubernetes.keywords.base import LibraryComponent
from libraries.kubernetes.ssh_fallback import SshRoute


class ConnectionKeywords(LibraryComponent):
    """Opening, switching and closing Kubernetes connections."""

    @keyword
    def connect_to_kubernetes(
        self,
        kubeconfig: str | None = None,
        context: str | None = None,
        namespace: str = constants.K8S_NAMESPACE,
        in_cluster: bool = False,
        timeout: timedelta = timedelta(seconds=10),
        alias: str = "default",
        ssh_host: str | None = None,
        ssh_jump_host: str | None = None,
        ssh_user: str | None = None,
        ssh_key: str | None = None,
        ssh_known_hosts: str | None = None,
    ) -> str:
        """Opens a connection with a kubeconfig (and optional context) or in-cluster config.

        ``timeout`` is the timeout of every API request of this connection. The
        connection becomes current; returns its alias. TLS is always verified with
        the kubeconfig's certificate authority.

        With ``ssh_host`` (the worker node, ``host[:port]``), ``ssh_user`` and
        ``ssh_key`` (and optionally ``ssh_jump_host`` and ``ssh_known_hosts``), the
        connection falls back to ``kubectl`` on the worker node over SSH whenever the
        API is unreachable from here: `List Pods`, `Get Pod Name`, `Get Pod Phase`,
        `Get Pod Logs`, `Delete Pod` and the other pod keywords then work with the same
        arguments and return shapes. Host keys are verified (``ssh_known_hosts``, else
        ``~/.ssh/known_hosts``).

        | `Connect To Kubernetes` | ${KUBECONFIG} | context=${KUBE_CONTEXT} | namespace=panda |
        | `Connect To Kubernetes` | in_cluster=True |
        | `Connect To Kubernetes` | ${KUBECONFIG} | ssh_host=${SSH_HOST} | ssh_user=${SSH_USER} |
        | ... | ssh_key=${SSH_KEY} | ssh_jump_host=${SSH_JUMP_HOST} |
        """
        seconds = timeout.total_seconds()
        if in_cluster:
            connection = KubeClient.in_cluster(namespace, seconds)
            origin = "in-cluster configuration"
        else:
            if not kubeconfig:
                raise ValueError("Connect To Kubernetes needs a kubeconfig, or in_cluster=True")
            connection = KubeClient.from_kubeconfig(kubeconfig, context, namespace, seconds)
            origin = f"{kubeconfig} (context {context or 'current'})"
        if ssh_host and ssh_user and ssh_key:
            route = SshRoute(ssh_host, ssh_user, ssh_key, ssh_jump_host, ssh_known_hosts, seconds)
            connection.use_ssh_fallback(route)
            connection.on_fallback = logger.info
            origin += f"; when the API is unreachable: {route.describe()}"
        self.connections.register(connection, alias)
        logger.info(f"Kubernetes connection '{alias}': {origin}, namespace {namespace}")
        return alias

    @keyword
    def switch_kubernetes_connection(self, alias: str) -> str:
        """Makes connection ``alias`` current; returns the previous alias.

        Returns the previous alias, e.g. ``default``.
        """
        return self.connections.switch(alias)

    @keyword
    def close_all_kubernetes_connections(self) -> None:
        """Closes every connection (use in suite teardowns)."""
        self.connections.close_all()
