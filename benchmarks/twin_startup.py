"""Print the twin's cold start time and a warm smoke run's wall time.

Cold: a new twin directory (new CA, new data) started with ``python -m twin up``.
Warm: ``robot --include smoke robot/`` against that twin, already up.
Targets (issue 2): cold start under 10 s.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def _timed(command: list[str], env: dict) -> tuple[float, int]:
    started = time.monotonic()
    rc = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL).returncode
    return time.monotonic() - started, rc


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="twin-bench-") as tmp:
        env = {**os.environ, "FOCUS_TWIN_DIR": tmp}
        try:
            cold, rc = _timed([PYTHON, "-m", "twin", "up"], env)
            if rc:
                print("twin did not start; see 'python -m twin logs supervisor'")
                return 1
            print(f"twin cold start (new directory):       {cold:6.2f} s   (target < 10 s)")
            _timed([PYTHON, "-m", "twin", "down"], env)
            again, _ = _timed([PYTHON, "-m", "twin", "up"], env)
            print(f"twin start with existing data:          {again:6.2f} s")
            out = Path(tmp) / "smoke"
            warm, rc = _timed(
                [
                    PYTHON,
                    "-m",
                    "robot",
                    "--include",
                    "smoke",
                    "--outputdir",
                    str(out),
                    "--console",
                    "none",
                    "robot/",
                ],
                env,
            )
            print(f"warm 'robot --include smoke robot/':    {warm:6.2f} s   (rc={rc})")
        finally:
            _timed([PYTHON, "-m", "twin", "down"], env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
