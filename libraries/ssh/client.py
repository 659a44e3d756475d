"""A plain SSH client (paramiko) to the worker node, through the jump host. No Robot imports.

Used where a keyword library needs SSH without SSHLibrary's connection state: the
Kubernetes library's kubectl fallback, the sanity check and the pod monitor's
fallback. Host keys are verified: against ``known_hosts`` when given, else the
user's ``~/.ssh/known_hosts``; an unknown host is refused with one line saying how
to add it. Every failure is one :class:`SshError` line: what, where, how to fix.
"""

from __future__ import annotations

import shlex
import threading
from dataclasses import dataclass
from pathlib import Path

import paramiko


class SshError(RuntimeError):
    """An SSH connection or command failed; the message is one actionable line."""


def split_address(address: str, default_port: int = 22) -> tuple[str, int]:
    """``host``, ``host:port`` or ``[v6]:port`` to ``(host, port)``."""
    address = address.strip()
    if address.startswith("["):
        host, _, rest = address[1:].partition("]")
        return host, int(rest.lstrip(":") or default_port)
    if address.count(":") == 1:
        host, port = address.split(":")
        return host, int(port)
    return address, default_port


@dataclass(frozen=True)
class Result:
    rc: int
    stdout: str
    stderr: str


def _load_key(path: str) -> paramiko.PKey:
    try:
        return paramiko.PKey.from_path(path)
    except FileNotFoundError:
        raise SshError(f"SSH key {path} does not exist: check SSH_KEY") from None
    except (paramiko.SSHException, ValueError) as error:
        raise SshError(f"SSH key {path} cannot be read ({error}): check SSH_KEY") from None


def _known_host_keys(known_hosts: str | None) -> paramiko.HostKeys:
    keys = paramiko.HostKeys()
    path = Path(known_hosts or "~/.ssh/known_hosts").expanduser()
    if path.is_file():
        keys.load(str(path))
    elif known_hosts:
        raise SshError(f"known_hosts file {known_hosts} does not exist: check SSH_KNOWN_HOSTS")
    return keys


def _unknown_host(host: str, port: int) -> SshError:
    return SshError(
        f"SSH host key of {host}:{port} is unknown: add it to known_hosts "
        f"(ssh-keyscan -p {port} {host} >> ~/.ssh/known_hosts) or set SSH_KNOWN_HOSTS"
    )


def _changed_host(host: str, port: int) -> SshError:
    return SshError(
        f"SSH host key of {host}:{port} does not match known_hosts: "
        "the host changed or someone is in between; verify it before you trust it"
    )


def verify_host_key(
    host: str, port: int, server_key: paramiko.PKey, known_hosts: str | None = None
) -> None:
    """Raise one-line :class:`SshError` unless ``server_key`` is the key ``known_hosts``
    (default ``~/.ssh/known_hosts``) lists for ``host:port`` (``[host]:port`` off port 22)."""
    name = host if port == 22 else f"[{host}]:{port}"
    entry = _known_host_keys(known_hosts).lookup(name)
    if entry is None:
        raise _unknown_host(host, port)
    known = entry.get(server_key.get_name())
    if known is None or known != server_key:
        raise _changed_host(host, port)


def _client(known_hosts: str | None) -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    if known_hosts:
        client.load_host_keys(known_hosts)
    else:
        client.load_system_host_keys()
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    return client


def _connect(
    client: paramiko.SSHClient,
    host: str,
    port: int,
    user: str,
    key: paramiko.PKey,
    key_path: str,
    timeout: float,
    sock=None,
) -> None:
    where = f"{user}@{host}:{port}"
    try:
        client.connect(
            host,
            port,
            username=user,
            pkey=key,
            timeout=timeout,
            banner_timeout=timeout,
            auth_timeout=timeout,
            channel_timeout=timeout,
            allow_agent=False,
            look_for_keys=False,
            sock=sock,
        )
    except paramiko.AuthenticationException:
        raise SshError(
            f"SSH login {where} refused: the key {key_path} is not authorized there "
            "(check SSH_USER and SSH_KEY)"
        ) from None
    except paramiko.BadHostKeyException:
        raise _changed_host(host, port) from None
    except paramiko.SSHException as error:
        if "not found in known_hosts" in str(error):
            raise _unknown_host(host, port) from None
        raise SshError(f"SSH to {host}:{port} failed: {error}") from None
    except (TimeoutError, OSError) as error:
        reason = "timed out" if isinstance(error, TimeoutError) else (error.strerror or str(error))
        raise SshError(f"cannot reach SSH at {host}:{port}: {reason.lower()}") from None


