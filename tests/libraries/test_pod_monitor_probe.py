"""The pod monitor checks its own input: does the system write request ids into its access
lines? One probe request; its access line with the id, without it, or never."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from libraries.common import request_ids
from libraries.pod_monitor import listener as listener_module
from libraries.pod_monitor.listener import PodMonitor
from libraries.pod_monitor.probe import FALLBACK, RequestIdProbe


def access_line(path: str, request_id: str | None) -> str:
    """The twin Focus Server's access line (twin/focus_server/middleware.py)."""
    rid = f" rid={request_id}" if request_id else ""
    return f"2026-01-01 00:00:00 INFO GET /focus-server{path} 404 0.4ms{rid}"


def probe_with(lines, timeout: float = 5.0) -> RequestIdProbe:
    """A probe whose request makes the server write ``lines(path, request_id)``."""
    probe: RequestIdProbe

    def send(path: str, request_id: str) -> None:
        for line in lines(path, request_id):
            probe.see(line)

    probe = RequestIdProbe(send, timeout=timeout)
    return probe


def test_an_access_line_with_the_id_is_a_clean_verdict():
    probe = probe_with(lambda path, rid: ["unrelated line", access_line(path, rid)])
    probe.start()
    assert probe.wait(5) == ""
    assert request_ids.parse(access_line(probe.path, probe.request_id)) == (
        request_ids.process_prefix(),
        0,  # test number 0: the probe's lines belong to no test
    )


def test_an_access_line_without_the_id_falls_back_to_time_windows():
    probe = probe_with(lambda path, rid: [access_line(path, None)])
    probe.start()
    verdict = probe.wait(5)
    assert verdict.startswith(f"the access line of the probe request GET {probe.path}")
    assert "carries no request id" in verdict


def test_no_access_line_at_all_falls_back_after_the_timeout():
    probe = probe_with(lambda path, rid: [access_line(path + "x", rid)], timeout=0.2)
    probe.start()
    assert probe.wait(5) == (
        f"no access line of the probe request GET {probe.path} appeared in the pod logs "
        "within 0.2 s"
    )


def test_a_failed_probe_request_is_a_verdict_not_a_crash():
    def send(path: str, request_id: str) -> None:
        raise ConnectionError("connection refused\nsecond line")

    probe = RequestIdProbe(send, timeout=1)
    probe.start()
    assert probe.wait(5) == f"the probe request GET {probe.path} failed (connection refused)"


class Logger:
    def __init__(self) -> None:
        self.warnings: list[str] = []
        self.infos: list[str] = []

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def info(self, message: str, html: bool = False) -> None:
        self.infos.append(message)

    def console(self, message: str) -> None:
        self.infos.append(message)


def run_monitor(tmp_path: Path, monkeypatch, with_ids: bool) -> tuple[Logger, str]:
    """A monitor following a fake Focus Server pod: the probe's request makes the pod write
    its access line (with or without the id); three tests run, then the run ends."""
    logger = Logger()
    monkeypatch.setattr(listener_module, "logger", logger)
    monitor = PodMonitor(probe_timeout="5")
    monitor.state = "running"
    monitor.output_dir = tmp_path

    def send(path: str, request_id: str) -> None:
        line = access_line(path, request_id if with_ids else None)
        monitor._line("panda-panda-focus-server-1", time.time_ns(), line)

    monitor.probe = RequestIdProbe(send, timeout=5)
    monitor.probe.start()
    monitor.probe.wait(5)
    for _ in range(3):
        monitor._report_probe()
    monitor.close()
    return logger, (tmp_path / "pod_logs" / "summary.txt").read_text()


def test_the_monitor_warns_once_and_its_summary_says_so(tmp_path, monkeypatch):
    logger, summary = run_monitor(tmp_path, monkeypatch, with_ids=False)
    assert len(logger.warnings) == 1
    assert logger.warnings[0].startswith(f"Pod monitor: {FALLBACK}: the access line of")
    assert "Attribution by time window only (1 of 1 robot process(es))" in summary
    assert "carries no request id" in summary


def test_the_monitor_is_quiet_when_access_lines_carry_ids(tmp_path, monkeypatch):
    logger, summary = run_monitor(tmp_path, monkeypatch, with_ids=True)
    assert logger.warnings == []
    assert "Attribution" not in summary
    assert any("access lines carry request ids" in info for info in logger.infos)


@pytest.mark.parametrize("with_ids", [True, False])
def test_the_probe_line_is_buffered_like_any_other(tmp_path, monkeypatch, with_ids):
    monitor = PodMonitor()
    monitor.probe = RequestIdProbe(lambda path, rid: None, timeout=1)
    line = access_line(monitor.probe.path, monitor.probe.request_id if with_ids else None)
    monitor._line("focus", time.time_ns(), line)
    assert [entry.text for entry in monitor.store.buffers["focus"].lines] == [line]
