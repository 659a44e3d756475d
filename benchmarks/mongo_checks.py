"""Time of the whole data-quality suite against a history of 10,000 recordings.

    .venv/bin/python benchmarks/mongo_checks.py [--recordings 10000] [--keep]

Starts a twin in a temporary directory (leased to this process, so it stops with it),
replaces the recorded history by ``--recordings`` one-hour recordings with their
(small) SEG-Y files, 1,000 tasks and 2,000 alerts while the twin's ``segy-recorder`` is
scaled to 0, scales it back (it resumes live recording), runs ``robot/data_quality``, then
prints the suite's time, its result, and the slowest keywords (by single call and by
total). For information: nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from kubernetes import client as k8s
from kubernetes import config as k8s_config
from robot.api import ExecutionResult, ResultVisitor

from contract import constants
from twin import control

REPO_ROOT = Path(__file__).resolve().parents[1]

SUITE = REPO_ROOT / "robot" / "data_quality"
ROBOT_TIMEOUT_S = 1800
LOCK_MESSAGE = "Holding lock"  # logged by the Environment library once a test got its lock


class KeywordTimes(ResultVisitor):
    """Elapsed seconds of every call of the suite's Python libraries, by keyword; tests."""

    def __init__(self) -> None:
        self.calls: dict[str, list[float]] = defaultdict(list)
        self.tests: list[tuple[float, str, str]] = []
        self.lock_wait_s = 0.0

    def start_keyword(self, keyword) -> None:
        if keyword.full_name.startswith("libraries."):
            self.calls[keyword.full_name].append(keyword.elapsed_time.total_seconds())

    def visit_test(self, test) -> None:
        self.tests.append((test.elapsed_time.total_seconds(), test.name, test.message))
        for item in test.body:
            if getattr(item, "message", "").startswith(LOCK_MESSAGE):
                self.lock_wait_s += (item.timestamp - test.start_time).total_seconds()
        super().visit_test(test)


def seed(base: Path, recordings: int) -> float:
    """Replace the history of the twin in ``base``; returns the seconds it took."""
    started = time.monotonic()
    count = control.replace_recorded_history(base, recordings, tasks=1000, alerts=2000)
    print(f"seeded {count} recordings (with SEG-Y files), 1000 tasks, 2000 alerts")
    return time.monotonic() - started


def scale_recorder(base: Path, replicas: int, timeout: float = 60.0) -> None:
    """Scale the twin's ``segy-recorder`` Deployment through its Kubernetes API and wait.

    At 0 the history can be replaced without a live recorder writing into it; back at 1
    the pod resumes and back-fills up to now, as after any outage.
    """
    endpoints = control.endpoints(base)
    api = k8s_config.new_client_from_config(config_file=endpoints["kube"]["kubeconfig"])
    name, namespace = constants.SEGY_RECORDER_WORKLOAD, constants.K8S_NAMESPACE
    k8s.AppsV1Api(api).patch_namespaced_deployment_scale(
        name, namespace, {"spec": {"replicas": replicas}}
    )
    pods = k8s.CoreV1Api(api)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if replicas == 0:
            if not pods.list_namespaced_pod(namespace, label_selector=f"app={name}").items:
                return
        elif control.recorder_recording(base):
            return
        time.sleep(0.2)
    raise TimeoutError(f"{name} did not reach {replicas} replica(s) within {timeout:.0f} s")


def run_suite(base: Path, output_dir: Path) -> Path:
    """Run the suite while the twin's recorder pod records live."""
    env = dict(os.environ, FOCUS_TWIN_DIR=str(base))
    command = [sys.executable, "-m", "robot", "--outputdir", str(output_dir)]
    command += ["--log", "NONE", "--report", "NONE", "--console", "dotted", str(SUITE)]
    subprocess.run(command, cwd=REPO_ROOT, env=env, timeout=ROBOT_TIMEOUT_S, check=False)
    return output_dir / "output.xml"


def report(output: Path) -> None:
    result = ExecutionResult(str(output))
    times = KeywordTimes()
    result.visit(times)
    suite = result.suite
    stats = suite.statistics
    elapsed = suite.elapsed_time.total_seconds()
    print(
        f"data-quality suite: {elapsed:.2f} s, {stats.passed} passed, {stats.failed} failed; "
        f"{times.lock_wait_s:.2f} s of it waiting for the shared 'system' lock, "
        f"{elapsed - times.lock_wait_s:.2f} s without"
    )
    by_call = sorted(times.calls.items(), key=lambda item: max(item[1]), reverse=True)
    name, calls = by_call[0]
    print(f"slowest keyword: {name} ({max(calls):.2f} s in one call)")
    seconds, test, _ = max(times.tests)
    print(f"slowest test: {test} ({seconds:.2f} s)")
    for _, test, message in (item for item in times.tests if item[2]):
        print(f"  FAILED {test}: {message[:300]}")
    print("slowest keywords by total time:")
    by_total = sorted(times.calls.items(), key=lambda item: sum(item[1]), reverse=True)
    for name, calls in by_total[:5]:
        print(f"  {sum(calls):7.2f} s  {len(calls):3d} call(s)  {name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recordings", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true", help="keep the twin directory")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="mongo-checks-"))
    try:
        up = control.up(base=base, owners=[os.getpid()], timeout=120)
        print(f"twin up in {up.seconds:.1f} s ({base})")
        scale_recorder(base, 0)
        print(f"seeding took {seed(base, args.recordings):.1f} s")
        scale_recorder(base, 1)
        report(run_suite(base, base / "robot"))
    finally:
        control.down(base=base)
        if not args.keep:
            subprocess.run(["rm", "-rf", str(base)], check=False, timeout=120)
    return 0


if __name__ == "__main__":
    sys.exit(main())
