"""The twin's promises about its processes, one case per member of the class:

- "``python -m twin down``: stop everything; leaves no process behind" (README, twin/README):
  every kind of process the whole twin runs -- the supervisor, the watchdog, each
  workload's pod (with its children: RabbitMQ's Erlang VM and epmd, ...), a Job's pod --
  is gone after ``down``, and every port of endpoints.json is closed;
- "restart on crash": each workload whose process is killed gets a new process that is
  Ready again;
- "A watchdog process kills every workload's process group if the supervisor dies";
- "it stops by itself once every owner process has exited (Ctrl-C, a crash or kill -9
  included)": each way an owner can end, and only once the last owner has.

The whole twin is started twice here (``down``, then a SIGKILLed supervisor); the lease
cases use stand-in workloads.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest
import requests

from tests.twin.kube_fixtures import job_body, wait_for
from tests.twin.test_twin_promises import PORTS
from twin import config, control, lease, processes
from twin.supervisor.daemon import LEASE_CHECK_S
from twin.workloads import WORKLOADS

pytestmark = [pytest.mark.twin, pytest.mark.timeout(600)]

JOB = "cycle-job"
WORKLOAD_NAMES = tuple(spec.name for spec in WORKLOADS)
ROLES = ("supervisor", "watchdog", *WORKLOAD_NAMES, "job")
FAKES = "tests.twin.fake_workloads:WORKLOADS"


@dataclass
class Cycle:
    """What one whole twin ran, and what was left of it after it was stopped."""

    before: dict[str, list[tuple[int, float, str]]] = field(default_factory=dict)
    left: dict[str, list[str]] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    open_ports: list[str] = field(default_factory=list)
    restarts: dict[str, str] = field(default_factory=dict)  # workload -> "" or the problem
    endpoints: dict = field(default_factory=dict)


def _state(base: Path) -> dict:
    return json.loads((base / config.STATE_FILE).read_text())


def _describe(proc: psutil.Process) -> str:
    with contextlib.suppress(psutil.Error):
        return f"{proc.pid} {' '.join(proc.cmdline())[:120]}"
    return str(proc.pid)


def _processes_by_role(base: Path) -> tuple[dict[str, list[tuple[int, float, str]]], list[str]]:
    """Every process of the twin in ``base``, by role; and those of no known role."""
    state = _state(base)
    pods = {pod["name"]: pod["workload"] for pod in state["pods"]}
    # sshd overwrites its environment (TWIN_POD_NAME included) with its process title
    pod_of_pid = {pod["pid"]: pod["name"] for pod in state["pods"] if pod.get("pid")}
    found: dict[str, list[tuple[int, float, str]]] = {role: [] for role in ROLES}
    unknown = []
    marked = processes.marked_processes(state["instance"])
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if "twin.watchdog" in " ".join(cmdline) and state["instance"] in cmdline:
            marked.append(proc)
    for proc in marked:
        try:
            pod = proc.environ().get("TWIN_POD_NAME") or pod_of_pid.get(proc.pid, "")
            entry = (proc.pid, proc.create_time(), _describe(proc))
        except psutil.Error:
            continue
        if proc.pid == state["supervisor_pid"]:
            role = "supervisor"
        elif "twin.watchdog" in entry[2]:
            role = "watchdog"
        elif pods.get(pod) == JOB or pod.startswith(f"{JOB}-"):
            role = "job"  # a Job's pod is in state.json too, its workload the Job's name
        elif pods.get(pod) in WORKLOAD_NAMES:
            role = pods[pod]
        else:
            unknown.append(entry[2])
            continue
        found[role].append(entry)
    return found, unknown


def _alive(pid: int, created: float) -> bool:
    with contextlib.suppress(psutil.Error):
        return psutil.Process(pid).create_time() == created
    return False


def _left(before: dict[str, list[tuple[int, float, str]]]) -> dict[str, list[str]]:
    return {
        role: [text for pid, created, text in entries if _alive(pid, created)]
        for role, entries in before.items()
    }


def _start_whole_twin(base: Path) -> Cycle:
    control.up(base=base, owners=[os.getpid()], timeout=180)
    endpoints, secrets = config.load_endpoints(base), config.load_secrets(base)
    session = requests.Session()
    session.trust_env = False
    session.verify = endpoints["ca"]
    session.headers["Authorization"] = f"Bearer {secrets['kube_token']}"
    jobs = endpoints["kube"]["url"] + "/apis/batch/v1/namespaces/panda/jobs"
    created = session.post(jobs, json=job_body(JOB, "import time; time.sleep(600)"), timeout=10)
    assert created.status_code == 201, created.text

    def job_running() -> bool:
        found, _ = _processes_by_role(base)
        return bool(found["job"])

    wait_for(job_running, timeout=60, what="the job's pod process")
    return Cycle(endpoints=endpoints)


def _restart_each_workload(base: Path, cycle: Cycle) -> None:
    """Kill each workload's process (SIGKILL, as a crash) and wait until it is Ready again."""
    for name in WORKLOAD_NAMES:
        pod = next(p for p in _state(base)["pods"] if p["workload"] == name and p.get("pid"))
        old_pid = pod["pid"]
        os.kill(old_pid, signal.SIGKILL)

        def back(name: str = name, old_pid: int = old_pid) -> bool:
            for now in _state(base)["pods"]:
                if now["workload"] == name and now.get("pid") not in (None, old_pid):
                    return bool(now["ready"]) and now["phase"] == "Running"
            return False

        try:
            wait_for(back, timeout=90, what=f"{name} restarted and Ready")
            cycle.restarts[name] = ""
        except AssertionError as error:
            cycle.restarts[name] = str(error)


