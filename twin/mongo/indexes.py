"""What mongod does and mongomock does not: indexes used by queries, the TTL monitor, and
the ``$mod`` / ``$bits*`` query operators.

- **Indexes.** For a collection with an index whose first key is a top-level field, an
  equality (or ``$in``) on that field finds its candidates in a hash of the field's
  values instead of scanning every document. The hash is built on first use and then
  kept in step with every insert, replacement, in-place update and delete, as mongod
  keeps its indexes (rebuilding it after each update made every write cost a scan of
  the collection: a 10-minute soak of task cycles slowed the stand-in threefold).
  Candidates keep insertion order, so answers are the same as a scan's.
- **TTL.** mongomock expires documents on every read; mongod's TTL monitor deletes them
  in the background about every 60 s. :func:`expire_all` is that monitor's pass; reads
  no longer expire anything by themselves.
- **Operators.** ``$mod``, ``$bitsAllSet``, ``$bitsAllClear``, ``$bitsAnySet`` and
  ``$bitsAnyClear`` are added to mongomock's filter.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable, Mapping
from typing import Any

from bson import ObjectId
from mongomock import OperationFailure, filtering
from mongomock.store import CollectionStore

_MISSING = object()
TTL_MONITOR_INTERVAL_S = 60.0

# ------------------------------------------------------------------ store versions

_original_set = CollectionStore.__setitem__
_original_del = CollectionStore.__delitem__
_original_drop = CollectionStore.drop
_original_expire = CollectionStore._remove_expired_documents


def _bump(store: CollectionStore) -> None:
    """A change the indexes cannot follow (a dropped collection): rebuild them on next use."""
    store.__dict__["_twin_version"] = store.__dict__.get("_twin_version", 0) + 1


def _current_indexes(store: CollectionStore) -> list[_Index]:
    now = version(store)
    return [i for i in store.__dict__.get("_twin_indexes", {}).values() if i.version == now]


def _set(self: CollectionStore, key: Any, value: Any) -> None:
    old = self._documents.get(key)
    _original_set(self, key, value)
    for index in _current_indexes(self):
        if old is None:
            index.add(value)
        elif old is not value:
            index.replace(old, value)
        else:
            index.refresh(value)


def refreshed(store: CollectionStore, documents: Iterable[dict]) -> None:
    """These documents of ``store`` were changed in place (mongomock's updates)."""
    indexes = _current_indexes(store)
    for document in documents:
        for index in indexes:
            index.refresh(document)


def _delete(self: CollectionStore, key: Any) -> None:
    old = self._documents.get(key)
    _original_del(self, key)
    if old is not None:
        for index in _current_indexes(self):
            index.remove(old)


def _drop(self: CollectionStore) -> None:
    _bump(self)
    _original_drop(self)


def _no_expiry_on_read(self: CollectionStore) -> None:
    """mongod expires documents only in its TTL monitor's passes (:func:`expire_all`)."""


def install() -> None:
    """Patch mongomock's store and filter (idempotent; the stand-in's process only)."""
    # Patching mongomock's class is the point here: mypy forbids assigning to a method.
    CollectionStore.__setitem__ = _set  # type: ignore[method-assign]
    CollectionStore.__delitem__ = _delete  # type: ignore[method-assign]
    CollectionStore.drop = _drop  # type: ignore[method-assign]
    CollectionStore._remove_expired_documents = _no_expiry_on_read  # type: ignore[method-assign]
    operators = filtering._filterer_inst._operator_map
    operators["$mod"] = _mod_any
    operators["$bitsAllSet"] = _bits(lambda value, mask: value & mask == mask)
    operators["$bitsAllClear"] = _bits(lambda value, mask: value & mask == 0)
    operators["$bitsAnySet"] = _bits(lambda value, mask: value & mask != 0)
    operators["$bitsAnyClear"] = _bits(lambda value, mask: value & mask != mask)
    for name in ("$bitsAllSet", "$bitsAllClear", "$bitsAnySet", "$bitsAnyClear"):
        filtering._NOT_IMPLEMENTED_OPERATORS.discard(name)


def version(store: CollectionStore) -> int:
    return store.__dict__.get("_twin_version", 0)


# ------------------------------------------------------------------ TTL monitor


def expire(store: CollectionStore) -> list[Any]:
    """One TTL pass over a collection: delete expired documents, return their ``_id``s."""
    before = {doc["_id"] for doc in dict.values(store._documents)}
    _original_expire(store)
    after = {doc["_id"] for doc in dict.values(store._documents)}
    return [document_id for document_id in before if document_id not in after]


# ------------------------------------------------------------------ operators


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _mod(value: Any, search: Any) -> bool:
    if not isinstance(search, list) or len(search) != 2 or not all(map(_number, search)):
        raise OperationFailure("malformed mod, needs to be an array of two numbers")
    divisor, remainder = (int(part) for part in search)
    if divisor == 0:
        raise OperationFailure("divisor cannot be 0")
    if not _number(value) or (isinstance(value, float) and not math.isfinite(value)):
        return False
    return math.fmod(int(value), divisor) == remainder


def _mod_any(value: Any, search: Any) -> bool:
    """``$mod`` on a value, or on any element of an array."""
    if isinstance(value, (list, tuple)):
        return any(_mod(item, search) for item in value)
    return _mod(value, search)


def _mask(search: Any) -> int:
    if isinstance(search, bytes):
        return int.from_bytes(search, "little")
    if isinstance(search, list):
        if not all(isinstance(bit, int) and bit >= 0 for bit in search):
            raise OperationFailure("bit positions must be non-negative integers")
        return sum(1 << bit for bit in set(search))
    if _number(search) and search >= 0 and float(search).is_integer():
        return int(search)
    raise OperationFailure(f"value takes an Array, a number, or a BinData but received: {search}")


def _bits(test: Any) -> Any:
    def apply(value: Any, search: Any) -> bool:
        mask = _mask(search)
        if isinstance(value, bytes):
            return test(int.from_bytes(value, "little"), mask)
        if _number(value) and float(value).is_integer():
            return test(int(value), mask)
        return False

    return apply


# ------------------------------------------------------------------ indexes


def _key(value: Any) -> tuple | None:
    """A hashable key whose equality is MongoDB's, for plain values; None otherwise."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        if isinstance(value, float) and math.isnan(value):
            return None
        return ("number", value)
    if isinstance(value, str):
        return ("string", value)
    if isinstance(value, ObjectId):
        return ("objectId", value)
    if isinstance(value, datetime.datetime):
        return ("date", value.replace(tzinfo=None) if value.tzinfo is None else value)
    return None


_UNSURE = object()  # the slot of documents only the full match decides (arrays, ...)


class _Index:
    """A field's values -> documents (in insertion order), plus documents needing a check.

    Kept in step with the collection: ``add`` (insert), ``replace`` (a new document
    object under the same ``_id``), ``refresh`` (changed in place), ``remove``. A
    document that moves to another value's bucket may land out of insertion order; that
    bucket is sorted again on its next lookup.
    """

    def __init__(self, store: CollectionStore, field: str) -> None:
        self.version = version(store)
        self.field = field
        self.buckets: dict[Any, dict[int, dict]] = {}  # slot -> {id(doc): doc}
        self.slot_of: dict[int, Any] = {}  # id(doc) -> its slot (absent: not indexed)
        self.position: dict[int, int] = {}
        self.tail: dict[Any, int] = {}  # slot -> the highest position in its bucket
        self.unordered: set[Any] = set()
        self.next_position = 0
        for document in dict.values(store._documents):
            self.add(document)

    def _slot(self, document: dict) -> Any:
        value = document.get(self.field, _MISSING)
        if value is _MISSING or value is None:
            return None  # never equal to a plain value
        key = _key(value)
        return _UNSURE if key is None else key

    def _place(self, document: dict, slot: Any) -> None:
        if slot is None:
            return
        ident = id(document)
        position = self.position[ident]
        self.slot_of[ident] = slot
        self.buckets.setdefault(slot, {})[ident] = document
        if position < self.tail.get(slot, -1):
            self.unordered.add(slot)
        else:
            self.tail[slot] = position

    def _unplace(self, document: dict) -> None:
        slot = self.slot_of.pop(id(document), None)
        if slot is None:
            return
        bucket = self.buckets[slot]
        del bucket[id(document)]
        if not bucket:
            del self.buckets[slot]
            self.tail.pop(slot, None)
            self.unordered.discard(slot)

    def add(self, document: dict, position: int | None = None) -> None:
        if position is None:
            position = self.next_position
            self.next_position += 1
        self.position[id(document)] = position
        self._place(document, self._slot(document))

    def replace(self, old: dict, new: dict) -> None:
        position = self.position.pop(id(old), None)
        self._unplace(old)
        self.add(new, position)

    def refresh(self, document: dict) -> None:
        ident = id(document)
        if ident not in self.position:
            return
        slot = self._slot(document)
        if slot is not None and slot is not _UNSURE and self.slot_of.get(ident) == slot:
            return
        self._unplace(document)
        self._place(document, slot)

    def remove(self, document: dict) -> None:
        self._unplace(document)
        self.position.pop(id(document), None)

    def _bucket(self, slot: Any) -> list[dict]:
        bucket = self.buckets.get(slot)
        if not bucket:
            return []
        if slot in self.unordered:
            ordered = sorted(bucket.items(), key=lambda item: self.position[item[0]])
            bucket = self.buckets[slot] = dict(ordered)
            self.unordered.discard(slot)
        return list(bucket.values())

    @property
    def unsure(self) -> list[dict]:
        return self._bucket(_UNSURE)

    def lookup(self, keys: list[tuple]) -> list[dict]:
        found = [doc for key in dict.fromkeys(keys) for doc in self._bucket(key)]
        unsure = self.unsure
        if unsure or len(keys) > 1:
            found = found + unsure
            found.sort(key=lambda doc: self.position[id(doc)])
        return found


def _indexed_fields(store: CollectionStore) -> set[str]:
    fields = {"_id"}
    for spec in store.indexes.values():
        if spec.get("partialFilterExpression") is not None or spec.get("sparse"):
            continue
        first = spec["key"][0][0]
        if "." not in first and not isinstance(spec["key"][0][1], str):
            fields.add(first)
    return fields


def _wanted(condition: Any) -> list[tuple] | None:
    if isinstance(condition, Mapping):
        if list(condition) == ["$eq"]:
            condition = condition["$eq"]
        elif list(condition) == ["$in"] and isinstance(condition["$in"], list):
            keys = [_key(value) for value in condition["$in"]]
            known = [key for key in keys if key is not None]
            return known if len(known) == len(keys) else None
        else:
            return None
    key = _key(condition)
    return None if key is None else [key]


def indexed_candidates(store: CollectionStore, spec: Any) -> Iterable[dict] | None:
    """Candidates for ``spec`` from an index, or None when no index applies."""
    if not isinstance(spec, Mapping) or not spec:
        return None
    fields = _indexed_fields(store)
    for field, condition in spec.items():
        if field.startswith("$") or field not in fields or field == "_id":
            continue
        keys = _wanted(condition)
        if keys is None:
            continue
        cache = store.__dict__.setdefault("_twin_indexes", {})
        index = cache.get(field)
        if index is None or index.version != version(store):
            index = cache[field] = _Index(store, field)
        return index.lookup(keys)
    return None


def exact_count(store: CollectionStore, spec: Any) -> int | None:
    """The number of matches of a one-field equality on an indexed field, without matching."""
    if not isinstance(spec, Mapping) or len(spec) != 1:
        return None
    ((field, condition),) = spec.items()
    if field.startswith("$") or field == "_id" or field not in _indexed_fields(store):
        return None
    keys = _wanted(condition)
    if keys is None:
        return None
    indexed_candidates(store, spec)  # builds or refreshes the index
    index = store.__dict__["_twin_indexes"][field]
    if index.unsure:
        return None
    return sum(len(index.buckets.get(key, ())) for key in dict.fromkeys(keys))
