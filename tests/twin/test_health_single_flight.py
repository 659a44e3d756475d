"""Concurrent /health requests share one probe of each dependency (no cached result)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

from twin.focus_server import health


def test_a_burst_of_health_checks_shares_one_probe():
    calls = []

    def ping() -> None:
        calls.append(threading.get_ident())
        time.sleep(0.2)

    async def burst() -> list[dict]:
        return await asyncio.gather(*(health.dependencies(ping, None) for _ in range(50)))

    answers = asyncio.run(burst())
    assert len(calls) == 1
    assert all(a == {"mongodb": "ok", "rabbitmq": "down"} for a in answers)
    assert health._IN_FLIGHT == {}


def test_the_next_request_probes_again():
    listener = socket.create_server(("127.0.0.1", 0))
    address = listener.getsockname()
    calls = []

    async def twice() -> tuple[dict, dict]:
        first = await health.dependencies(lambda: calls.append(1), address)
        listener.close()
        second = await health.dependencies(lambda: calls.append(2), address)
        return first, second

    first, second = asyncio.run(twice())
    assert first == {"mongodb": "ok", "rabbitmq": "ok"}
    assert second == {"mongodb": "ok", "rabbitmq": "down"}  # fresh probe: the port closed
    assert calls == [1, 2]
