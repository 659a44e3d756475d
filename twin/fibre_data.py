"""Synthetic fibre data of the twin, shared by the Focus Server and the gRPC jobs.

Every channel carries seeded Gaussian noise (a shared random table read from a
per-channel offset, period ``NOISE_TABLE_SIZE / PRR`` seconds) plus the deterministic events of
:data:`EVENTS`. A sample is a pure function of (channel, absolute sample index),
where the absolute index counts samples at ``PRR`` Hz since the Unix epoch, so two
processes computing the same time get the same data.

Events repeat every :data:`EVENT_CYCLE_S` seconds of absolute time: an event is on
while ``start_s <= t mod EVENT_CYCLE_S < start_s + duration_s``. The 200 Hz event at
channel 50 lasts the whole cycle, so it is always visible.

A waterfall row is, for each channel of a task, the mean power (dB) of a Hann-windowed
FFT of ``nfft`` samples over the bins inside the task's ``frequencyRange``; rows lie
on an absolute grid ``hop = nfft - overlap`` samples apart.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from contract import constants

SEED = 20261122
NOISE_TABLE_SIZE = 1 << 20
EVENT_CYCLE_S = 60
CHUNK_SAMPLES = 4_000_000


@dataclass(frozen=True)
class Event:
    """A sine of ``frequency_hz`` (integer) and ``amplitude`` (noise sigma = 1) on a channel."""

    channel: int
    start_s: int
    duration_s: int
    frequency_hz: int
    amplitude: float


EVENTS: tuple[Event, ...] = (
    Event(channel=50, start_s=0, duration_s=EVENT_CYCLE_S, frequency_hz=200, amplitude=5.0),
    Event(channel=1200, start_s=10, duration_s=20, frequency_hz=350, amplitude=4.0),
    Event(channel=2000, start_s=30, duration_s=15, frequency_hz=80, amplitude=6.0),
    Event(channel=11, start_s=45, duration_s=10, frequency_hz=600, amplitude=5.0),
)


@dataclass(frozen=True)
class View:
    """What a waterfall row is computed from: a task's channels, FFT and band."""

    channel_min: int
    channel_max: int
    nfft: int
    overlap: int
    frequency_min: float
    frequency_max: float

    @property
    def hop(self) -> int:
        return self.nfft - self.overlap

    @classmethod
    def from_config(cls, config: dict) -> View:
        """Build from a validated ``/configure`` configuration."""
        return cls(
            channel_min=config["channels"]["min"],
            channel_max=config["channels"]["max"],
            nfft=config["nfft"],
            overlap=config["overlap"],
            frequency_min=config["frequencyRange"]["min"],
            frequency_max=config["frequencyRange"]["max"],
        )


def sample_index(seconds: float) -> int:
    """The absolute sample index at ``seconds`` since the epoch."""
    return math.floor(seconds * constants.PRR)


@functools.cache
def _noise_table() -> np.ndarray:
    return np.random.default_rng(SEED).standard_normal(NOISE_TABLE_SIZE).astype(np.float32)


def _channel_offset(channel: int) -> int:
    return (channel * 2_654_435_761) % NOISE_TABLE_SIZE


def _noise(channels: np.ndarray, start: int, count: int) -> np.ndarray:
    """Seeded noise: channel ``c`` reads a shared random table from its own offset."""
    table = _noise_table()
    out = np.empty((len(channels), count))
    for row, channel in enumerate(channels):
        first = (start + _channel_offset(int(channel))) % NOISE_TABLE_SIZE
        taken = 0
        while taken < count:  # contiguous slices of the table, wrapping at its end
            size = min(count - taken, NOISE_TABLE_SIZE - first)
            out[row, taken : taken + size] = table[first : first + size]
            taken, first = taken + size, 0
    return out


def _add_events(data: np.ndarray, channels: np.ndarray, start: int) -> None:
    indexes = np.arange(start, start + data.shape[1], dtype=np.int64)
    cycle = (indexes // constants.PRR) % EVENT_CYCLE_S
    for event in EVENTS:
        rows = np.nonzero(channels == event.channel)[0]
        if rows.size == 0:
            continue
        on = (cycle >= event.start_s) & (cycle < event.start_s + event.duration_s)
        phase = 2 * np.pi * ((event.frequency_hz * indexes) % constants.PRR) / constants.PRR
        data[rows[0]] += np.where(on, event.amplitude * np.sin(phase), 0.0)


def samples(channel_min: int, channel_max: int, start: int, count: int) -> np.ndarray:
    """Raw samples, shape ``(channels, count)``, from absolute sample index ``start``."""
    channels = np.arange(channel_min, channel_max + 1)
    data = _noise(channels, start, count)
    _add_events(data, channels, start)
    return data


def band_bins(view: View) -> np.ndarray:
    """FFT bins ``k`` in ``0..nfft/2`` with ``min <= k * prr / nfft <= max``."""
    step = Fraction(constants.PRR, view.nfft)
    low, high = Fraction(view.frequency_min), Fraction(view.frequency_max)
    return np.array([k for k in range(view.nfft // 2 + 1) if low <= k * step <= high], dtype=int)


def row_index_range(view: View, from_s: float, to_s: float) -> range:
    """Indexes ``j`` of the rows whose window ``[j*hop, j*hop+nfft)`` lies in the span."""
    first = -(-sample_index(from_s) // view.hop)
    last = (sample_index(to_s) - view.nfft) // view.hop
    return range(first, max(first, last + 1))


def row_time(view: View, index: int) -> float:
    """Timestamp of row ``index``: the end of its window, in seconds since the epoch."""
    return (index * view.hop + view.nfft) / constants.PRR


def rows(view: View, indexes: range) -> np.ndarray:
    """Band power (dB) per row and channel, shape ``(len(indexes), channels)``.

    Computed in chunks of rows so memory stays bounded (about ``CHUNK_SAMPLES`` floats).
    """
    channel_count = view.channel_max - view.channel_min + 1
    chunk = max(1, CHUNK_SAMPLES // (channel_count * view.nfft))
    parts = [_rows_chunk(view, indexes[at : at + chunk]) for at in range(0, len(indexes), chunk)]
    return np.concatenate(parts) if parts else np.empty((0, channel_count))


def _rows_chunk(view: View, indexes: range) -> np.ndarray:
    start = indexes[0] * view.hop
    count = (len(indexes) - 1) * view.hop + view.nfft
    data = samples(view.channel_min, view.channel_max, start, count)
    window = np.hanning(view.nfft)
    bins = band_bins(view)
    out = np.empty((len(indexes), data.shape[0]))
    for row in range(len(indexes)):
        segment = data[:, row * view.hop : row * view.hop + view.nfft]
        power = np.abs(np.fft.rfft(segment * window, axis=-1)[:, bins]) ** 2
        out[row] = 10.0 * np.log10(power.mean(axis=-1) + 1e-12)
    return out
