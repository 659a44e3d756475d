"""Keywords that open, switch and close Focus Server connections."""

from __future__ import annotations

from datetime import timedelta

from robot.api import logger
from robot.api.deco import keyword
from robot.api.types import Secret
from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError

from libraries.focus_api.client import TWIN_HINT, FocusClient
from libraries.focus_api.keywords.base import LibraryComponent, log_exchange


class ConnectionKeywords(LibraryComponent):
    """`Connect To Focus Server`, `Switch Focus Connection`, `Close All Focus Connections`."""

    @keyword
    def connect_to_focus_server(
        self,
        base_url: str,
        user: str,
        password: Secret,
        ca_bundle: str | None = None,
        timeout: timedelta = timedelta(seconds=10),
        alias: str | None = None,
        max_retries: int = 2,
        reuse_existing: bool = False,
    ) -> str:
        """Open a connection to the Focus Server at ``base_url`` and log in.

        ``password`` is a `Secret` (never logged). ``ca_bundle`` is the CA file TLS is
        verified against (``None``: the system store); verification is never off.
        ``timeout`` is the read timeout of every request of this connection;
        ``max_retries`` the retries of idempotent requests. The token is fetched at once,
        so an unreachable server or wrong credentials fail here with one clear line.
        Returns the alias (default: the base URL); the new connection becomes current.
        With ``reuse_existing``, a connection already open under that alias is made
        current and kept (no new login), as Browser's ``New Browser`` reuses a browser:
        keywords that stand alone connect this way.

        | `Connect To Focus Server` | ${URL} | ${USER} | ${PASSWORD} | ca_bundle=${CA_BUNDLE} |
        | `Connect To Focus Server` | ${URL} | ${USER} | ${PASSWORD} | timeout=30s | alias=slow |
        | `Connect To Focus Server` | ${URL} | ${USER} | ${PASSWORD} | reuse_existing=True |
        """
        alias = alias or base_url
        if reuse_existing and alias in self.state.connections:
            self.state.connections.switch(alias)
            logger.info(f"Reusing the open connection '{alias}'")
            return alias
        client = FocusClient(
            base_url,
            user,
            password.value,
            ca_bundle=ca_bundle,
            timeout=timeout.total_seconds(),
            max_retries=max_retries,
            on_exchange=log_exchange,
            **_hint(),
        )
        client.tokens.get()
        self.state.connections.register(client, alias)
        logger.info(f"Connected to {base_url} as '{user}' (alias '{alias}')")
        self._stop_leftovers(client)
        return alias

    def _stop_leftovers(self, client: FocusClient) -> None:
        """Stop the tasks that earlier runs on this machine created and, killed before
        their teardowns, never stopped (the task ledger); no one else's."""
        stopped, kept = self.state.ledger.stop_leftovers(
            client.base_url, lambda task_id: client.stop(task_id).status_code
        )
        if stopped:
            logger.warn(
                f"Stopped {len(stopped)} task(s) an earlier run created on {client.base_url} "
                f"and never stopped (it was killed before its teardown): {', '.join(stopped)}"
            )
        if kept:
            logger.warn(f"Tasks of an earlier run still not stopped: {'; '.join(kept)}")

    @keyword
    def switch_focus_connection(self, alias: str) -> str:
        """Make the connection ``alias`` current; returns the previous alias.

        | ${previous} = | `Switch Focus Connection` | slow |
        """
        return self.state.connections.switch(alias)

    @keyword
    def close_all_focus_connections(self) -> None:
        """Close every connection (tasks are not stopped: see `Stop All Tasks`).

        | [Teardown] | `Close All Focus Connections` |
        """
        self.state.connections.close_all()


def _hint() -> dict:
    """On the local twin an unreachable server means the twin is down; elsewhere it does not."""
    try:
        env_name = BuiltIn().get_variable_value("${ENV_NAME}")
    except RobotNotRunningError:  # used from plain Python (pytest): no environment known
        return {}
    return {"unreachable_hint": TWIN_HINT} if env_name == "local" else {}
