"""``GET /health`` probes: concurrent, each bounded, so the answer comes within 2 s.

Bug PZ-13640 was a slow answer during a MongoDB outage: the MongoDB ping runs with a
500 ms server-selection timeout in a thread and is abandoned after ``MONGO_BUDGET_S``;
RabbitMQ is a TCP connect to the AMQP port bounded by ``RABBITMQ_BUDGET_S``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from twin import bugs

MONGO_BUDGET_S = 1.0
RABBITMQ_BUDGET_S = 0.3


async def probe_mongo(ping: Callable[[], object]) -> bool:
    budget = None if bugs.is_on("PZ-13640") else MONGO_BUDGET_S  # the bug: no budget
    try:
        await asyncio.wait_for(asyncio.to_thread(ping), budget)
    except Exception:  # any failure of the probe means "down"
        return False
    return True


async def probe_tcp(address: tuple[str, int] | None) -> bool:
    if address is None:
        return False
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(*address), RABBITMQ_BUDGET_S)
    except (OSError, TimeoutError):
        return False
    writer.close()
    return True


async def dependencies(ping: Callable[[], object], rabbitmq: tuple[str, int] | None) -> dict:
    """``{"mongodb": "ok"|"down", "rabbitmq": "ok"|"down"}``, probed concurrently."""
    mongo_ok, rabbit_ok = await asyncio.gather(probe_mongo(ping), probe_tcp(rabbitmq))
    return {
        "mongodb": "ok" if mongo_ok else "down",
        "rabbitmq": "ok" if rabbit_ok else "down",
    }
