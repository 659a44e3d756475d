"""The pod log buffer behind ``GET .../log``: what a follower is handed after its last line."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest

from twin.kube import podlog


def _naive(log: podlog.PodLog, seq: int, run: int) -> list[podlog.LogLine]:
    return [line for line in log.lines if line.seq > seq and line.run == run]


@pytest.mark.parametrize("seed", range(5))
def test_lines_after_a_seq_match_a_full_scan_across_runs_and_wrap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
):
    monkeypatch.setattr(podlog, "KEEP_LINES", 50)
    log = podlog.PodLog(tmp_path / "pod.log")
    rng = random.Random(seed)

    async def fill() -> None:
        for _ in range(40):
            run = (
                log.start_run() if rng.random() < 0.2 or log.run < 0 else rng.randrange(log.run + 1)
            )
            await log.append(
                [f"line {rng.random()}".encode() for _ in range(rng.randint(1, 6))], run
            )

    asyncio.run(fill())
    assert len(log.lines) == 50, "the buffer wrapped, as a busy pod's does"
    for seq in range(-1, log.next_seq + 1):
        for run in range(log.run + 1):
            assert log.after(seq, run) == _naive(log, seq, run), (seq, run)


def test_a_waiting_follower_is_handed_the_new_line(tmp_path: Path):
    log = podlog.PodLog(tmp_path / "pod.log")

    async def scenario() -> list[str]:
        run = log.start_run()
        await log.append([b"old"], run)
        waiting = asyncio.create_task(log.wait_after(log.next_seq - 1, run, timeout=5))
        await asyncio.sleep(0.05)
        assert not waiting.done(), "nothing new yet: the follower waits"
        await log.append([b"new"], run)
        return [line.text for line in await waiting]

    assert asyncio.run(scenario()) == ["new"]
