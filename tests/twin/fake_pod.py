"""A stand-in workload for the supervisor's tests: a process with a grandchild.

Writes ``<twin dir>/<workload>.ready`` (its pid) once running; exits 1 at once
while ``<twin dir>/<workload>.crash`` exists; exits 0 on SIGTERM.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

base = Path(os.environ["FOCUS_TWIN_DIR"])
workload = os.environ["TWIN_WORKLOAD"]
if (base / f"{workload}.crash").exists():
    sys.exit(1)
grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
(base / f"{workload}.ready").write_text(f"{os.getpid()} {grandchild.pid}")
while True:
    time.sleep(0.2)
