"""Bug switches: the twin can re-introduce each known bug of contract section 6.

A QA lead proves the suite with them (``make prove``): for each bug, the tests tagged
with its key must fail against a twin that has the bug on, and pass against one that
has none. Every switch is one small deviation from the contract, consulted where the
twin implements the rule; nothing else changes.

Switch bugs on when the twin starts, for the twin's whole life:

    python -m twin up --bug PZ-13669 --bug PZ-13984
    TWIN_BUGS=PZ-13669,PZ-13984 robot robot/api/validation_channels.robot

The supervisor passes ``TWIN_BUGS`` to every workload (each reads it with
:func:`is_on`) and records the set in ``state.json``; ``python -m twin status`` shows
it. A run that asks for other bugs than the running twin has gets a one-line error
instead of silently testing the wrong system.

What each switch does instead of the contract:

- PZ-13986 (capacity at 200 jobs): a ``/configure`` refused for capacity after it
  queued behind a burst answers ``500`` instead of ``503 CAPACITY_EXCEEDED``.
- PZ-13985 (live metadata missing fields): a Live task's metadata lacks ``prr``,
  ``frequency_bins`` and ``time_resolution``.
- PZ-13984 (future timestamps accepted): a Historic ``/configure`` whose ``endTime``
  is in the future is accepted.
- PZ-13983 (MongoDB indexes missing): neither the Focus Server nor the recorder
  creates the indexes of section 4; the Focus Server drops existing ones at start.
- PZ-13669 (SingleChannel accepted min != max): a ``SingleChannel`` ``/configure`` or
  ``/config_task`` with ``channels.min != channels.max`` is accepted.
- PZ-13640 (slow response during a MongoDB outage): ``/health`` retries the MongoDB
  ping without its budget until it answers or ``SLOW_MONGO_PING_S`` have passed.
- PZ-13238 (waterfall fails): every waterfall row leaves out the task's last channel.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

ENV_VAR = "TWIN_BUGS"

# PZ-13640: how long the health probe keeps retrying MongoDB with the bug on.
SLOW_MONGO_PING_S = 5.0


@dataclass(frozen=True)
class Bug:
    key: str
    title: str
    deviation: str


BUGS: dict[str, Bug] = {
    bug.key: bug
    for bug in (
        Bug(
            "PZ-13986",
            "capacity at 200 jobs",
            "a configure refused for capacity behind a burst answers 500, not 503",
        ),
        Bug(
            "PZ-13985",
            "live metadata missing fields",
            "Live metadata lacks prr, frequency_bins and time_resolution",
        ),
        Bug(
            "PZ-13984",
            "future timestamps accepted",
            "a Historic endTime in the future is accepted",
        ),
        Bug(
            "PZ-13983",
            "MongoDB indexes missing",
            "no index of contract section 4 is created; existing ones are dropped",
        ),
        Bug(
            "PZ-13669",
            "SingleChannel accepted min != max",
            "SingleChannel with channels.min != channels.max is accepted",
        ),
        Bug(
            "PZ-13640",
            "slow response during a MongoDB outage",
            f"/health retries the MongoDB ping for up to {SLOW_MONGO_PING_S:.0f} s",
        ),
        Bug(
            "PZ-13238",
            "waterfall fails",
            "waterfall rows leave out the task's last channel",
        ),
    )
}


class UnknownBug(ValueError):
    """A bug key the twin cannot switch on; the message lists the known ones."""


def parse(text: str | Iterable[str] | None) -> frozenset[str]:
    """Bug keys from ``"PZ-13669, pz-13984"`` (or a list of such strings), validated."""
    if text is None:
        return frozenset()
    parts = [text] if isinstance(text, str) else list(text)
    keys = {
        item.strip().upper()
        for part in parts
        for item in part.replace(";", ",").split(",")
        if item.strip()
    }
    unknown = sorted(keys - BUGS.keys())
    if unknown:
        raise UnknownBug(
            f"unknown bug {', '.join(unknown)}: the twin can switch on {', '.join(BUGS)}"
        )
    return frozenset(keys)


def requested() -> frozenset[str] | None:
    """The bugs this process's environment asks for; None when ``TWIN_BUGS`` is unset."""
    value = os.environ.get(ENV_VAR)
    return None if value is None else parse(value)


def active() -> frozenset[str]:
    """The bugs switched on in this twin process (read from ``TWIN_BUGS``)."""
    try:
        return requested() or frozenset()
    except UnknownBug:
        return frozenset()  # the CLI and control.up refuse an unknown key before start


def is_on(key: str) -> bool:
    """True when the bug ``key`` is switched on in this twin process."""
    if key not in BUGS:
        raise KeyError(f"{key} is not a known bug: the twin knows {', '.join(BUGS)}")
    return key in active()


def describe(keys: Iterable[str]) -> str:
    """``PZ-13669 (SingleChannel accepted min != max), ...`` or ``none``."""
    keys = sorted(keys)
    return ", ".join(f"{key} ({BUGS[key].title})" for key in keys) if keys else "none"


def environment_value(keys: Iterable[str]) -> str:
    """The ``TWIN_BUGS`` value for ``keys`` (sorted, comma-separated)."""
    return ",".join(sorted(keys))
