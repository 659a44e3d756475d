"""The asyncio TCP server: one task per connection, commands run on the loop thread."""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
from pathlib import Path
from typing import Any

from pymongo.errors import PyMongoError

# Imported for their @command registrations.
from twin.mongo import cmd_admin, cmd_ddl, cmd_read, cmd_write  # noqa: F401
from twin.mongo.committer import GroupCommitter
from twin.mongo.context import COMMANDS, Context, ServerState, Session
from twin.mongo.errors import (
    BAD_VALUE,
    COMMAND_NOT_FOUND,
    COMMAND_NOT_SUPPORTED,
    FAILED_TO_PARSE,
    ILLEGAL_OPERATION,
    TRANSACTIONS_REFUSED,
    UNAUTHORIZED,
    UNKNOWN_ERROR,
    CommandError,
)
from twin.mongo.indexes import TTL_MONITOR_INTERVAL_S
from twin.mongo.scram import Credentials
from twin.mongo.store import Store
from twin.mongo.wire import ProtocolError, Request, encode_reply, read_request

log = logging.getLogger("twin.mongo")

LOOPBACK = "127.0.0.1"
# How long a TLS handshake or close_notify may take before the connection is dropped.
TLS_HANDSHAKE_TIMEOUT_S = 10.0
TLS_SHUTDOWN_TIMEOUT_S = 5.0
TTL_INTERVAL_ENV = "TWIN_MONGO_TTL_MONITOR_S"  # tests shorten mongod's 60 s


def _failure_reply(error: Exception) -> dict[str, Any]:
    """The reply for an exception raised by a handler."""
    if isinstance(error, CommandError):
        return error.reply()
    if isinstance(error, PyMongoError):
        code = getattr(error, "code", None) or BAD_VALUE
        return CommandError(code, str(error)).reply()
    if isinstance(error, NotImplementedError):
        return CommandError(COMMAND_NOT_SUPPORTED, f"not supported by the twin: {error}").reply()
    if isinstance(error, (ValueError, TypeError, KeyError)):
        code = FAILED_TO_PARSE if isinstance(error, KeyError) else BAD_VALUE
        return CommandError(code, f"{type(error).__name__}: {error}").reply()
    log.exception("unexpected error in a command")
    return CommandError(UNKNOWN_ERROR, f"internal error: {type(error).__name__}").reply()


