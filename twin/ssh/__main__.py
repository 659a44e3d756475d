"""``python -m twin.ssh``: run the sshd of this pod's host (``$TWIN_WORKLOAD``) in the foreground.

Writes the host's ``sshd_config`` and replaces itself with ``sshd -D -e``, so the
pod's process is sshd itself and its log (stderr) is the pod's log.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from twin import config, processes
from twin.ssh import SSHD, installed, sshd_config


def main() -> int:
    host = os.environ["TWIN_WORKLOAD"]
    if not installed():
        print(f"{SSHD} is not installed: run 'make setup' (apt-get install openssh-server)")
        return 1
    base = config.twin_dir()
    endpoints = config.load_endpoints(base)
    directory = Path(endpoints["ssh"]["dir"]) / host
    directory.mkdir(parents=True, exist_ok=True)
    instance = os.environ.get(processes.MARKER, "")
    # sshd overwrites its environment with its process title (setproctitle), so the marker
    # could not be read back from it: the config file's name carries it in the command line.
    path = directory / f"sshd_config.{processes.marker_argument(instance)}"
    path.write_text(sshd_config(base, host, endpoints, instance))
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation directory
    check = os.spawnv(os.P_WAIT, SSHD, [SSHD, "-t", "-f", str(path)])
    if check != 0:
        print(f"sshd rejected {path} (exit {check})", flush=True)
        return 1
    sys.stdout.flush()
    os.execv(SSHD, [SSHD, "-D", "-e", "-f", str(path)])
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
