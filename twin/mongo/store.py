"""The data: mongomock as storage and query engine, plus what mongomock does not keep
(collection options such as validators), made durable through the journal."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mongomock
from mongomock import helpers
from mongomock.collection import Collection
from mongomock.store import CollectionStore

from twin.mongo import indexes
from twin.mongo.errors import NAMESPACE_EXISTS, CommandError
from twin.mongo.journal import Journal
from twin.mongo.query import FastCollection

indexes.install()

COMPACT_AT_BYTES = 64 * 1024 * 1024


def _store_key(document_id: Any) -> Any:
    """How mongomock keys a document by ``_id`` (dicts are made hashable)."""
    return helpers.hashdict(document_id) if isinstance(document_id, dict) else document_id


class Store:
    """All databases of the stand-in; every change is journalled before it is acknowledged."""

    def __init__(self, data_dir: Path | None = None) -> None:
        # mongomock's stub names pymongo's MongoClient; the stand-in works on mongomock's own
        # client and its internals (_store, _collection_accesses), which no stub declares.
        self.client: Any = mongomock.MongoClient()
        self._options: dict[tuple[str, str], dict[str, Any]] = {}
        self._journal = Journal(data_dir) if data_dir is not None else None
        if self._journal is not None:
            for record in self._journal.load():
                self._apply(record)
            self._journal.rewrite(self._state_records())

    # -- reading ----------------------------------------------------------------------
    @property
    def durable(self) -> bool:
        """Whether changes go to disk (a data directory was given)."""
        return self._journal is not None

    def collection(self, db: str, name: str) -> Collection:
        """The collection as a :class:`FastCollection` (registered with mongomock's database)."""
        database = self.client[db]
        cached = database._collection_accesses.get(name)
        if isinstance(cached, FastCollection):
            return cached
        database._ensure_valid_collection_name(name)
        collection = FastCollection(database, name, _db_store=database._store)
        database._collection_accesses[name] = collection
        return collection

    def raw(self, db: str, name: str) -> CollectionStore:
        """mongomock's own storage of a collection (documents keyed by ``_id``)."""
        return self.client._store[db][name]

    def exists(self, db: str, name: str) -> bool:
        return name in self.client._store[db]

    def database_names(self) -> list[str]:
        return sorted(self.client._store.list_created_database_names())

    def collection_names(self, db: str) -> list[str]:
        return sorted(self.client._store[db].list_created_collection_names())

    def options(self, db: str, name: str) -> dict[str, Any]:
        return self._options.get((db, name), {})

    def get_document(self, db: str, name: str, document_id: Any) -> dict[str, Any] | None:
        """The stored document (not a copy: do not mutate it)."""
        raw = self.raw(db, name)
        key = _store_key(document_id)
        return raw[key] if key in raw else None  # noqa: SIM401 (CollectionStore has no get)

    # -- changing ---------------------------------------------------------------------
    def create_collection(self, db: str, name: str, options: dict[str, Any]) -> None:
        if self.exists(db, name):
            raise CommandError(NAMESPACE_EXISTS, f"Collection {db}.{name} already exists.")
        self._apply_and_log({"o": "create", "d": db, "c": name, "opts": options})

    def set_options(self, db: str, name: str, options: dict[str, Any]) -> None:
        self._apply_and_log({"o": "opts", "d": db, "c": name, "opts": options})

    def drop_collection(self, db: str, name: str) -> None:
        self._apply_and_log({"o": "drop", "d": db, "c": name})

    def rename_collection(self, db: str, name: str, to_db: str, to_name: str) -> None:
        """Move a collection (documents, options, indexes); an existing target is dropped."""
        records = list(self._collection_records(db, name))
        if self.exists(to_db, to_name):
            self.drop_collection(to_db, to_name)
        for record in records:
            self._apply_and_log({**record, "d": to_db, "c": to_name})
        self.drop_collection(db, name)

    def expire(self) -> int:
        """One pass of mongod's TTL monitor: delete expired documents (journalled)."""
        removed = 0
        for db in self.database_names():
            for name in self.collection_names(db):
                raw = self.raw(db, name)
                if raw._ttl_indexes:
                    expired = indexes.expire(raw)
                    self.record_documents(db, name, expired)
                    removed += len(expired)
        return removed

    def drop_database(self, db: str) -> None:
        self._apply_and_log({"o": "dropdb", "d": db})

    def create_index(
        self, db: str, collection: str, keys: list[tuple[str, Any]], **opts: Any
    ) -> str:
        """Create an index through mongomock (which checks uniqueness) and journal it."""
        self._ensure_created(db, collection)
        index_name = self.collection(db, collection).create_index(keys, **opts)
        spec = self.raw(db, collection).indexes[index_name]
        self._log({"o": "index", "d": db, "c": collection, "name": index_name, "spec": spec})
        return index_name

    def drop_index(self, db: str, name: str, index_name: str) -> None:
        """Drop one index by name, or every index but ``_id_`` with ``"*"``."""
        self._apply_and_log({"o": "unindex", "d": db, "c": name, "name": index_name})

    def put_document(self, db: str, name: str, document_id: Any, document: Any) -> None:
        """Store ``document`` under ``document_id`` as is, or delete it when None (no checks)."""
        raw = self.raw(db, name)
        key = _store_key(document_id)
        if document is not None:
            raw[key] = document
        elif key in raw:
            del raw[key]

    def record_documents(self, db: str, name: str, document_ids: list[Any]) -> None:
        """Journal the current state (present or deleted) of these documents."""
        if not document_ids:
            return
        raw = self.raw(db, name)
        self._ensure_created(db, name)
        for document_id in document_ids:
            key = _store_key(document_id)
            if key in raw:
                self._log({"o": "put", "d": db, "c": name, "doc": raw[key]})
            else:
                self._log({"o": "del", "d": db, "c": name, "id": document_id})

    def record_collection(self, db: str, name: str) -> None:
        """Journal a collection in full (after a bulk change such as ``$out``)."""
        self._log({"o": "drop", "d": db, "c": name})
        for record in self._collection_records(db, name):
            self._log(record)

    @property
    def pending(self) -> bool:
        """Whether changes are waiting to be made durable."""
        return self._journal is not None and self._journal.pending

    def take_pending(self) -> bytes:
        """The journal records of the changes so far, to pass to :meth:`write_durably`."""
        return self._journal.take() if self._journal is not None else b""

    def write_durably(self, data: bytes) -> None:
        """Append records to the journal and fsync them (thread-safe against the loop)."""
        if self._journal is not None:
            self._journal.write(data)

    def compact_if_large(self) -> None:
        """Fold the journal into a new snapshot once it has grown large."""
        if self._journal is not None and self._journal.size > COMPACT_AT_BYTES:
            self._journal.rewrite(self._state_records())

    def close(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None

    # -- journal plumbing -------------------------------------------------------------
    def _ensure_created(self, db: str, name: str) -> None:
        """A collection stays once written to, even when emptied: create it durably once."""
        raw = self.raw(db, name)
        if not raw._is_force_created:
            raw.create()
            self._log({"o": "create", "d": db, "c": name, "opts": self.options(db, name)})

    def _log(self, record: dict[str, Any]) -> None:
        if self._journal is not None:
            self._journal.append(record)

    def _apply_and_log(self, record: dict[str, Any]) -> None:
        self._apply(record)
        self._log(record)

    def _apply(self, record: dict[str, Any]) -> None:
        """Apply one journal record to the in-memory state (idempotent)."""
        op, db, name = record["o"], record["d"], record.get("c", "")
        if op == "put":
            self.raw(db, name)[_store_key(record["doc"]["_id"])] = record["doc"]
        elif op == "del":
            raw = self.raw(db, name)
            key = _store_key(record["id"])
            if key in raw:
                del raw[key]
        elif op in ("create", "opts"):
            self.raw(db, name).create()
            self._options[(db, name)] = copy.deepcopy(record["opts"])
        elif op == "drop":
            self.raw(db, name).drop()
            self._options.pop((db, name), None)
        elif op == "dropdb":
            for collection in list(self.client._store[db].list_created_collection_names()):
                self.raw(db, collection).drop()
            self._options = {key: value for key, value in self._options.items() if key[0] != db}
        elif op == "index":
            spec = dict(record["spec"], key=[tuple(pair) for pair in record["spec"]["key"]])
            self.raw(db, name).create_index(record["name"], spec)
        elif op == "unindex":
            raw = self.raw(db, name)
            if record["name"] == "*":
                raw.indexes = {}
                raw._ttl_indexes = {}
            elif record["name"] in raw.indexes:
                raw.drop_index(record["name"])
        else:
            raise ValueError(f"unknown journal record {op!r}")

    def _collection_records(self, db: str, name: str) -> Iterator[dict[str, Any]]:
        raw = self.raw(db, name)
        yield {"o": "create", "d": db, "c": name, "opts": self.options(db, name)}
        for index_name, spec in raw.indexes.items():
            yield {"o": "index", "d": db, "c": name, "name": index_name, "spec": spec}
        for document in raw.documents:
            yield {"o": "put", "d": db, "c": name, "doc": document}

    def _state_records(self) -> Iterator[dict[str, Any]]:
        for db in self.database_names():
            for name in self.collection_names(db):
                yield from self._collection_records(db, name)
