"""Reaps the twin's pods if the supervisor dies (even by SIGKILL).

Started by the supervisor in a session of its own; polls the supervisor's pid and,
once it is gone, kills every process carrying the twin instance's marker.
"""

from __future__ import annotations

import signal
import sys
import time

from twin import processes

_POLL_S = 0.3


def main(argv: list[str]) -> int:
    supervisor_pid, instance = int(argv[0]), argv[1]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while processes.pid_alive(supervisor_pid):
        time.sleep(_POLL_S)
    processes.kill_marked(instance)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
