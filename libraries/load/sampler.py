"""CPU and RSS of the twin's pods while a load runs (psutil; no Robot imports).

A pod is found by workload name in the twin's ``state.json``; its figures cover the
pod's process and all its children. On a real cluster the pods are not local
processes: the caller reports that instead of sampling.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

MB = 1024 * 1024


def twin_pids(twin_dir: Path, workloads: list[str]) -> dict[str, int]:
    """``{workload: pid}`` of the running pods of ``workloads`` (first ready replica)."""
    state = json.loads((twin_dir / "state.json").read_text())
    found: dict[str, int] = {}
    for pod in state.get("pods", []):
        if pod.get("workload") in workloads and pod.get("pid") and pod.get("ready"):
            found.setdefault(pod["workload"], int(pod["pid"]))
    missing = [name for name in workloads if name not in found]
    if missing:
        raise LookupError(f"no running pod of {', '.join(missing)} in {twin_dir / 'state.json'}")
    return found


def _tree(pid: int) -> list[psutil.Process]:
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


@dataclass
class _Series:
    pid: int
    cpu: list[float] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)
    processes: dict[int, psutil.Process] = field(default_factory=dict)

    def sample(self) -> None:
        cpu, rss = 0.0, 0
        try:
            tree = _tree(self.pid)
        except psutil.Error:
            return
        for process in tree:
            known = self.processes.setdefault(process.pid, process)
            try:
                cpu += known.cpu_percent(None)
                rss += known.memory_info().rss
            except psutil.Error:
                continue
        self.cpu.append(cpu)
        self.rss.append(rss)

    def summary(self) -> dict[str, Any]:
        if not self.rss:
            return {"pid": self.pid, "samples": 0}
        # The first CPU reading of a process is 0 by psutil's design: skip it.
        cpu = self.cpu[1:] or self.cpu
        return {
            "pid": self.pid,
            "samples": len(self.rss),
            "cpu_avg": round(sum(cpu) / len(cpu), 1),
            "cpu_max": round(max(cpu), 1),
            "rss_start_mb": round(self.rss[0] / MB, 1),
            "rss_max_mb": round(max(self.rss) / MB, 1),
            "rss_end_mb": round(self.rss[-1] / MB, 1),
            "rss_growth": round(self.rss[-1] / self.rss[0] - 1, 4),
        }


class ProcessSampler:
    """Samples the CPU % (of one core) and RSS of process trees every ``interval_s`` in a
    background thread between ``start()`` and ``stop()``."""

    def __init__(self, pids: dict[str, int], interval_s: float = 1.0) -> None:
        self.series = {name: _Series(pid) for name, pid in pids.items()}
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="process-sampler", daemon=True)

    def _run(self) -> None:
        while True:
            for series in self.series.values():
                series.sample()
            if self._stop.wait(self.interval_s):
                break

    def start(self) -> ProcessSampler:
        self._thread.start()
        return self

    def stop(self) -> dict[str, dict[str, Any]]:
        """Stop sampling (one last sample); ``{name: summary}``."""
        self._stop.set()
        self._thread.join(timeout=10 * self.interval_s + 5)
        for series in self.series.values():
            series.sample()
        return {name: series.summary() for name, series in self.series.items()}


def violations(
    processes: dict[str, dict[str, Any]],
    rss_growth: float | None,
    cpu_max: float | None,
    rss_max_mb: float | None,
) -> list[str]:
    """What exceeds the bounds, one line per process and bound."""
    found = []
    for name, figures in processes.items():
        if not figures.get("samples"):
            found.append(f"{name}: no sample (the process was gone)")
            continue
        if rss_growth is not None and figures["rss_growth"] > rss_growth:
            found.append(
                f"{name}: RSS grew {figures['rss_growth']:.1%} "
                f"({figures['rss_start_mb']} -> {figures['rss_end_mb']} MB), "
                f"bound {rss_growth:.0%}"
            )
        if cpu_max is not None and figures["cpu_max"] > cpu_max:
            found.append(f"{name}: CPU peaked at {figures['cpu_max']}%, bound {cpu_max:g}%")
        if rss_max_mb is not None and figures["rss_max_mb"] > rss_max_mb:
            found.append(
                f"{name}: RSS peaked at {figures['rss_max_mb']} MB, bound {rss_max_mb:g} MB"
            )
    return found
