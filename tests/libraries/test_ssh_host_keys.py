"""Host-key verification of the SSH client (libraries/ssh/client.py): no server needed."""

from __future__ import annotations

from pathlib import Path

import paramiko
import pytest

from libraries.ssh.client import SshError, verify_host_key


def _key() -> paramiko.PKey:
    return paramiko.ECDSAKey.generate()


def _known(tmp_path: Path, *lines: tuple[str, paramiko.PKey]) -> str:
    path = tmp_path / "known_hosts"
    path.write_text("".join(f"{name} {key.get_name()} {key.get_base64()}\n" for name, key in lines))
    return str(path)


def test_the_listed_key_passes_at_host_and_port(tmp_path: Path):
    server = _key()
    verify_host_key("127.0.0.1", 2222, server, _known(tmp_path, ("[127.0.0.1]:2222", server)))
    verify_host_key("192.0.2.7", 22, server, _known(tmp_path, ("192.0.2.7", server)))


def test_another_key_at_the_address_is_refused(tmp_path: Path):
    known = _known(tmp_path, ("[127.0.0.1]:2222", _key()))
    with pytest.raises(
        SshError, match=r"^SSH host key of 127.0.0.1:2222 does not match known_hosts"
    ):
        verify_host_key("127.0.0.1", 2222, _key(), known)


def test_the_key_of_another_port_does_not_count(tmp_path: Path):
    server = _key()
    known = _known(tmp_path, ("[127.0.0.1]:2200", server))
    with pytest.raises(SshError, match="is unknown: add it to known_hosts"):
        verify_host_key("127.0.0.1", 2222, server, known)


def test_a_missing_known_hosts_file_is_one_line(tmp_path: Path):
    with pytest.raises(SshError, match="known_hosts file .* does not exist: check SSH_KNOWN_HOSTS"):
        verify_host_key("127.0.0.1", 22, _key(), str(tmp_path / "none"))
