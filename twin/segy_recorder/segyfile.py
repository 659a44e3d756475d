"""SEG-Y files of the recorder: one trace per channel, written atomically with segyio."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import numpy as np
import segyio

from contract import constants

SAMPLE_INTERVAL_US = 1_000_000 // constants.PRR
PART_SUFFIX = ".part"
IEEE_FLOAT = 5


def relative_path(start: datetime, uuid: str) -> str:
    """Where a recording's file lives, relative to the recorder's directory."""
    return f"recordings/{start:%Y/%m/%d}/{start:%Y%m%dT%H%M%S}Z_{uuid}.sgy"


def _synthetic_traces(channel_count: int, samples: int, seed: int) -> np.ndarray:
    """Fibre-like data: a travelling low-frequency wave plus noise, float32."""
    rng = np.random.default_rng(seed)
    t = np.arange(samples, dtype=np.float32) / constants.PRR
    phase = np.arange(channel_count, dtype=np.float32)[:, None] * 0.3
    wave = np.sin(2 * np.pi * 25.0 * t[None, :] - phase)
    return (wave + 0.1 * rng.standard_normal((channel_count, samples))).astype(np.float32)


def write_segy(path: Path, channel_count: int, samples: int, start: datetime, seed: int) -> None:
    """Write a complete SEG-Y file at ``path``; a reader never sees a partial one.

    The data goes to ``<path>.part``, is flushed to disk, then renamed into place.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + PART_SUFFIX)
    spec = segyio.spec()
    spec.format = IEEE_FLOAT
    spec.samples = list(range(samples))
    spec.tracecount = channel_count
    traces = _synthetic_traces(channel_count, samples, seed)
    with segyio.create(str(part), spec) as handle:
        handle.text[0] = segyio.tools.create_text_header(
            {1: f"FOCUS TWIN SEGY RECORDER  START {start:%Y-%m-%dT%H:%M:%S}Z", 2: path.name}
        )
        handle.bin.update(hdt=SAMPLE_INTERVAL_US, hns=samples, format=IEEE_FLOAT)
        for channel in range(channel_count):
            handle.header[channel] = {
                segyio.TraceField.TRACE_SEQUENCE_LINE: channel + 1,
                segyio.TraceField.TRACE_SEQUENCE_FILE: channel + 1,
                segyio.TraceField.CDP: channel + 1,
                segyio.TraceField.TRACE_SAMPLE_COUNT: samples,
                segyio.TraceField.TRACE_SAMPLE_INTERVAL: SAMPLE_INTERVAL_US,
            }
            handle.trace[channel] = traces[channel]
    with open(part, "rb+") as raw:
        os.fsync(raw.fileno())
    os.replace(part, path)


def is_complete(path: Path, channel_count: int) -> bool:
    """True when ``path`` opens with segyio and holds ``channel_count`` traces."""
    try:
        with segyio.open(str(path), ignore_geometry=True) as handle:
            return handle.tracecount == channel_count and handle.bin[segyio.BinField.Samples] > 0
    except (OSError, RuntimeError, ValueError):
        return False


def remove_partial(path: Path) -> None:
    """Remove the ``.part`` file a killed writer left behind, if any."""
    path.with_name(path.name + PART_SUFFIX).unlink(missing_ok=True)
