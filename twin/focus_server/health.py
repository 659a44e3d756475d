"""``GET /health`` probes: concurrent, each bounded, so the answer comes within 2 s.

Bug PZ-13640 was a slow answer during a MongoDB outage: the MongoDB ping runs with a
500 ms server-selection timeout in a thread and is abandoned after ``MONGO_BUDGET_S``;
RabbitMQ is a TCP connect to the AMQP port bounded by ``RABBITMQ_BUDGET_S``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from twin import bugs

MONGO_BUDGET_S = 1.0
RABBITMQ_BUDGET_S = 0.3


async def probe_mongo(ping: Callable[[], object]) -> bool:
    if bugs.is_on("PZ-13640"):
        return await _probe_mongo_slowly(ping)
    try:
        await asyncio.wait_for(asyncio.to_thread(ping), MONGO_BUDGET_S)
    except Exception:  # any failure of the probe means "down"
        return False
    return True


async def _probe_mongo_slowly(ping: Callable[[], object]) -> bool:
    """Bug PZ-13640 (:mod:`twin.bugs`): no budget; retries until MongoDB answers or
    ``SLOW_MONGO_PING_S`` have passed, so an outage holds every ``/health`` up."""
    deadline = time.monotonic() + bugs.SLOW_MONGO_PING_S
    while True:
        try:
            await asyncio.to_thread(ping)
            return True
        except Exception:
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.1)


async def probe_tcp(address: tuple[str, int] | None) -> bool:
    if address is None:
        return False
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(*address), RABBITMQ_BUDGET_S)
    except (OSError, TimeoutError):
        return False
    writer.close()
    return True


async def _probe(ping: Callable[[], object], rabbitmq: tuple[str, int] | None) -> dict:
    mongo_ok, rabbit_ok = await asyncio.gather(probe_mongo(ping), probe_tcp(rabbitmq))
    return {
        "mongodb": "ok" if mongo_ok else "down",
        "rabbitmq": "ok" if rabbit_ok else "down",
    }


# One probe in flight per server: concurrent /health requests share it, so a burst of
# health checks (a load test) does not storm MongoDB and RabbitMQ with probes and read its
# own queueing as an outage. Each request still gets a probe that started no earlier than
# the request before it: no result is cached.
_IN_FLIGHT: dict[tuple, asyncio.Task] = {}


async def dependencies(ping: Callable[[], object], rabbitmq: tuple[str, int] | None) -> dict:
    """``{"mongodb": "ok"|"down", "rabbitmq": "ok"|"down"}``, probed concurrently."""
    key = (id(ping), rabbitmq, id(asyncio.get_running_loop()))
    probe = _IN_FLIGHT.get(key)
    if probe is None:
        probe = asyncio.ensure_future(_probe(ping, rabbitmq))
        _IN_FLIGHT[key] = probe
        probe.add_done_callback(lambda _done: _IN_FLIGHT.pop(key, None))
    return dict(await asyncio.shield(probe))
