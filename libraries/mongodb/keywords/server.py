"""Keywords for the monitoring agent's view of the server (``serverStatus``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from libraries.common.polling import wait_until
from libraries.mongodb.keywords.base import LibraryComponent

POLL_INTERVAL_S = 0.2


class ServerKeywords(LibraryComponent):
    """Connections and operation counters."""

    @keyword
    def get_server_metrics(self) -> dict[str, Any]:
        """Sample ``serverStatus``: ``connections`` (current, available, totalCreated),
        ``opcounters`` (insert, query, update, delete, getmore, command) and ``operations``,
        the sum of the opcounters.

        | ${metrics} = | `Get Server Metrics` |
        | Should Be True | ${metrics}[connections][current] >= 1 |

        Returns, e.g.:

        | {"connections": {"current": 7, "available": 812, "totalCreated": 41},
        |  "opcounters": {"insert": 120, "query": 388, "update": 75, "delete": 4,
        |                 "getmore": 0, "command": 1022}}
        """
        status = self.connection.server_status()
        metrics: dict[str, Any] = {
            "connections": {
                key: int(value)
                for key, value in status.get("connections", {}).items()
                if isinstance(value, (int, float))
            },
            "opcounters": {
                key: int(value)
                for key, value in status.get("opcounters", {}).items()
                if isinstance(value, (int, float))
            },
        }
        for section in ("connections", "opcounters"):
            if not metrics[section]:
                raise AssertionError(f"serverStatus has no '{section}' section")
        metrics["operations"] = sum(metrics["opcounters"].values())
        logger.info(f"Server metrics: {metrics}")
        return metrics

    @keyword
    def connections_should_return_to_baseline(
        self,
        baseline: dict[str, Any] | int,
        tolerance: int = 0,
        timeout: timedelta = timedelta(seconds=10),
    ) -> int:
        """Wait until the server's current connections are at most ``baseline`` + ``tolerance``.

        ``baseline`` is a count or metrics from `Get Server Metrics`. Returns the last count.

        | ${before} = | `Get Server Metrics` |
        | `Connections Should Return To Baseline` | ${before} | timeout=15s |
        """
        limit = (
            baseline["connections"]["current"] if isinstance(baseline, dict) else int(baseline)
        ) + tolerance
        current = wait_until(
            lambda: int(self.connection.server_status()["connections"]["current"]),
            lambda current: current <= limit,
            what=f"connections to return to {limit}",
            timeout=timeout,
            interval=POLL_INTERVAL_S,
            describe=lambda current: f"{current} connection(s)",
        )
        logger.info(f"{current} connection(s), baseline limit {limit}")
        return current
