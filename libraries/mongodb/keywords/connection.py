"""Keywords that open, switch, wait for and close MongoDB connections."""

from __future__ import annotations

import time
from datetime import timedelta

from pymongo.errors import ConnectionFailure, OperationFailure
from robot.api import logger
from robot.api.deco import keyword
from robot.api.types import Secret

from libraries.common.polling import wait_until
from libraries.mongodb.client import MongoConnection
from libraries.mongodb.keywords.base import LibraryComponent

PROBE_TIMEOUT_S = 1.0
POLL_INTERVAL_S = 0.2
ANSWERED = "ping answered"


class ConnectionKeywords(LibraryComponent):
    """Connecting, switching, waiting for reachability, closing and cleaning up."""

    @keyword("Connect To MongoDB")
    def connect_to_mongodb(
        self,
        host: str,
        port: int,
        user: str,
        password: Secret,
        database: str = "prisma",
        auth_source: str = "prisma",
        tls: bool = False,
        ca_bundle: str | None = None,
        timeout: timedelta = timedelta(seconds=5),
        alias: str = "",
        segy_root: str | None = None,
    ) -> str:
        """Connect to MongoDB at ``host``, port ``port``, as ``user`` and check it with a ping.

        ``password`` is a `Secret` (never logged). With ``tls=True`` the server certificate
        is verified against ``ca_bundle`` (the system store when empty); verification is
        never turned off. ``timeout`` bounds server selection, connecting and each
        operation of this connection. ``segy_root`` is the directory the recordings'
        SEG-Y files (their relative ``file_path``) are under, for the recording checks
        (`Recordings Between`, ...). Returns the alias (default ``host:port/database``);
        the new connection becomes current. Wrong credentials or an unreachable server
        fail here with one line.

        | `Connect To MongoDB` | 127.0.0.1 | ${MONGO_PORT} | prisma | ${MONGO_PASSWORD} |
        | `Connect To MongoDB` | ${HOST} | 27017 | prisma | ${PW} | tls=True | ca_bundle=${CA} |
        """
        connection = MongoConnection.open(
            host,
            port,
            user,
            password.value,
            database=database,
            auth_source=auth_source,
            tls=tls,
            ca_bundle=ca_bundle or None,
            timeout_s=timeout.total_seconds(),
        )
        return self._register(
            connection,
            alias or f"{host}:{port}/{database}",
            f"{host}:{port} as '{user}'",
            segy_root,
        )

    @keyword("Connect To MongoDB With URI")
    def connect_to_mongodb_with_uri(
        self,
        uri: Secret,
        database: str = "",
        ca_bundle: str | None = None,
        timeout: timedelta = timedelta(seconds=5),
        alias: str = "",
        segy_root: str | None = None,
    ) -> str:
        """Connect with a ``mongodb://`` URI (a `Secret`: it may hold a password).

        ``database`` defaults to the URI's; ``segy_root`` as in `Connect To MongoDB`.
        Returns the alias (default ``database``).

        | `Connect To MongoDB With URI` | ${MONGO_URI} | database=prisma | alias=uri |
        """
        connection = MongoConnection.open_uri(
            uri.value, database, ca_bundle=ca_bundle or None, timeout_s=timeout.total_seconds()
        )
        return self._register(
            connection, alias or connection.database_name, "the URI's server", segy_root
        )

    def _register(
        self, connection: MongoConnection, alias: str, where: str, segy_root: str | None
    ) -> str:
        try:
            connection.ping()
        except (ConnectionFailure, OperationFailure) as error:
            connection.client.close()
            raise AssertionError(
                f"Cannot connect to MongoDB at {where}: {type(error).__name__}"
            ) from None
        self.state.connections.register(connection, alias)
        if segy_root:
            self.state.segy_roots[alias] = segy_root
        else:
            self.state.segy_roots.pop(alias, None)
        logger.info(
            f"Connected to MongoDB at {where}, database '{connection.database_name}' "
            f"(alias '{alias}')"
        )
        return alias

    @keyword("Switch MongoDB Connection")
    def switch_mongodb_connection(self, alias: str) -> str:
        """Make the connection ``alias`` current; returns the previous alias.

        | ${previous} = | `Switch MongoDB Connection` | prod |
        """
        return self.state.connections.switch(alias)

    @keyword("Close MongoDB Connection")
    def close_mongodb_connection(self, alias: str) -> None:
        """Delete the documents inserted through connection ``alias``, then close it.

        | `Close MongoDB Connection` | workload |
        """
        self.state.connections.close(alias)

    @keyword("Close All MongoDB Connections")
    def close_all_mongodb_connections(self) -> None:
        """Delete the documents the tests inserted, then close every connection.

        | [Teardown] | `Close All MongoDB Connections` |
        """
        errors = self.state.connections.close_all(raise_errors=False)
        if errors:
            raise AssertionError(f"Closed, but test documents could not be deleted on {errors}")

    @keyword
    def delete_documents_created_by_tests(self) -> int:
        """Delete every document inserted through this library; returns how many were found.

        The library also does this at the end of each test (pass or fail) and at close.

        | [Teardown] | `Delete Documents Created By Tests` |
        """
        removed = self.state.delete_created()
        logger.info(f"Deleted {removed} document(s) created by tests")
        return removed

    @keyword("Wait Until MongoDB Is Reachable")
    def wait_until_mongodb_is_reachable(self, timeout: timedelta = timedelta(seconds=30)) -> float:
        """Wait until the current connection's server answers a ping; returns the seconds waited.

        Each try uses a fresh client with a short timeout, so a server killed a moment ago
        (first error ``AutoReconnect``, later ``ServerSelectionTimeoutError``) is retried.

        | `Wait Until MongoDB Is Reachable` | timeout=60s |
        """
        return self._wait(True, timeout)

    @keyword("Wait Until MongoDB Is Unreachable")
    def wait_until_mongodb_is_unreachable(
        self, timeout: timedelta = timedelta(seconds=30)
    ) -> float:
        """Wait until the current connection's server stops answering; returns the seconds waited.

        | `Wait Until MongoDB Is Unreachable` | timeout=20s |
        """
        return self._wait(False, timeout)

    def _wait(self, reachable: bool, timeout: timedelta) -> float:
        connection, started = self.connection, time.monotonic()
        deadline = started + timeout.total_seconds()

        def probe() -> str:
            remaining = deadline - time.monotonic()
            try:
                connection.probe(max(0.05, min(PROBE_TIMEOUT_S, remaining)))
            except ConnectionFailure as error:
                return type(error).__name__
            return ANSWERED

        state = "reachable" if reachable else "unreachable"
        wait_until(
            probe,
            lambda last: (last == ANSWERED) == reachable,
            what=f"MongoDB to become {state}",
            timeout=timeout,
            interval=POLL_INTERVAL_S,
            describe=str,
        )
        waited = time.monotonic() - started
        logger.info(f"MongoDB {state} after {waited:.2f} s")
        return waited
