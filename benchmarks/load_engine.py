"""The load library's request rate against Debian's ``wrk``, in one run (target >= 0.8x).

    .venv/bin/python benchmarks/load_engine.py [--duration 10] [--connections 20]

Both drive ``GET /health`` of the twin (started when not up, stopped again) over HTTPS
with keep-alive: first ``wrk`` (``--threads 2``, ``--connections N``), then the Load
library's ``health`` scenario (Locust, ``N`` users, in its own process) for the same
time. Prints both rates and their ratio. Installs ``wrk`` with apt when it is missing
(root on Debian), else says how in one line and exits 1.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys

from libraries.load.runner import LoadSpec, run_load
from libraries.load.targets import environment, load_target

TARGET_RATIO = 0.8
_RATE = re.compile(r"Requests/sec:\s+([0-9.]+)")


def ensure_wrk() -> str | None:
    found = shutil.which("wrk")
    if found:
        return found
    apt = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"]
    if shutil.which("apt-get") and subprocess.run(apt, capture_output=True).returncode == 0:
        return shutil.which("wrk")
    return None


def wrk_rate(wrk: str, url: str, seconds: int, connections: int) -> tuple[float, str]:
    result = subprocess.run(
        [wrk, "--threads", "2", "--connections", str(connections), "--duration", f"{seconds}s",
         "--timeout", "10s", "--latency", url],
        capture_output=True, text=True, timeout=seconds + 60,
    )  # fmt: skip
    match = _RATE.search(result.stdout)
    if result.returncode != 0 or not match:
        raise RuntimeError(f"wrk failed ({result.returncode}): {result.stderr.strip()[:300]}")
    return float(match.group(1)), result.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=10, help="seconds per tool")
    parser.add_argument("--connections", type=int, default=20, help="wrk connections = users")
    args = parser.parse_args()
    wrk = ensure_wrk()
    if wrk is None:
        print("load_engine: wrk is missing: sudo apt-get install -y wrk", file=sys.stderr)
        return 1
    with environment("local") as variables:
        target = load_target(variables)
        url = f"{target.base_url}/health"
        wrk_rps, report = wrk_rate(wrk, url, args.duration, args.connections)
        users = args.connections
        stats = run_load(LoadSpec("health", users, float(users), float(args.duration)), target)
    load_rps = stats["endpoints"]["GET /health"]["rps"]
    failures = stats["total"]["failures"]
    ratio = load_rps / wrk_rps if wrk_rps else 0.0
    latency = re.search(r"Latency\s+(\S+)", report)
    average = latency.group(1) if latency else "?"
    print(f"GET /health over HTTPS, {args.duration} s each, {args.connections} connections/users")
    print(f"  wrk (2 threads)       {wrk_rps:9.1f} requests/s  (avg latency {average})")
    print(
        f"  Load library (Locust) {load_rps:9.1f} requests/s  "
        f"(p95 {stats['total']['p95']:.0f} ms, {failures} failures)"
    )
    verdict = "meets" if ratio >= TARGET_RATIO else "misses"
    print(f"  ratio                 {ratio:9.2f}x  ({verdict} the {TARGET_RATIO}x target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