def _open_ports(endpoints: dict) -> list[str]:
    still = []
    for key in PORTS:
        section, name = key.split(".")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", endpoints[section][name])) == 0:
                still.append(key)
    return still


@pytest.fixture(scope="module")
def down_cycle(tmp_path_factory: pytest.TempPathFactory) -> Cycle:
    """A whole twin with a running Job: each workload crashed and restarted, then ``down``."""
    base = tmp_path_factory.mktemp("down-cycle")
    try:
        cycle = _start_whole_twin(base)
        _restart_each_workload(base, cycle)
        cycle.before, cycle.unknown = _processes_by_role(base)
    finally:
        assert control.down(base=base)
    deadline = time.monotonic() + 15
    while any(_left(cycle.before).values()) and time.monotonic() < deadline:
        time.sleep(0.2)
    cycle.left = _left(cycle.before)
    cycle.open_ports = _open_ports(cycle.endpoints)
    return cycle


@pytest.fixture(scope="module")
def watchdog_cycle(tmp_path_factory: pytest.TempPathFactory) -> Cycle:
    """A whole twin with a running Job whose supervisor is SIGKILLed."""
    base = tmp_path_factory.mktemp("watchdog-cycle")
    try:
        cycle = _start_whole_twin(base)
        cycle.before, cycle.unknown = _processes_by_role(base)
        os.kill(_state(base)["supervisor_pid"], signal.SIGKILL)
        deadline = time.monotonic() + 30
        while any(_left(cycle.before).values()) and time.monotonic() < deadline:
            time.sleep(0.2)
        cycle.left = _left(cycle.before)
        cycle.open_ports = _open_ports(cycle.endpoints)
    finally:
        control.down(base=base)  # whatever the watchdog left
    return cycle


def test_every_process_of_the_twin_has_a_role(down_cycle):
    assert down_cycle.unknown == []
    missing = [role for role in ROLES if not down_cycle.before[role]]
    assert missing == [], f"no process seen for {missing}"


@pytest.mark.parametrize("role", ROLES)
def test_down_leaves_no_process_behind(down_cycle, role):
    assert down_cycle.before[role], f"the twin ran no {role} process to begin with"
    assert down_cycle.left[role] == [], f"after down, {role} left {down_cycle.left[role]}"


