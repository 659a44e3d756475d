"""The pre-run sanity check: one table, bounded time, nothing else on the console."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from libraries.sanity import checks
from libraries.sanity.checks import Check, Outcome, Problem, Target, check_all, table
from variables import environments

ROOT = Path(__file__).resolve().parents[1]
SECRET = "p@ss-sanity-4711"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _kubeconfig(path: Path, port: int) -> Path:
    path.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        f"clusters: [{{name: k, cluster: {{server: 'https://127.0.0.1:{port}'}}}}]\n"
        "users: [{name: u, user: {token: t}}]\n"
        "contexts: [{name: c, context: {cluster: k, user: u, namespace: panda}}]\n"
    )
    return path


def _target(env_name: str, port: int, kubeconfig: Path, **extra) -> Target:
    return Target(
        env_name=env_name,
        focus_url=f"https://127.0.0.1:{port}/focus-server",
        focus_user="qa",
        focus_password=SECRET,
        ca_bundle=None,
        mongo_host="127.0.0.1",
        mongo_port=port,
        mongo_user="prisma",
        mongo_password=SECRET,
        mongo_auth_source="prisma",
        mongo_database="prisma",
        mongo_tls=False,
        rabbit_host="127.0.0.1",
        rabbit_port=port,
        rabbit_user="prisma",
        rabbit_password=SECRET,
        rabbit_vhost="/",
        rabbit_tls=False,
        rabbit_mgmt_url=f"http://127.0.0.1:{port}",
        kubeconfig=str(kubeconfig),
        kube_context=None,
        namespace="panda",
        timeout=2.0,
        **extra,
    )


def test_every_service_fails_with_its_own_row_and_fix(tmp_path):
    port = _closed_port()
    outcomes = check_all(_target("staging", port, _kubeconfig(tmp_path / "kc", port)))
    assert [o.service for o in outcomes] == [
        "Focus API + token",
        "MongoDB (auth)",
        "RabbitMQ AMQP",
        "RabbitMQ management",
        "Kubernetes API + namespace",
    ]
    for outcome in outcomes:
        assert not outcome.ok
        assert "refused" in outcome.problem.what, outcome
        assert "twin" not in outcome.problem.fix  # staging is not the twin
    text = table(outcomes, "staging", 1.0)
    assert SECRET not in text
    assert text.splitlines()[0].startswith("Environment 'staging' is not ready: 5 of 5")
    assert "| Kubernetes API + namespace | https://127.0.0.1:" in text


def test_on_the_twin_the_fix_points_at_the_twin(tmp_path):
    port = _closed_port()
    outcomes = check_all(_target("local", port, _kubeconfig(tmp_path / "kc", port)))
    assert all("python -m twin status" in o.problem.fix for o in outcomes)


def test_ssh_is_checked_only_where_configured(tmp_path):
    port = _closed_port()
    kubeconfig = _kubeconfig(tmp_path / "kc", port)
    without = check_all(_target("staging", port, kubeconfig))
    assert "SSH" not in [o.service for o in without]
    with_ssh = check_all(
        _target("staging", port, kubeconfig, ssh_host=f"127.0.0.1:{port}", ssh_user="qa")
    )
    ssh = next(o for o in with_ssh if o.service == "SSH")
    assert "connection refused" in ssh.problem.what and "SSH_HOST" in ssh.problem.fix


def test_a_check_that_hangs_is_cut_at_the_deadline(tmp_path, monkeypatch):
    release = threading.Event()

    def hangs(_target: Target) -> Problem | None:
        release.wait(30)
        return None

    monkeypatch.setattr(checks, "CHECKS", (Check("Slow", lambda t: "slow:1", hangs),))
    port = _closed_port()
    started = time.monotonic()
    outcomes = check_all(_target("staging", port, tmp_path / "none"), deadline=0.5)
    release.set()
    assert time.monotonic() - started < 2
    assert outcomes[0].problem.what == "no answer within 0.5 s"


def test_the_table_has_only_the_failed_rows():
    outcomes = [
        Outcome("A", "a:1"),
        Outcome("B", "b:2", Problem("connection refused", "check B_URL")),
    ]
    lines = table(outcomes, "staging", 0.3).splitlines()
    assert lines[0] == (
        "Environment 'staging' is not ready: 1 of 2 services failed the sanity check (0.3 s). "
        "Nothing was tested."
    )
    body = [line for line in lines if line.startswith("| ")]
    assert body == [
        "| service | address | what failed        | how to fix  |",
        "| B       | b:2     | connection refused | check B_URL |",
    ]


@pytest.mark.timeout(60)
def test_staging_on_closed_ports_stops_within_15_s_with_one_table(tmp_path):
    port = _closed_port()
    env = {k: v for k, v in os.environ.items() if k not in environments.REQUIRED}
    env.update(
        {
            "FOCUS_BASE_URL": f"https://127.0.0.1:{port}/focus-server",
            "FOCUS_USER": "qa",
            "FOCUS_PASSWORD": SECRET,
            "MONGO_URI": (
                f"mongodb://prisma:{SECRET.replace('@', '%40')}@127.0.0.1:{port}/prisma?tls=true"
            ),
            "RABBITMQ_URL": f"amqps://prisma:{SECRET.replace('@', '%40')}@127.0.0.1:{port}/%2F",
            "RABBITMQ_MGMT_URL": f"https://127.0.0.1:{port}",
            "KUBECONFIG": str(_kubeconfig(tmp_path / "kubeconfig", port)),
        }
    )
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "robot", "-v", "ENV:staging", "--outputdir", str(tmp_path / "out")]
        + ["robot/"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    seconds = time.monotonic() - started
    console = run.stdout + run.stderr
    assert run.returncode != 0
    assert seconds <= 15, f"took {seconds:.1f} s"
    errors = [line for line in console.splitlines() if line.startswith("[ ")]
    assert len(errors) == 1 and errors[0].startswith("[ ERROR ] Environment 'staging'"), console
    rows = [line for line in console.splitlines() if line.startswith("| ")]
    assert len(rows) == 6, console  # the header and five services
    for forbidden in ("Traceback", "pika", "twin up", "python -m twin", SECRET, "| FAIL |"):
        assert forbidden not in console, forbidden


def test_the_deadline_starts_after_the_clients_are_imported(tmp_path, monkeypatch):
    """Importing the clients (seconds of CPU on a loaded machine) is not a service that
    does not answer."""
    from libraries.sanity import checks

    monkeypatch.setattr(checks, "_load_clients", lambda: time.sleep(0.6))
    monkeypatch.setattr(
        checks,
        "CHECKS",
        [
            checks.Check("Quick", lambda target: "here", lambda target: time.sleep(0.1)),
        ],
    )
    port = _closed_port()
    (outcome,) = check_all(_target("staging", port, _kubeconfig(tmp_path / "kc", port)), 0.3)
    assert outcome.ok, outcome.problem
