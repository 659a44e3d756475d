"""BrowserTrust: chromium verifies TLS and trusts the environment's CA, never ignores errors.

Chromium on Linux takes its local trust anchors from the user's NSS database
(``$HOME/.pki/nssdb``). `Get Browser Environment` builds one holding the environment's CA
bundle (``${CA_BUNDLE}``: the twin's own CA, or ``FOCUS_CA_BUNDLE`` on a remote
environment), with Debian's ``certutil`` (libnss3-tools), under the run's output directory,
and returns the environment for `New Browser` with ``HOME`` pointing at it. Without a CA
bundle the browser keeps the system's trust store. Either way certificate errors fail the
page: ``ignoreHTTPSErrors`` stays off everywhere.

| ${env} = | `Get Browser Environment` | ${CA_BUNDLE} |
| New Browser | chromium | env=${env} |
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from robot.api import logger
from robot.api.deco import keyword, library
from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError

CERTUTIL_MISSING = (
    "certutil is not installed, so chromium cannot trust the environment's CA: run "
    "'make setup' (or: apt-get install libnss3-tools)"
)


class BrowserTrustError(RuntimeError):
    ROBOT_SUPPRESS_NAME = True


def nss_home(ca_bundle: str | Path, base: Path) -> Path:
    """A home directory under ``base`` whose NSS database trusts each certificate of
    ``ca_bundle`` as a CA for servers; built once per bundle content (atomic rename, so
    pabot's processes may race for it)."""
    certutil = shutil.which("certutil")
    if certutil is None:
        raise BrowserTrustError(CERTUTIL_MISSING)
    data = Path(ca_bundle).read_bytes()
    home = base / hashlib.sha256(data).hexdigest()[:16]
    if (home / ".pki" / "nssdb" / "cert9.db").exists():
        return home
    base.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=".building-", dir=base))
    database = building / ".pki" / "nssdb"
    database.mkdir(parents=True)
    run = [certutil, "-d", f"sql:{database}"]
    subprocess.run([*run, "-N", "--empty-password"], check=True, capture_output=True, timeout=30)
    pems = [
        "-----BEGIN CERTIFICATE-----" + block
        for block in data.decode("ascii").split("-----BEGIN CERTIFICATE-----")[1:]
    ]
    if not pems:
        shutil.rmtree(building, ignore_errors=True)
        raise BrowserTrustError(f"{ca_bundle} holds no PEM certificate: check FOCUS_CA_BUNDLE")
    for number, pem in enumerate(pems, 1):
        subprocess.run(
            [*run, "-A", "-t", "C,,", "-n", f"focus-ca-{number}"],
            input=pem.encode(),
            check=True,
            capture_output=True,
            timeout=30,
        )
    try:
        os.replace(building, home)
    except OSError:  # another process built it first
        shutil.rmtree(building, ignore_errors=True)
    return home


@library(scope="GLOBAL", auto_keywords=False)
class BrowserTrust:
    """Chromium's trust in the environment's CA (see the module documentation)."""

    @keyword
    def get_browser_environment(self, ca_bundle: str | None = None) -> dict[str, str]:
        """The environment for `New Browser` (its ``env``): this process's, with ``HOME`` at an
        NSS database that trusts ``ca_bundle``; without a bundle, this process's as it is
        (the system's trust store).

        | ${env} = | `Get Browser Environment` | ${CA_BUNDLE} |
        """
        env = dict(os.environ)
        if not ca_bundle:
            logger.info("No CA bundle: chromium verifies against the system's trust store")
            return env
        try:
            output = Path(BuiltIn().get_variable_value("${OUTPUT DIR}"))
        except RobotNotRunningError:
            output = Path.cwd() / "results"
        env["HOME"] = str(nss_home(ca_bundle, output / "browser-trust"))
        logger.info(f"Chromium trusts the CA of {ca_bundle} (NSS database under {env['HOME']})")
        return env
