"""The twin's SSH hosts: a jump host and a worker node, each a real OpenSSH ``sshd``.

Contract section 1: the tester reaches the worker node through the jump host, with a
key (no password login), and kubectl on the worker talks to the cluster. Both run
on loopback ports as twin workloads of kind ``Host`` (shown by ``python -m twin
status``, not by the Kubernetes API: they are hosts, not pods).

:func:`ensure_keys` (called by ``twin/prepare.py``) writes under ``<twin>/ssh/``:

- ``id_ed25519`` / ``id_ed25519.pub``: the tester's key pair; ``authorized_keys``;
- ``jump-host_ed25519_key``, ``worker-node_ed25519_key``: the hosts' own keys;
- ``known_hosts``: both host keys at their ``[127.0.0.1]:port`` addresses;
- ``<host>/sshd_config``: written by ``python -m twin.ssh`` when the host starts.

The jump host forwards only to the worker node's port; the worker forwards to
loopback ports (tunnels to MongoDB) and sets ``KUBECONFIG`` to the twin's.
"""

from __future__ import annotations

import getpass
import shutil
import socket
import subprocess
from pathlib import Path

from contract import constants

SSHD = "/usr/sbin/sshd"
HOSTS = (constants.SSH_JUMP_WORKLOAD, constants.SSH_WORKER_WORKLOAD)


def installed() -> bool:
    return Path(SSHD).exists() and shutil.which("ssh-keygen") is not None


def ssh_dir(base: Path) -> Path:
    path = base / "ssh"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _keygen(path: Path, comment: str) -> None:
    if path.exists() and path.with_suffix(".pub").exists():
        return
    path.unlink(missing_ok=True)
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
        capture_output=True,
        timeout=30,
    )
    path.chmod(0o600)


def ensure_keys(base: Path, jump_port: int, worker_port: int) -> dict:
    """Generate (once) the key pairs; (re)write authorized_keys and known_hosts."""
    directory = ssh_dir(base)
    user_key = directory / "id_ed25519"
    _keygen(user_key, "focus-tester@twin")
    known = []
    for host, port in zip(HOSTS, (jump_port, worker_port), strict=True):
        key = directory / f"{host}_ed25519_key"
        _keygen(key, f"{host}@twin")
        kind, data, *_ = Path(f"{key}.pub").read_text().split()
        known.append(f"[127.0.0.1]:{port} {kind} {data}")
    authorized = directory / "authorized_keys"
    authorized.write_text(user_key.with_suffix(".pub").read_text())
    authorized.chmod(0o600)
    (directory / "known_hosts").write_text("\n".join(known) + "\n")
    return {
        "jump_port": jump_port,
        "worker_port": worker_port,
        "user": getpass.getuser(),
        "key": str(user_key),
        "known_hosts": str(directory / "known_hosts"),
        "dir": str(directory),
    }


def sshd_config(base: Path, host: str, endpoints: dict, instance: str) -> str:
    """The ``sshd_config`` of ``host`` (jump host or worker node)."""
    ssh = endpoints["ssh"]
    directory = Path(ssh["dir"])
    port = ssh["jump_port"] if host == constants.SSH_JUMP_WORKLOAD else ssh["worker_port"]
    # Sessions carry the twin's marker, so 'python -m twin down' finds every one of them.
    env = [f"FOCUS_TWIN_INSTANCE={instance}", f"TWIN_SSH_HOST={host}"]
    if host == constants.SSH_JUMP_WORKLOAD:
        permit_open = f"127.0.0.1:{ssh['worker_port']}"  # a jump host leads to the worker only
    else:
        permit_open = "127.0.0.1:*"  # tunnels to the stack's loopback ports
        kube = endpoints["kube"]
        env.append(f"KUBECONFIG={kube.get('internal_kubeconfig') or kube['kubeconfig']}")
    lines = [
        f"ListenAddress 127.0.0.1:{port}",
        f"HostKey {directory / f'{host}_ed25519_key'}",
        "PidFile none",
        "UsePAM no",
        "StrictModes no",
        "AuthenticationMethods publickey",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PermitEmptyPasswords no",
        "PermitRootLogin prohibit-password",
        f"AllowUsers {ssh['user']}",
        f"AuthorizedKeysFile {directory / 'authorized_keys'}",
        "AllowTcpForwarding local",
        f"PermitOpen {permit_open}",
        "X11Forwarding no",
        "AllowAgentForwarding no",
        "PrintMotd no",
        "LogLevel VERBOSE",
        "MaxStartups 100:30:200",
        "MaxSessions 50",
        f"SetEnv {' '.join(env)}",
        "Subsystem sftp internal-sftp",
    ]
    return "\n".join(lines) + "\n"


def banner(port: int, timeout: float = 0.5) -> bytes:
    """The first bytes an SSH server sends (``SSH-2.0-OpenSSH_...``), or b''."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            return sock.recv(64)
    except OSError:
        return b""


def _port(endpoints: dict, host: str) -> int:
    ssh = endpoints["ssh"]
    return ssh["jump_port"] if host == constants.SSH_JUMP_WORKLOAD else ssh["worker_port"]


def probe(host: str):
    """A workload probe: ready when the host's port answers with an SSH banner."""

    def ready(endpoints: dict, secrets: dict) -> bool:
        return "ssh" in endpoints and banner(_port(endpoints, host)).startswith(b"SSH-")

    return ready
