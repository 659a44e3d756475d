"""The twin's SSH hosts (real OpenSSH sshd): jump host and worker node, key-only logins,
kubectl on the worker, the Kubernetes library's fallback with the API port closed, and
nothing left behind by ``twin down``."""

from __future__ import annotations

import json
import os
import subprocess
import time

import paramiko
import psutil
import pytest

from libraries.kubernetes.client import KubeClient, KubeError
from libraries.kubernetes.ssh_fallback import SshRoute
from libraries.ssh.client import SshError, connect_worker
from tests.twin.fake_workloads import WORKLOADS as FAKES
from tests.twin.kube_fixtures import job_body, wait_for
from twin import config, control, processes, ssh
from twin.workloads import SSH_HOSTS

WORKLOADS = (FAKES[0], *SSH_HOSTS)  # one stand-in pod, and both SSH hosts

pytestmark = pytest.mark.skipif(not ssh.installed(), reason="openssh-server not installed")


@pytest.fixture(scope="module")
def twin(tmp_path_factory):
    base = tmp_path_factory.mktemp("ssh-twin")
    control.up(base=base, owners=[os.getpid()], workloads=f"{__name__}:WORKLOADS", timeout=30)
    instance = json.loads((base / config.STATE_FILE).read_text())["instance"]
    yield base, config.load_endpoints(base), instance
    control.set_kube_api_port(True, base)
    control.down(base=base)


def _worker(endpoints: dict, key: str | None = None):
    s = endpoints["ssh"]
    return connect_worker(
        f"127.0.0.1:{s['worker_port']}",
        s["user"],
        key or s["key"],
        jump_host=f"127.0.0.1:{s['jump_port']}",
        known_hosts=s["known_hosts"],
        timeout=5,
    )


def test_both_hosts_are_twin_workloads_but_not_pods(twin):
    base, endpoints, _ = twin
    status = "\n".join(control.status_lines(base))
    assert "jump-host" in status and "worker-node" in status and "(host, not a pod)" in status
    client = KubeClient.from_kubeconfig(endpoints["kube"]["kubeconfig"], None, "panda", 5)
    try:
        names = [pod.metadata.name for pod in client.list_pods()]
    finally:
        client.close()
    assert names and not [name for name in names if name in ("jump-host", "worker-node")]


def test_the_worker_is_reached_through_the_jump_host_and_runs_kubectl(twin):
    _, endpoints, _ = twin
    worker = _worker(endpoints)
    try:
        assert worker.run("echo $TWIN_SSH_HOST").stdout.strip() == "worker-node"
        assert worker.kubectl("get", "namespace", "panda", "-o", "name").strip() == (
            "namespace/panda"
        )
    finally:
        worker.close()


def test_the_jump_host_forwards_to_the_worker_only(twin):
    _, endpoints, _ = twin
    s = endpoints["ssh"]
    with pytest.raises(SshError, match="refused to forward"):
        connect_worker(
            f"127.0.0.1:{endpoints['kube']['port']}",
            s["user"],
            s["key"],
            jump_host=f"127.0.0.1:{s['jump_port']}",
            known_hosts=s["known_hosts"],
            timeout=5,
        )


def test_no_password_login_and_a_wrong_key_is_one_line(twin, tmp_path):
    _, endpoints, _ = twin
    s = endpoints["ssh"]
    transport = paramiko.Transport(("127.0.0.1", s["worker_port"]))
    try:
        transport.start_client(timeout=5)
        with pytest.raises(paramiko.BadAuthenticationType) as offered:
            transport.auth_none(s["user"])
        assert offered.value.allowed_types == ["publickey"]
    finally:
        transport.close()
    wrong = tmp_path / "wrong"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(wrong)], check=True)
    with pytest.raises(SshError) as refused:
        _worker(endpoints, str(wrong))
    message = str(refused.value)
    assert "\n" not in message and "refused" in message and "SSH_KEY" in message


def test_an_unknown_host_key_is_refused(twin, tmp_path):
    _, endpoints, _ = twin
    s = endpoints["ssh"]
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    with pytest.raises(SshError, match="host key of 127.0.0.1:.* is unknown"):
        connect_worker(f"127.0.0.1:{s['jump_port']}", s["user"], s["key"], known_hosts=str(empty))


