"""What the API shows of a task: its metadata and its waterfall rows."""

from __future__ import annotations

from fractions import Fraction

from contract import constants
from twin import bugs, fibre_data
from twin.focus_server.store import as_utc
from twin.grpc_job.protocol import format_time, historic_stream_seconds, parse_utc


def frequency_bins(nfft: int, low: float, high: float) -> int:
    """FFT bins ``k`` in ``0..nfft/2`` with ``low <= k * prr / nfft <= high`` (exact)."""
    step = Fraction(constants.PRR, nfft)
    low_f, high_f = Fraction(low), Fraction(high)
    return sum(1 for k in range(nfft // 2 + 1) if low_f <= k * step <= high_f)


def metadata(task: dict) -> dict:
    """Every metadata field of the contract, for Live and Historic tasks alike."""
    config = task["config"]
    nfft, overlap = config["nfft"], config["overlap"]
    channels, band = config["channels"], config["frequencyRange"]
    fields = {
        "task_id": task["task_id"],
        "timeStatus": config["timeStatus"],
        "viewType": config["viewType"],
        "nfft": nfft,
        "overlap": overlap,
        "channels": dict(channels),
        "channel_count": channels["max"] - channels["min"] + 1,
        "frequencyRange": dict(band),
        "prr": constants.PRR,
        "frequency_resolution": constants.PRR / nfft,
        "frequency_bins": frequency_bins(nfft, band["min"], band["max"]),
        "time_resolution": (nfft - overlap) / constants.PRR,
        "stream": dict(task.get("stream") or {"host": None, "port": None}),
        "status": task["status"],
        "created_at": format_time(as_utc(task["created_at"])),
        "updated_at": format_time(as_utc(task["updated_at"])),
        "startTime": config.get("startTime"),
        "endTime": config.get("endTime"),
    }
    if config["timeStatus"] == "Live" and bugs.is_on("PZ-13985"):
        for name in ("prr", "frequency_bins", "time_resolution"):
            del fields[name]
    return fields


def _data_span(task: dict, now: float) -> tuple[float, float] | None:
    """The data-time span ``(from, to)`` whose rows the task has produced so far."""
    running_at = as_utc(task.get("running_at"))
    if running_at is None:
        return None
    config = task["config"]
    status_end = now if task["status"] == "running" else as_utc(task["updated_at"]).timestamp()
    window = config["nfft"] / constants.PRR
    if config["timeStatus"] == "Live":
        return running_at.timestamp() - window, status_end
    start, end = parse_utc(config["startTime"]), parse_utc(config["endTime"])
    progress = (status_end - running_at.timestamp()) / historic_stream_seconds(start, end)
    if task["status"] == "completed":
        progress = 1.0
    span = (end - start).total_seconds()
    reached = start.timestamp() + max(window, min(1.0, progress) * span)
    return start.timestamp(), min(end.timestamp(), reached)


def waterfall(task: dict, count: int, now: float) -> list[dict]:
    """The newest ``count`` rows: one finite dB value per channel; none before running."""
    span = _data_span(task, now)
    if span is None:
        return []
    view = fibre_data.View.from_config(task["config"])
    indexes = fibre_data.row_index_range(view, *span)
    indexes = indexes[max(0, len(indexes) - count) :]
    values = fibre_data.rows(view, indexes)
    keep = -1 if bugs.is_on("PZ-13238") else None  # the bug: the last channel is left out
    return [
        {"timestamp": format_time(fibre_data.row_time(view, index)), "values": row.tolist()[:keep]}
        for index, row in zip(indexes, values, strict=True)
    ]
