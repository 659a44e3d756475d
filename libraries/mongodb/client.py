"""A plain MongoDB client of the Focus database (pymongo; no Robot Framework imports).

- every operation has a timeout (server selection, connect, socket);
- TLS, when on, is verified against a CA bundle; it is never turned off;
- every document inserted through :meth:`MongoConnection.insert` is remembered and
  removed again by :meth:`MongoConnection.delete_created` (and by :meth:`close`).

The password is a plain ``str`` here; it is never logged nor put in an error message.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pymongo import MongoClient
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import ConnectionFailure, OperationFailure, WriteError

from libraries.common.effects import cleans_up

IndexKeys = tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class IndexInfo:
    """One index as the server lists it."""

    name: str
    keys: IndexKeys
    unique: bool


def direction(value: Any) -> Any:
    """An index direction as an ``int`` (servers may list ``1.0``); ``"text"`` etc. as is."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == int(value):
        return int(value)
    return value


def timeouts(timeout_s: float) -> dict[str, int]:
    """pymongo's server selection, connect and socket timeouts for ``timeout_s``."""
    timeout_ms = max(1, int(timeout_s * 1000))
    return {
        "serverSelectionTimeoutMS": timeout_ms,
        "connectTimeoutMS": timeout_ms,
        "socketTimeoutMS": timeout_ms * 2,
    }


class MongoConnection:
    """One authenticated connection to one database.

    Build it with :meth:`open` (host and credentials) or :meth:`open_uri`.
    """

    def __init__(self, options: dict[str, Any], database: str) -> None:
        self._options = options
        self.client: MongoClient[dict[str, Any]] = MongoClient(**options)
        self.database_name = database or self.client.get_default_database().name
        self.created: list[tuple[str, Any]] = []

    @classmethod
    def open(
        cls,
        host: str,
        port: int,
        user: str,
        password: str,
        database: str = "prisma",
        auth_source: str = "prisma",
        tls: bool = False,
        ca_bundle: str | None = None,
        timeout_s: float = 5.0,
    ) -> MongoConnection:
        """Connect with explicit settings (no network traffic until the first operation)."""
        options: dict[str, Any] = {
            "host": host,
            "port": port,
            "username": user or None,
            "password": password or None,
            "authSource": auth_source,
            "tls": tls,
            "tz_aware": True,
            **timeouts(timeout_s),
        }
        if tls and ca_bundle:
            options["tlsCAFile"] = ca_bundle
        return cls(options, database)

    @classmethod
    def open_uri(
        cls, uri: str, database: str = "", ca_bundle: str | None = None, timeout_s: float = 5.0
    ) -> MongoConnection:
        """Connect with a ``mongodb://`` URI; ``database`` defaults to the URI's."""
        options: dict[str, Any] = {"host": uri, "tz_aware": True, **timeouts(timeout_s)}
        if ca_bundle:
            options["tlsCAFile"] = ca_bundle
        return cls(options, database)

    def probe(self, timeout_s: float) -> None:
        """Ping with a fresh short-lived client; raises ``ConnectionFailure`` when down."""
        client: MongoClient[dict[str, Any]] = MongoClient(
            **{**self._options, **timeouts(timeout_s)}
        )
        try:
            client[self.database_name].command("ping")
        finally:
            client.close()

    @property
    def db(self) -> Database[dict[str, Any]]:
        return self.client[self.database_name]

    def collection(self, name: str) -> Collection[dict[str, Any]]:
        return self.db[name]

    # -- server -------------------------------------------------------------------------
    def ping(self) -> None:
        """Raise ``ConnectionFailure`` (or ``OperationFailure`` for bad credentials)."""
        self.db.command("ping")

    def server_status(self) -> dict[str, Any]:
        return self.db.command("serverStatus")

    # -- collections, indexes, validators ----------------------------------------------
    def collection_names(self) -> list[str]:
        return sorted(self.db.list_collection_names())

    def indexes(self, collection: str) -> list[IndexInfo]:
        return [
            IndexInfo(
                name=index["name"],
                keys=tuple((key, direction(value)) for key, value in index["key"].items()),
                unique=bool(index.get("unique", False)),
            )
            for index in self.collection(collection).list_indexes()
        ]

    def validator(self, collection: str) -> dict[str, Any]:
        """The collection's validator (``{}`` when it has none)."""
        for info in self.db.list_collections(filter={"name": collection}):
            return dict(info.get("options", {}).get("validator", {}))
        raise LookupError(f"collection '{collection}' does not exist in '{self.database_name}'")

    # -- documents ----------------------------------------------------------------------
    def insert(self, collection: str, document: Mapping[str, Any]) -> Any:
        """Insert one document and remember it for :meth:`delete_created`."""
        result = self.collection(collection).insert_one(dict(document))
        self.created.append((collection, result.inserted_id))
        return result.inserted_id

    def validator_rejection(self, collection: str, document: Mapping[str, Any]) -> str | None:
        """Try an insert; the server's reason when the validator rejects it, else ``None``.

        A document the server accepts is remembered for clean-up like :meth:`insert`.
        """
        try:
            self.insert(collection, document)
        except WriteError as error:
            if error.code == 121:
                return str(error.details.get("errmsg", error)) if error.details else str(error)
            raise
        return None

    @cleans_up("deletes only the documents this connection inserted")
    def delete_created(self) -> int:
        """Delete every document this connection inserted; returns how many were found."""
        removed = 0
        while self.created:
            collection, document_id = self.created.pop()
            removed += self.collection(collection).delete_one({"_id": document_id}).deleted_count
        return removed

    def delete_matching(self, collection: str, query: Mapping[str, Any]) -> int:
        """Delete the documents a test caused elsewhere (e.g. alerts stored by the consumer).

        An empty filter is refused: clean-up must never wipe a collection.
        """
        if not query:
            raise ValueError("refusing to delete with an empty filter")
        return self.collection(collection).delete_many(dict(query)).deleted_count

    def count(self, collection: str, query: Mapping[str, Any] | None = None) -> int:
        return self.collection(collection).count_documents(dict(query or {}))

    def find(
        self,
        collection: str,
        query: Mapping[str, Any] | None = None,
        projection: list[str] | None = None,
        limit: int = 0,
    ) -> Iterator[dict[str, Any]]:
        return iter(self.collection(collection).find(dict(query or {}), projection, limit=limit))

    def violations(
        self,
        collection: str,
        query: Mapping[str, Any],
        condition: Mapping[str, Any],
        limit: int = 10,
    ) -> tuple[int, list[dict[str, Any]]]:
        """Documents matching ``query`` but not ``condition``: their count and the first few."""
        offending = {"$and": [dict(query), {"$nor": [dict(condition)]}]}
        return self.count(collection, offending), list(
            self.find(collection, offending, limit=limit)
        )

    def close(self) -> None:
        """Remove the documents this connection created, then close it."""
        try:
            self.delete_created()
        except (ConnectionFailure, OperationFailure):
            self.created.clear()
            raise
        finally:
            self.client.close()
