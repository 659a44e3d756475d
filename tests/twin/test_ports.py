"""twin/ports.py: listener ports outside the ephemeral range, reserved machine-wide."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from twin import config, ports, prepare


@pytest.fixture
def registry(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "ports.json"
    monkeypatch.setenv(ports.REGISTRY_ENV, str(path))
    return path


def test_the_twin_picks_its_ports_outside_the_ephemeral_range(registry):
    """An outgoing connection takes its source port from the ephemeral range: a listener
    port picked there can be taken before the listener binds it."""
    low, high = ports.ephemeral_range()
    picked = prepare._pick_ports({})
    assert len(set(picked.values())) == len(prepare._PORTS)
    inside = sorted(port for port in picked.values() if low <= port <= high)
    assert inside == [], f"ports in the ephemeral range {low}-{high}: {inside}"
    held = json.loads(registry.read_text())
    assert {int(port) for port in held} == set(picked.values())


def test_job_ports_are_reserved_outside_the_ephemeral_range_too(registry):
    low, high = ports.ephemeral_range()
    for port in (ports.job_port(), ports.job_port()):
        assert not low <= port <= high
        assert str(port) in json.loads(registry.read_text())


def test_a_port_that_is_bound_or_held_by_another_twin_is_not_handed_out(registry):
    with socket.socket() as bound:
        bound.bind((config.HOST, 0))
        taken = bound.getsockname()[1]
        # a pool of three: one bound by a connection, one held by another twin
        candidates = range(taken, taken + 3)
        ports.reserve([taken + 1], registry=registry, candidates=candidates)
        (picked,) = ports.reserve([None], registry=registry, candidates=candidates)
    assert picked == taken + 2


def test_last_runs_port_comes_back_when_free_and_not_held(registry):
    (first,) = ports.reserve([None], hold_s=0.0)
    time.sleep(0.01)
    assert ports.reserve([first]) == [first]
    # now held: another twin asking for the same port gets another one
    assert ports.reserve([first]) != [first]


def test_a_twin_that_restarts_gets_its_own_held_ports_back(registry, tmp_path):
    first = prepare._pick_ports({}, owner="/twin/a")
    previous: dict[str, dict[str, int]] = {}
    for (section, key), port in first.items():
        previous.setdefault(section, {})[key] = port
    assert prepare._pick_ports(previous, owner="/twin/a") == first
    other = ports.reserve([first[("focus", "port")]], owner="/twin/b")
    assert other != [first[("focus", "port")]]


def test_expired_reservations_are_dropped(registry):
    ports.reserve([None, None], hold_s=0.0)
    time.sleep(0.01)
    ports.reserve([None])
    assert len(json.loads(registry.read_text())) == 1


def test_a_full_pool_says_what_to_do(registry):
    with socket.socket() as bound:
        bound.bind((config.HOST, 0))
        taken = bound.getsockname()[1]
        with pytest.raises(RuntimeError, match="no free TCP port .*'python -m twin down'"):
            ports.reserve([None], registry=registry, candidates=range(taken, taken + 1))


def test_an_ephemeral_range_that_leaves_no_room_is_one_clear_line(tmp_path):
    source = tmp_path / "range"
    source.write_text("1024\t65000\n")
    with pytest.raises(RuntimeError, match="sysctl net.ipv4.ip_local_port_range"):
        ports.pool(source)
    source.write_text("40000\t60999\n")
    assert ports.pool(source) == range(ports.POOL_FLOOR, 40000)
    source.write_text("10000\t50000\n")
    assert ports.pool(source) == range(50001, 65536)


def test_twins_starting_together_never_share_a_port(registry):
    """Eight processes reserve a twin's worth of ports each at the same moment."""
    script = (
        "import json, sys\n"
        "from twin import ports, prepare\n"
        "print(json.dumps(ports.reserve([None] * len(prepare._PORTS))))\n"
    )
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            cwd=config.REPO_ROOT,
            env={**os.environ, ports.REGISTRY_ENV: str(registry)},
            stdout=subprocess.PIPE,
        )
        for _ in range(8)
    ]
    got = []
    for worker in workers:
        out, _ = worker.communicate(timeout=60)
        assert worker.returncode == 0
        got.append(json.loads(out))
    every = [port for chosen in got for port in chosen]
    assert len(every) == 8 * len(prepare._PORTS)
    assert len(set(every)) == len(every), "two twins were given the same port"
