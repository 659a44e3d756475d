"""Print the recovery time per workload: delete its pod, time until the replacement is Ready.

Starts a twin of its own (a temporary directory, leased to this process, stopped at
the end), then for each workload deletes the Ready pod ``--rounds`` times through the
Kubernetes API and prints the median and the worst time from the delete request to
the replacement's Ready condition (which the twin sets only once the workload
really serves again: authenticated ping, AMQP login, ``/health`` 200).

    .venv/bin/python benchmarks/recovery.py [--rounds 3] [--twin-dir DIR]

With ``--twin-dir`` it uses (and leaves running) the twin in that directory instead.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from contract import constants
from libraries.kubernetes.client import KubeClient, KubeError, pod_ready, wait_until
from twin import control

WORKLOADS = (
    constants.FOCUS_SERVER_WORKLOAD,
    constants.MONGODB_WORKLOAD,
    constants.RABBITMQ_WORKLOAD,
    constants.SEGY_RECORDER_WORKLOAD,
)
TIMEOUT_S = 120.0


def measure(kube: KubeClient, workload: str, rounds: int) -> list[float] | str:
    """Seconds to recover, per round; or why the workload could not be measured."""
    times = []
    for _ in range(rounds):
        ready = [pod for pod in kube.workload_pods(workload) if pod_ready(pod)]
        if not ready:
            return "not deployed" if not kube.workload_pods(workload) else "no Ready pod"
        try:
            result = kube.delete_pod_and_wait_for_replacement(ready[0].metadata.name, TIMEOUT_S)
        except KubeError as error:
            return f"did not recover: {error}"
        times.append(result.seconds)
        try:
            wait_until(
                lambda: kube.workload_ready(workload)[0],
                TIMEOUT_S,
                f"{workload} ready",
                lambda: kube.describe_pods(workload),
            )
        except KubeError as error:
            return f"not ready again: {error}"
    return times


def report(kube: KubeClient, rounds: int) -> None:
    print(f"recovery time per workload ({rounds} rounds: delete request -> replacement Ready)")
    for workload in WORKLOADS:
        times = measure(kube, workload, rounds)
        if isinstance(times, str):
            print(f"  {workload:<28} {times}")
        else:
            print(
                f"  {workload:<28} median {statistics.median(times):6.2f} s   "
                f"max {max(times):6.2f} s   ({', '.join(f'{t:.2f}' for t in times)})"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--twin-dir", type=Path, help="use the twin running in this directory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="twin-recovery-") as tmp:
        base = args.twin_dir or Path(tmp)
        try:
            started = control.up(base=base, owners=[] if args.twin_dir else [os.getpid()])
        except control.TwinError as error:
            print(f"twin: {error}")
            return 1
        kube = KubeClient.from_kubeconfig(
            control.endpoints(base)["kube"]["kubeconfig"], None, constants.K8S_NAMESPACE, 10
        )
        try:
            report(kube, args.rounds)
        finally:
            kube.close()
            if started.started and not args.twin_dir:
                control.down(base=base)
    return 0


if __name__ == "__main__":
    sys.exit(main())
