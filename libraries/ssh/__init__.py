"""SSH support keywords next to SSHLibrary: addresses, free ports, throwaway keys, and the
twin's API port switch for the SSH fallback tests. The SSH client itself is
``libraries/ssh/client.py`` (plain paramiko, no Robot imports)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from robot.api import logger
from robot.api.deco import keyword, library

from libraries.ssh.client import SshError, offered_login_methods, split_address, verify_host_key

__all__ = ["SshSupport"]


def _quiet_tunnel_errors() -> None:
    """SSHLibrary's tunnel server prints a traceback to the console when a tunnelled
    connection is cut while its SSH connection closes (a client still sending as the
    test ends). That is the end of a tunnel, not an error: note it in the log instead."""
    from SSHLibrary.pythonforward import ForwardServer

    def handle_error(server, request, client_address) -> None:
        logger.debug(f"SSH tunnel connection from {client_address} ended while closing")

    ForwardServer.handle_error = handle_error


@library(scope="GLOBAL")
class SshSupport:
    """Helpers for ``resources/ssh.resource`` (SSHLibrary does the SSH itself).

    = Twin only =

    ``Close Kubernetes API Port`` and ``Reopen Kubernetes API Port`` (the Environment
    library: the one place the suite reaches into the twin) take the local twin's
    Kubernetes API away from the tester while the worker node still reaches it, as a
    firewall would; tests using them are ``destructive``.
    """

    def __init__(self) -> None:
        self._temp: list[Path] = []
        _quiet_tunnel_errors()

    @keyword
    def split_ssh_address(self, address: str, default_port: int = 22) -> tuple[str, int]:
        """``host``, ``host:port`` or ``[v6]:port`` -> host and port.

        | ${host}    ${port} = | `Split SSH Address` | ${SSH_HOST} |
        """
        if not address:
            raise ValueError("no SSH address: set SSH_HOST (and SSH_JUMP_HOST) for this run")
        return split_address(address, default_port)

    @keyword
    def ssh_host_key_should_be_known(
        self, address: str, known_hosts: str | None = None, alias: str | None = None
    ) -> None:
        """Fails, and closes the connection, unless the host key SSHLibrary's connection
        ``alias`` (default: the current one) was given is the one ``known_hosts`` (default
        ``~/.ssh/known_hosts``) lists for ``address``.

        SSHLibrary accepts any host key (paramiko's AutoAddPolicy); this check runs right
        after the login, before any command, so nothing is sent to or trusted from a host
        that is not the one known. A public-key login reveals no secret to an impostor.

        | `SSH Host Key Should Be Known` | ${SSH_HOST} | ${SSH_KNOWN_HOSTS} |
        """
        from robot.libraries.BuiltIn import BuiltIn

        ssh = BuiltIn().get_library_instance("SSHLibrary")
        connection = ssh._connections.get_connection(alias) if alias else ssh.current
        transport = connection.client.get_transport() if connection else None
        if transport is None or not transport.is_active():
            raise AssertionError(f"no open SSH connection to {address} to check the host key of")
        host, port = split_address(address)
        try:
            verify_host_key(host, port, transport.get_remote_server_key(), known_hosts)
        except SshError as error:
            connection.close()
            raise AssertionError(str(error)) from None

    @keyword
    def get_ssh_login_methods(
        self,
        address: str,
        user: str,
        key: str | None = None,
        jump: str | None = None,
        known_hosts: str | None = None,
    ) -> list[str]:
        """The login methods the SSH server at ``address`` offers ``user`` (its answer to an
        ``auth none`` request), after checking its host key against ``known_hosts``; no
        credential is sent to it. With ``jump`` (``host[:port]``) it is reached through that
        jump host, logged in there with ``key``.

        | ${methods} = | `Get SSH Login Methods` | ${SSH_JUMP_HOST} | ${SSH_USER} |
        """
        try:
            methods = offered_login_methods(address, user, key, jump, known_hosts)
        except SshError as error:
            raise AssertionError(str(error)) from None
        logger.info(f"SSH at {address} offers {user}: {', '.join(methods)}")
        return methods

    @keyword
    def get_free_local_port(self) -> int:
        """A TCP port on 127.0.0.1 that nothing listens on now (for a local tunnel)."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return probe.getsockname()[1]

    @keyword
    def create_throwaway_ssh_key(self) -> str:
        """A new ed25519 private key file that no host authorizes; removed when the run ends."""
        directory = Path(tempfile.mkdtemp(prefix="throwaway-key-"))
        self._temp.append(directory)
        path = directory / "id_ed25519"
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "throwaway", "-f", str(path)],
            check=True,
            capture_output=True,
            timeout=30,
        )
        path.chmod(0o600)
        return str(path)

    def __del__(self) -> None:
        for directory in self._temp:
            shutil.rmtree(directory, ignore_errors=True)
