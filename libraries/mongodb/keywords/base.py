"""Shared state and helpers of the MongoDB keyword components."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bson import json_util
from robot.api import logger

from libraries.common.connections import ConnectionRegistry, registry_field
from libraries.mongodb.client import MongoConnection

LOG_LIMIT = 2048


@dataclass
class MongoState:
    """Connections by alias and the current one."""

    connections: ConnectionRegistry[MongoConnection] = registry_field(
        "MongoDB",
        "call 'Connect To MongoDB' (or the resource's 'Connect To Focus Database')",
        error=AssertionError,
    )
    # alias -> the directory the recordings' relative file_path values are under
    segy_roots: dict[str, str] = field(default_factory=dict)

    def segy_root(self, explicit: str | None = None) -> str | None:
        """``explicit``, else the current connection's SEG-Y root (None: none known)."""
        if explicit:
            return explicit
        return self.segy_roots.get(self.connections.current_alias or "")

    def delete_created(self) -> int:
        """Remove every document the connections inserted; returns how many."""
        return sum(connection.delete_created() for _, connection in self.connections.items())


class LibraryComponent:
    """Base of a keyword component: access to the shared state."""

    def __init__(self, state: MongoState) -> None:
        self.state = state

    @property
    def connection(self) -> MongoConnection:
        return self.state.connections.current


def query(value: Mapping[str, Any] | str | None) -> dict[str, Any]:
    """A filter from a dict, or from (extended) JSON text such as ``{"deleted": false}``."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        return dict(json_util.loads(value))
    return dict(value)


def truncate(value: Any, limit: int = LOG_LIMIT) -> str:
    text = value if isinstance(value, str) else json_util.dumps(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def log_offenders(what: str, count: int, sample: list[Any]) -> str:
    """Log (and return) a one-line summary of offending documents, with a few examples."""
    message = f"{count} {what}" + (f", e.g. {truncate(sample, 600)}" if sample else "")
    logger.info(message)
    return message


def require_documents(checked: int, min_documents: int, what: str) -> None:
    """Fail when an "every X" check saw fewer than ``min_documents`` documents: a check over
    an empty set passes whatever the rule, so it proves nothing unless asked for."""
    if checked < min_documents:
        raise AssertionError(
            f"Checked {checked} {what}, fewer than min_documents={min_documents}: a check "
            "over an empty set proves nothing. Make sure the data exists first, or pass "
            "min_documents=0 when an empty set is what you expect"
        )