def server_tls_context(cert_file: Path, key_file: Path) -> ssl.SSLContext:
    """A server-side context presenting ``cert_file`` and asking no client certificate
    (mongod's ``net.tls.mode: requireTLS`` without a ``CAFile``), TLS 1.2 at least."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_file, key_file)
    return context


class MongoStandin:
    """A MongoDB server on 127.0.0.1 backed by mongomock, durable when given a data dir.

    ``users`` maps user names to passwords in ``auth_db``; with no users, no login is
    needed. ``port=0`` picks a free port (see :attr:`port` after :meth:`start`). With
    ``tls`` (a server context, see :func:`server_tls_context`) the same server also
    listens on ``tls_port`` (0: any free port, see :attr:`tls_port`), where every
    connection is TLS; the plain port stays.
    """

    def __init__(
        self,
        port: int = 0,
        data_dir: Path | None = None,
        users: dict[str, str] | None = None,
        auth_db: str = "prisma",
        *,
        tls: ssl.SSLContext | None = None,
        tls_port: int = 0,
    ) -> None:
        self._requested_port = port
        self._tls = tls
        self._requested_tls_port = tls_port
        self._tls_server: asyncio.base_events.Server | None = None
        self._data_dir = data_dir
        self._credentials = Credentials(users or {}, auth_db)
        self._state: ServerState | None = None
        self._committer: GroupCommitter | None = None
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._reply_id = 0
        self._ttl_monitor: asyncio.Task | None = None
        self.ttl_interval_s = float(os.environ.get(TTL_INTERVAL_ENV, TTL_MONITOR_INTERVAL_S))

    @property
    def port(self) -> int:
        if self._state is None:
            raise RuntimeError("the stand-in is not started")
        return self._state.port

    @property
    def tls_port(self) -> int | None:
        """The TLS listener's port (None without ``tls`` or before :meth:`start`)."""
        if self._tls_server is None:
            return None
        return self._tls_server.sockets[0].getsockname()[1]

    async def start(self) -> int:
        """Load the data, listen (and on the TLS port when asked), and return the port."""
        store = Store(self._data_dir)
        self._server = await asyncio.start_server(
            self._serve_connection, LOOPBACK, self._requested_port
        )
        if self._tls is not None:
            self._tls_server = await asyncio.start_server(
                self._serve_connection,
                LOOPBACK,
                self._requested_tls_port,
                ssl=self._tls,
                ssl_handshake_timeout=TLS_HANDSHAKE_TIMEOUT_S,
                ssl_shutdown_timeout=TLS_SHUTDOWN_TIMEOUT_S,
            )
        port = self._server.sockets[0].getsockname()[1]
        self._state = ServerState(store, self._credentials, LOOPBACK, port)
        self._committer = GroupCommitter(store)
        self._committer.start()
        self._ttl_monitor = asyncio.create_task(self._expire_forever(), name="ttl-monitor")
        return port

    async def _expire_forever(self) -> None:
        """mongod's TTL monitor: a pass every ``ttl_interval_s`` (60 s), not on every read."""
        while True:
            await asyncio.sleep(self.ttl_interval_s)
            if self._state is None or self._committer is None:
                return
            try:
                if self._state.store.expire():
                    await self._committer.durable()
            except OSError as error:
                log.error("TTL monitor: journal write failed: %s", error)

    async def stop(self) -> None:
        """Stop listening, close every connection, and flush the data to disk."""
        if self._ttl_monitor is not None:
            self._ttl_monitor.cancel()
            await asyncio.gather(self._ttl_monitor, return_exceptions=True)
            self._ttl_monitor = None
        servers = [server for server in (self._server, self._tls_server) if server is not None]
        for server in servers:
            server.close()
        for writer in list(self._writers):
            writer.close()
        for server in servers:
            await server.wait_closed()
        self._server = self._tls_server = None
        if self._committer is not None:
            await self._committer.stop()
            self._committer = None
        if self._state is not None:
            self._state.store.close()

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        assert self._state is not None
        stats = self._state.stats
        stats.current += 1
        stats.total_created += 1
        host, peer_port = writer.get_extra_info("peername")[:2]
        peer = f"{host}:{peer_port}"
        session = Session(connection_id=stats.total_created, peer=peer)
        self._writers.add(writer)
        over = " over TLS" if writer.get_extra_info("sslcontext") is not None else ""
        log.info(
            "conn%d accepted from %s%s (%d open)", session.connection_id, peer, over, stats.current
        )
        try:
            while True:
                request = await read_request(reader)
                reply = self.execute(session, request)
                if request.more_to_come:
                    continue
                reply = await self._durable(session, reply)
                self._reply_id += 1
                writer.write(self._encode(request, reply))
                await writer.drain()
        except asyncio.IncompleteReadError:
            pass  # the client hung up
        except (ProtocolError, ConnectionError) as error:
            log.warning("conn%d error: %s", session.connection_id, error)
        finally:
            stats.current -= 1
            self._writers.discard(writer)
            writer.close()
            log.info("conn%d closed (%d open)", session.connection_id, stats.current)

    async def _durable(self, session: Session, reply: dict[str, Any]) -> dict[str, Any]:
        """``reply`` once the changes so far are on disk, or an error reply if that failed."""
        assert self._committer is not None
        try:
            await self._committer.durable()
        except OSError as error:
            log.error("conn%d journal write failed: %s", session.connection_id, error)
            return CommandError(UNKNOWN_ERROR, f"journal write failed: {error}").reply()
        return reply

    def _encode(self, request: Request, reply: dict[str, Any]) -> bytes:
        try:
            return encode_reply(request, self._reply_id, reply)
        except Exception as error:  # an unencodable value must not kill the connection
            log.exception("cannot encode a reply")
            return encode_reply(request, self._reply_id, _failure_reply(error))

    def execute(self, session: Session, request: Request) -> dict[str, Any]:
        """Run one command (its changes are queued for the journal); returns the reply."""
        assert self._state is not None
        command = request.command
        name = next(iter(command), "")
        spec = COMMANDS.get(name)
        if spec is None:
            self._state.stats.opcounters["command"] += 1
            return CommandError(COMMAND_NOT_FOUND, f"no such command: '{name}'").reply()
        if spec.counter:
            self._state.stats.opcounters[spec.counter] += 1
        if spec.needs_auth and self._credentials.enabled and session.user is None:
            return CommandError(UNAUTHORIZED, f"Command {name} requires authentication").reply()
        if command.get("autocommit") is False or "startTransaction" in command:
            # A standalone mongod refuses a transaction at its first command, before any write.
            return CommandError(ILLEGAL_OPERATION, TRANSACTIONS_REFUSED).reply()
        try:
            return spec.handler(Context(self._state, session, request.database), command)
        except Exception as error:
            return _failure_reply(error)