def test_the_kubernetes_library_falls_back_to_ssh_while_the_api_port_is_closed(twin):
    base, endpoints, _ = twin
    s = endpoints["ssh"]
    client = KubeClient.from_kubeconfig(endpoints["kube"]["kubeconfig"], None, "panda", 5)
    direct = KubeClient.from_kubeconfig(endpoints["kube"]["kubeconfig"], None, "panda", 5)
    notes: list[str] = []
    client.use_ssh_fallback(
        SshRoute(
            f"127.0.0.1:{s['worker_port']}",
            s["user"],
            s["key"],
            f"127.0.0.1:{s['jump_port']}",
            s["known_hosts"],
        )
    )
    client.on_fallback = notes.append
    try:
        through_api = client.list_pods("app=alpha")
        control.set_kube_api_port(False, base)
        with pytest.raises(Exception):  # noqa: B017 - any connection error: the port is closed
            direct.list_pods("app=alpha")
        through_ssh = client.list_pods("app=alpha")
        assert [p.metadata.name for p in through_ssh] == [p.metadata.name for p in through_api]
        assert type(through_ssh[0]) is type(through_api[0])  # same shape: V1Pod
        assert through_ssh[0].status.phase == "Running"
        assert client.get_pod(through_ssh[0].metadata.name).metadata.uid == (
            through_api[0].metadata.uid
        )
        with pytest.raises(KubeError, match="does not exist"):
            client.get_pod("no-such-pod")
        assert notes and "unreachable" in notes[0] and "kubectl on" in notes[0]
    finally:
        control.set_kube_api_port(True, base)
        client.close()
        direct.close()
    assert [p.metadata.name for p in client.list_pods("app=alpha")] == [
        p.metadata.name for p in through_api
    ]


def test_twin_down_leaves_no_sshd_nor_session(tmp_path):
    base = tmp_path / "twin"
    control.up(base=base, owners=[os.getpid()], workloads=f"{__name__}:WORKLOADS", timeout=30)
    endpoints = config.load_endpoints(base)
    instance = json.loads((base / config.STATE_FILE).read_text())["instance"]
    worker = _worker(endpoints)
    worker.client.exec_command("sleep 120")  # a session still running at 'down'
    wait_for(
        lambda: any("sleep 120" in " ".join(p.cmdline()) for p in _ours(base)),
        what="the session's process",
    )
    control.down(base=base)
    worker.close()
    time.sleep(0.2)
    assert _ours(base) == []
    assert processes.marked_processes(instance) == []


def _ours(base) -> list[psutil.Process]:
    """sshd processes started with this twin's configs, and sessions carrying its marker."""
    found = []
    for proc in psutil.process_iter(["pid"]):
        try:
            text = " ".join(proc.cmdline())
            if str(base) in text or ("sleep 120" in text and processes.MARKER in proc.environ()):
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def test_the_pod_monitor_follows_pods_through_kubectl_over_ssh(twin):
    """Staging behind a firewall: the monitor's SSH source sees a new pod and its lines."""
    from libraries.pod_monitor.buffer import LineStore
    from libraries.pod_monitor.patterns import load_patterns
    from libraries.pod_monitor.ssh_source import SshSource

    base, endpoints, _ = twin
    store = LineStore(load_patterns(), 1000)
    source = SshSource(lambda: _worker(endpoints), "panda", store.add, store.mark_gone)
    source.start()
    client = KubeClient.from_kubeconfig(endpoints["kube"]["kubeconfig"], None, "panda", 5)
    script = (
        "import time\nfor i in range(30):\n    print('over ssh', i, flush=True)\n"
        "    time.sleep(0.05)"
    )
    body = job_body("ssh-printer", script)
    try:
        client.batch.create_namespaced_job("panda", body)
        pod = wait_for(
            lambda: next(iter(client.list_pods("app=ssh-printer")), None), what="the job's pod"
        ).metadata.name

        def texts() -> list[str]:
            buffer = store.buffers.get(pod)
            return [line.text for line in buffer.lines] if buffer else []

        wait_for(lambda: "over ssh 29" in texts(), timeout=15, what="the job's lines over SSH")
        assert texts() == [f"over ssh {i}" for i in range(30)]
    finally:
        client.batch.delete_namespaced_job("ssh-printer", "panda", propagation_policy="Background")
        client.close()
        source.stop()
