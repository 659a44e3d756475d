"""One connection registry for every library: aliases, the current one, switch, close all.

The semantics are those of ``robot.utils.ConnectionCache`` (which SSHLibrary and
RequestsLibrary use): registering makes a connection current, switching returns the
previous one, closing all empties the registry. The differences: aliases are names
only (no numeric indexes), registering an alias that is open closes the old
connection first, and a missing connection fails with one line that names the
keyword to call. Robot-free, generic in the connection type.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import field
from typing import Generic, TypeVar

from libraries.common.suite_files import run_alone_message

C = TypeVar("C")


def _close(connection: object) -> None:
    connection.close()  # type: ignore[attr-defined]


class ConnectionRegistry(Generic[C]):
    """Connections of one library by alias, and the current one.

    connections = ConnectionRegistry[FocusClient]("Focus", "call 'Connect To Focus Server'")
    connections.register(client, alias="staging")
    connections.current.request("GET", "/channels")
    """

    def __init__(
        self,
        kind: str,
        connect_hint: str,
        close: Callable[[C], None] = _close,
        error: type[Exception] = RuntimeError,
    ) -> None:
        self.kind = kind
        self.connect_hint = connect_hint
        self._close = close
        self._error = error
        self._connections: dict[str, C] = {}
        self.current_alias: str | None = None

    def register(self, connection: C, alias: str) -> str:
        """Add ``connection`` under ``alias`` (closing one already open there); it becomes
        current. Returns the alias."""
        old = self._connections.pop(alias, None)
        if old is not None:
            self._close(old)
        self._connections[alias] = connection
        self.current_alias = alias
        return alias

    @property
    def current(self) -> C:
        """The current connection; without one, fails with one line naming the keyword."""
        if self.current_alias is None:
            alone = run_alone_message()
            if alone is not None:
                raise self._error(f"No {self.kind} connection: {alone}")
            raise self._error(f"No {self.kind} connection: {self.connect_hint} first")
        return self._connections[self.current_alias]

    def get(self, alias: str | None = None) -> C:
        """The connection ``alias`` (default: the current one)."""
        if alias is None:
            return self.current
        self._check(alias)
        return self._connections[alias]

    def switch(self, alias: str) -> str:
        """Make ``alias`` current; returns the previous alias (``""`` when none)."""
        self._check(alias)
        previous, self.current_alias = self.current_alias, alias
        return previous or ""

    def close(self, alias: str | None = None) -> None:
        """Close ``alias`` (default: the current one). When it was current, the most
        recently opened remaining connection becomes current."""
        alias = alias if alias is not None else self.current_alias
        if alias is None:
            return
        self._check(alias)
        connection = self._connections.pop(alias)
        if self.current_alias == alias:
            self.current_alias = next(reversed(self._connections), None)
        self._close(connection)

    def close_all(self, raise_errors: bool = True) -> list[str]:
        """Close every connection, even when some fail to close; the registry is empty
        afterwards. A failure to close is raised after all were tried (``raise_errors``)
        or returned as ``"alias: error"`` lines (empty: all closed)."""
        failures = []
        while self._connections:
            alias, connection = self._connections.popitem()
            try:
                self._close(connection)
            except Exception as error:  # one bad connection must not leak the others
                failures.append(f"{alias}: {type(error).__name__}: {error}")
        self.current_alias = None
        if failures and raise_errors:
            raise self._error(
                f"Closed every {self.kind} connection, but closing failed on: "
                + "; ".join(failures)
            )
        return failures

    def items(self) -> Iterator[tuple[str, C]]:
        return iter(list(self._connections.items()))

    @property
    def aliases(self) -> list[str]:
        return list(self._connections)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._connections))

    def __contains__(self, alias: object) -> bool:
        return alias in self._connections

    def __len__(self) -> int:
        return len(self._connections)

    def __bool__(self) -> bool:
        return bool(self._connections)

    def _check(self, alias: str) -> None:
        if alias not in self._connections:
            raise self._error(
                f"No {self.kind} connection '{alias}'; open: {sorted(self._connections) or 'none'}"
            )


def registry_field(
    kind: str,
    connect_hint: str,
    close: Callable[[C], None] = _close,
    error: type[Exception] = RuntimeError,
) -> ConnectionRegistry[C]:
    """A dataclass field holding a new, empty registry per instance:

    connections: ConnectionRegistry[KubeClient] = registry_field("Kubernetes", "call ...")
    """
    return field(default_factory=lambda: ConnectionRegistry(kind, connect_hint, close, error))


class ConnectionComponent(Generic[C]):
    """Base of a library's keyword component (a DynamicCore component): its connections."""

    def __init__(self, connections: ConnectionRegistry[C]) -> None:
        self.connections = connections
