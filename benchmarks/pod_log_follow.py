"""The twin's cost of handing a log follower its next line, with a short and a full buffer.

    .venv/bin/python benchmarks/pod_log_follow.py [--lines 20000] [--rounds 2000]

A pod's log keeps its newest ``POD_LOG_KEEP_LINES`` (20,000) lines in memory; each
``follow=true`` stream (the pod monitor holds one per pod) asks for the lines after its
last one whenever a line arrives. Prints the median time of that step for a log of 100
lines and for a full one, and their ratio. Target: ratio <= 2 (the step reads from the
newest end). When the step scanned the whole buffer, the focus server's pod, which logs
every request, filled its buffer in the first minutes of a soak and the twin's
supervisor spent more CPU per request as it did: p95 drifted by 15-26 %.
For information: nothing is asserted.
"""

from __future__ import annotations

import argparse

from twin import control


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=control.POD_LOG_KEEP_LINES)
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()
    short = control.pod_log_follower_step_us(100, args.rounds)
    full = control.pod_log_follower_step_us(args.lines, args.rounds)
    print(f"append + follower step, log of 100 lines:    {short:8.1f} us (median)")
    print(f"append + follower step, log of {args.lines} lines: {full:8.1f} us (median)")
    print(f"ratio full/short: {full / short:.2f} (target <= 2)")


if __name__ == "__main__":
    main()