@pytest.mark.parametrize("key", PORTS)
def test_down_closes_every_port(down_cycle, key):
    assert key not in down_cycle.open_ports


@pytest.mark.parametrize("name", WORKLOAD_NAMES)
def test_a_crashed_workload_is_restarted_and_ready_again(down_cycle, name):
    assert down_cycle.restarts[name] == ""


@pytest.mark.parametrize("role", [role for role in ROLES if role != "supervisor"])
def test_the_watchdog_kills_every_process_when_the_supervisor_dies(watchdog_cycle, role):
    assert watchdog_cycle.before[role], f"the twin ran no {role} process to begin with"
    left = watchdog_cycle.left[role]
    assert left == [], f"{role} outlived its supervisor: {left}"
    assert watchdog_cycle.open_ports == []


# ------------------------------------------------------------------ leases

OWNER = """
import signal, sys, time
how = sys.stdin.readline().strip()
if how == "exit":
    sys.exit(0)
if how == "fail":
    raise RuntimeError("the owner's run crashed")
time.sleep(600)
"""
ENDINGS = {
    "exits": lambda owner: owner.communicate("exit\n", timeout=10),
    "crashes": lambda owner: owner.communicate("fail\n", timeout=10),
    "ctrl-c": lambda owner: owner.send_signal(signal.SIGINT),
    "sigterm": lambda owner: owner.send_signal(signal.SIGTERM),
    "kill-9": lambda owner: owner.send_signal(signal.SIGKILL),
}


def _default_sigint() -> None:
    # A shell without job control starts background commands with SIGINT ignored, and a
    # child inherits that: Python then never turns Ctrl-C into KeyboardInterrupt. The
    # owner stands for a user's run, which Ctrl-C does stop.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _owner() -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", OWNER],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        preexec_fn=_default_sigint,
    )


def _twin_gone(base: Path, instance: str) -> bool:
    return not processes.marked_processes(instance) and not control.is_up(base)


@pytest.mark.parametrize("ending", list(ENDINGS))
def test_a_leased_twin_stops_when_its_owner_ends(tmp_path, ending):
    owner = _owner()
    try:
        control.up(base=tmp_path, owners=[owner.pid], workloads=FAKES, timeout=30)
        instance = _state(tmp_path)["instance"]
        ENDINGS[ending](owner)
        owner.wait(timeout=10)
        wait_for(lambda: _twin_gone(tmp_path, instance), timeout=20, what="the leased twin gone")
    finally:
        with contextlib.suppress(ProcessLookupError):
            owner.kill()
        owner.wait(timeout=10)  # reaped: no zombie left for a later test's children()
        control.down(base=tmp_path)


def test_a_leased_twin_outlives_every_owner_but_the_last(tmp_path):
    first, last = _owner(), _owner()
    try:
        control.up(base=tmp_path, owners=[first.pid], workloads=FAKES, timeout=30)
        control.up(base=tmp_path, owners=[last.pid], workloads=FAKES, timeout=30)
        instance = _state(tmp_path)["instance"]
        first.kill()
        first.wait(timeout=10)
        # Longer than the lease's grace after an empty check, plus four checks: a twin that
        # wrongly took the first owner's end for the last one's would be gone by then (2.0 s,
        # the grace itself, let such a twin still answer is_up).
        time.sleep(lease._GRACE_S + 4 * LEASE_CHECK_S)
        assert control.is_up(tmp_path), "the twin stopped while an owner was still running"
        last.kill()
        last.wait(timeout=10)
        wait_for(lambda: _twin_gone(tmp_path, instance), timeout=20, what="the leased twin gone")
    finally:
        for owner in (first, last):
            with contextlib.suppress(ProcessLookupError):
                owner.kill()
            owner.wait(timeout=10)
        control.down(base=tmp_path)