class WorkerConnection:
    """An SSH session to the worker node (through the jump host when one is given)."""

    def __init__(
        self,
        host: str,
        user: str,
        key: str,
        jump_host: str | None = None,
        known_hosts: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.address = host
        self.jump_address = jump_host
        self.timeout = timeout
        self._lock = threading.Lock()
        pkey = _load_key(key)
        worker_host, worker_port = split_address(host)
        self.jump: paramiko.SSHClient | None = None
        sock = None
        if jump_host:
            jump_host_name, jump_port = split_address(jump_host)
            self.jump = _client(known_hosts)
            _connect(self.jump, jump_host_name, jump_port, user, pkey, key, timeout)
            try:
                sock = self.jump.get_transport().open_channel(
                    "direct-tcpip", (worker_host, worker_port), ("127.0.0.1", 0), timeout=timeout
                )
            except (paramiko.ChannelException, paramiko.SSHException) as error:
                self.jump.close()
                raise SshError(
                    f"the jump host {jump_host} refused to forward to {host} ({error}): "
                    "check SSH_HOST, and that the jump host may reach it"
                ) from None
        self.client = _client(known_hosts)
        try:
            _connect(self.client, worker_host, worker_port, user, pkey, key, timeout, sock)
        except SshError:
            self.close()
            raise

    @property
    def where(self) -> str:
        via = f" via {self.jump_address}" if self.jump_address else ""
        return f"{self.address}{via}"

    def run(self, command: str, timeout: float | None = None) -> Result:
        """Run ``command`` on the worker node; its exit status and output."""
        timeout = timeout or self.timeout
        try:
            _, stdout, stderr = self.client.exec_command(command, timeout=timeout)
            out = stdout.read().decode(errors="replace")
            err = stderr.read().decode(errors="replace")
            rc = stdout.channel.recv_exit_status()
        except (TimeoutError, paramiko.SSHException, OSError) as error:
            raise SshError(f"'{command}' on {self.where} failed: {error or 'timed out'}") from None
        return Result(rc, out, err)

    def kubectl(self, *args: str, timeout: float | None = None) -> str:
        """``kubectl <args>`` on the worker node; its stdout, or one-line SshError."""
        command = "kubectl " + " ".join(shlex.quote(arg) for arg in args)
        result = self.run(command, timeout)
        if result.rc != 0:
            first = (result.stderr.strip() or result.stdout.strip() or "no output").splitlines()
            raise SshError(f"{command} on {self.where} exited {result.rc}: {first[0][:200]}")
        return result.stdout

    def close(self) -> None:
        for client in (getattr(self, "client", None), self.jump):
            if client is not None:
                client.close()


def connect_worker(
    host: str,
    user: str,
    key: str,
    jump_host: str | None = None,
    known_hosts: str | None = None,
    timeout: float = 10.0,
) -> WorkerConnection:
    if not Path(key).expanduser().exists():
        raise SshError(f"SSH key {key} does not exist: check SSH_KEY")
    return WorkerConnection(
        host, user, str(Path(key).expanduser()), jump_host, known_hosts, timeout
    )


def offered_login_methods(
    address: str,
    user: str,
    key: str | None = None,
    jump_host: str | None = None,
    known_hosts: str | None = None,
    timeout: float = 10.0,
) -> list[str]:
    """The login methods the SSH server at ``address`` offers ``user``: its answer to an
    ``auth none`` request (RFC 4252, section 5.2), after its host key is checked against
    ``known_hosts``. No credential is sent to it. With ``jump_host`` it is reached
    through the jump host, logged in there with ``key``. ``["none"]`` means the server
    let the user in without any credential.
    """
    host, port = split_address(address)
    jump = None
    sock = None
    try:
        if jump_host:
            if not key:
                raise SshError(f"reaching {address} through {jump_host} needs a key (SSH_KEY)")
            jump_name, jump_port = split_address(jump_host)
            jump = _client(known_hosts)
            _connect(jump, jump_name, jump_port, user, _load_key(key), key, timeout)
            sock = jump.get_transport().open_channel(
                "direct-tcpip", (host, port), ("127.0.0.1", 0), timeout=timeout
            )
        transport = paramiko.Transport(sock if sock is not None else (host, port))
        try:
            transport.start_client(timeout=timeout)
            verify_host_key(host, port, transport.get_remote_server_key(), known_hosts)
            try:
                transport.auth_none(user)
            except paramiko.BadAuthenticationType as error:
                return sorted(error.allowed_types)
            return ["none"]
        finally:
            transport.close()
    except (paramiko.SSHException, OSError) as error:
        raise SshError(f"SSH to {address} failed: {error or type(error).__name__}") from None
    finally:
        if jump is not None:
            jump.close()
