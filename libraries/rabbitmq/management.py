"""A plain client of the RabbitMQ management HTTP API (``/api/...``) over requests.

Every request has a timeout; HTTPS is verified against ``ca_bundle`` (or the system's
store), never switched off. No Robot Framework imports.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests


class ManagementError(RuntimeError):
    """The management API answered an error or could not be reached."""


class ManagementClient:
    """``GET`` and ``DELETE`` on the management API of one broker."""

    def __init__(
        self,
        url: str,
        user: str,
        password: str,
        ca_bundle: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._session = requests.Session()
        self._session.auth = (user, password)
        self._verify: str | bool = ca_bundle or True  # a CA path, or the system store

    def close(self) -> None:
        self._session.close()

    def request(self, method: str, path: str, allow: tuple[int, ...] = ()) -> requests.Response:
        """Send ``method path``; raise :class:`ManagementError` unless 2xx or in ``allow``."""
        url = f"{self.url}/api/{path.lstrip('/')}"
        try:
            # verify per call: REQUESTS_CA_BUNDLE in the environment would beat session.verify
            response = self._session.request(method, url, timeout=self.timeout, verify=self._verify)
        except requests.RequestException as error:
            raise ManagementError(
                f"management API {self.url} unreachable: {type(error).__name__}"
            ) from None
        if not response.ok and response.status_code not in allow:
            raise ManagementError(
                f"{method} {url} answered {response.status_code}: {response.text[:300]}"
            )
        return response

    def get(self, path: str) -> Any:
        return self.request("GET", path).json()

    def overview(self) -> dict[str, Any]:
        returned: dict[str, Any] = self.get("overview")
        return returned

    def alarms(self) -> tuple[int, dict[str, Any]]:
        """``/api/health/checks/alarms``: ``(200, {"status": "ok"})`` when no alarm is raised."""
        response = self.request("GET", "health/checks/alarms", allow=(503,))
        return response.status_code, response.json()

    def connections(self, vhost: str | None = None) -> list[dict[str, Any]]:
        path = f"vhosts/{quote(vhost, safe='')}/connections" if vhost else "connections"
        returned: list[dict[str, Any]] = self.get(path)
        return returned

    def exchange(self, name: str, vhost: str = "/") -> dict[str, Any] | None:
        """The exchange's description, or None when it does not exist."""
        response = self.request(
            "GET", f"exchanges/{quote(vhost, safe='')}/{quote(name, safe='')}", allow=(404,)
        )
        return None if response.status_code == 404 else response.json()

    def queue(self, name: str, vhost: str = "/") -> dict[str, Any] | None:
        """The queue's description, or None when it does not exist."""
        response = self.request(
            "GET", f"queues/{quote(vhost, safe='')}/{quote(name, safe='')}", allow=(404,)
        )
        return None if response.status_code == 404 else response.json()
