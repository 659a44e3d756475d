"""What a command handler sees: the server's state, the connection's session, the database;
and the registry that maps command names to handlers."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from twin.mongo.cursors import CursorRegistry
from twin.mongo.errors import INVALID_NAMESPACE, CommandError
from twin.mongo.scram import Credentials, ScramConversation
from twin.mongo.store import Store

OPCOUNTERS = ("insert", "query", "update", "delete", "getmore", "command")
MAX_CONNECTIONS = 1_000_000


@dataclass
class Stats:
    """Figures for serverStatus."""

    started: float = field(default_factory=time.monotonic)
    current: int = 0
    total_created: int = 0
    opcounters: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OPCOUNTERS, 0))


@dataclass
class ServerState:
    """Shared by every connection of one stand-in."""

    store: Store
    credentials: Credentials
    host: str
    port: int
    cursors: CursorRegistry = field(default_factory=CursorRegistry)
    stats: Stats = field(default_factory=Stats)


@dataclass
class Session:
    """One client connection."""

    connection_id: int
    peer: str
    user: str | None = None
    mechanism: str | None = None
    conversations: dict[int, ScramConversation] = field(default_factory=dict)
    next_conversation: int = 1


@dataclass
class Context:
    """The arguments of every command handler."""

    server: ServerState
    session: Session
    db: str

    @property
    def store(self) -> Store:
        return self.server.store


Handler = Callable[[Context, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class CommandSpec:
    """A registered command: its handler, opcounter and whether it needs a login."""

    handler: Handler
    counter: str = "command"
    needs_auth: bool = True


COMMANDS: dict[str, CommandSpec] = {}


def command(*names: str, counter: str = "command", needs_auth: bool = True) -> Callable:
    """Register the decorated function as the handler of ``names``."""

    def register(handler: Handler) -> Handler:
        for name in names:
            COMMANDS[name] = CommandSpec(handler, counter, needs_auth)
        return handler

    return register


def collection_name(cmd: dict[str, Any], name: str) -> str:
    """The collection a command targets (its first value), checked to be a string."""
    value = cmd[name]
    if not isinstance(value, str) or not value:
        raise CommandError(INVALID_NAMESPACE, f"{name}: collection name must be a string")
    return value
