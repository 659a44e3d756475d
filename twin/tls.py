"""The twin's private CA and server certificate (trustme).

Created once per twin directory and reused, so a client that trusted ``ca.pem``
keeps trusting the twin across restarts. Every twin server presents
``server.pem`` (valid for 127.0.0.1, ::1 and localhost); every client verifies
against ``ca.pem``.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from cryptography import x509

from twin import config

_HOSTS = ("127.0.0.1", "::1", "localhost")
_RENEW_BEFORE = dt.timedelta(days=7)


def _still_valid(cert_path: Path) -> bool:
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except (OSError, ValueError):
        return False
    return cert.not_valid_after_utc - dt.datetime.now(dt.UTC) > _RENEW_BEFORE


def ensure_certificates(base: Path) -> dict[str, str]:
    """Create the CA and server certificate in ``base`` unless valid ones exist."""
    ca_file = config.ca_path(base)
    cert_file = config.server_cert_path(base)
    key_file = config.server_key_path(base)
    if not all(path.exists() for path in (ca_file, cert_file, key_file)) or not _still_valid(
        cert_file
    ):
        import trustme

        ca = trustme.CA(organization_name="Focus twin")
        server = ca.issue_cert(*_HOSTS)
        base.mkdir(parents=True, exist_ok=True)
        ca.cert_pem.write_to_path(str(ca_file))
        server.cert_chain_pems[0].write_to_path(str(cert_file))
        for extra in server.cert_chain_pems[1:]:
            extra.write_to_path(str(cert_file), append=True)
        server.private_key_pem.write_to_path(str(key_file))
        os.chmod(key_file, 0o600)
    return {"ca": str(ca_file), "server_cert": str(cert_file), "server_key": str(key_file)}
