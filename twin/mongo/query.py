"""Faster queries over mongomock, with mongomock's own semantics.

mongomock matches every document with ``filter_applies`` (a few microseconds each), copies
every match before skip/limit, and sorts through ``bson_compare``; a unique index turns
each insert into such a scan. Two shortcuts keep the answers identical:

- :class:`FastCollection` narrows the scan to candidates before ``filter_applies`` decides:
  a direct lookup for ``_id`` equality (or ``$in``), and a cheap Python pre-check of
  top-level equality/``$in`` on plain values that can only drop non-matching documents;
- an equality (or ``$in``) on an indexed field takes its candidates from the index
  (:mod:`twin.mongo.indexes`);
- :func:`find_documents` sorts with a native key when a sort field holds one plain type,
  and copies (projects) only the documents in the skip/limit window.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from bson import ObjectId
from mongomock import helpers
from mongomock.collection import Collection
from mongomock.filtering import filter_applies, resolve_sort_key
from mongomock.store import CollectionStore

from twin.mongo.indexes import indexed_candidates, refreshed

_PLAIN = (str, int, float, ObjectId)  # bool and Int64 are ints
_SORTABLE_KINDS = {"number", str, bool, ObjectId, datetime.datetime}
_MISSING = object()


def _is_plain(value: Any) -> bool:
    """A value whose Python equality agrees with MongoDB's (so it may be pre-checked)."""
    return isinstance(value, _PLAIN) and not (isinstance(value, float) and math.isnan(value))


def _plain_in(condition: Any) -> list[Any] | None:
    """The list of an ``{"$in": [plain, ...]}`` condition, else None."""
    if isinstance(condition, Mapping) and list(condition) == ["$in"]:
        values = condition["$in"]
        if isinstance(values, list) and all(_is_plain(v) for v in values):
            return values
    return None


def _id_candidates(store: CollectionStore, condition: Any) -> list[dict[str, Any]] | None:
    """Documents by direct ``_id`` lookup, or None when the condition is not a plain one."""
    wanted = [condition] if _is_plain(condition) else _plain_in(condition)
    if wanted is None:
        return None
    found: dict[int, dict[str, Any]] = {}
    for document_id in wanted:
        if document_id in store:
            document = store[document_id]
            found[id(document)] = document
    return list(found.values())


def _precheck(spec: Mapping[str, Any]) -> tuple[str, Any, bool] | None:
    """The first top-level plain equality (or ``$in``) of ``spec``: (field, value(s), is_in)."""
    for key, condition in spec.items():
        if key.startswith("$") or "." in key:
            continue
        if _is_plain(condition):
            return key, condition, False
        values = _plain_in(condition)
        if values is not None:
            return key, set(values), True
    return None


def candidates(store: CollectionStore, spec: Any) -> Iterable[dict[str, Any]]:
    """A superset of the documents of ``store`` that match ``spec``.

    A document is dropped only when its field holds a plain value that differs from the
    wanted one (or is missing); arrays, sub-documents and other types always stay.
    """
    if isinstance(spec, Mapping) and "_id" in spec:
        by_id = _id_candidates(store, spec["_id"])
        if by_id is not None:
            return by_id
    by_index = indexed_candidates(store, spec)
    if by_index is not None:
        return by_index
    # dict.values, not OrderedDict.values: the latter re-hashes every key while iterating
    # (same order: mongomock never reorders its OrderedDict).
    documents = list(dict.values(store._documents))
    precheck = _precheck(spec) if isinstance(spec, Mapping) else None
    if precheck is None:
        return documents
    key, wanted, is_in = precheck
    if is_in:
        return [
            doc
            for doc in documents
            if (value := doc.get(key, _MISSING)) is not _MISSING
            and (not isinstance(value, _PLAIN) or value in wanted)
        ]
    return [
        doc
        for doc in documents
        if (value := doc.get(key, _MISSING)) is not _MISSING
        and (not isinstance(value, _PLAIN) or value == wanted)
    ]


class FastCollection(Collection):
    """mongomock's Collection whose document scan skips sure non-matches first.

    mongomock updates stored documents in place: the indexes re-file an updated document
    before a uniqueness check sees it, and every document the update matched after it.
    """

    def _update(self, spec: Any, *args: Any, **kwargs: Any) -> Any:
        matched = list(self._iter_documents(spec))  # the stored objects the update changes
        self._updating = True
        try:
            return super()._update(spec, *args, **kwargs)
        finally:
            self._updating = False
            refreshed(self._store, matched)

    def _ensure_uniques(self, new_data: Any) -> None:
        if getattr(self, "_updating", False):  # an inserted document is indexed already
            refreshed(self._store, [new_data])
        super()._ensure_uniques(new_data)

    def _iter_documents(self, filter: Any) -> Iterable[dict[str, Any]]:
        if self._store.is_empty:
            filter_applies(filter, {})  # mongomock validates the filter even then
        return (doc for doc in candidates(self._store, filter) if filter_applies(filter, doc))


def _native_sort_key(values: list[Any]) -> Callable[[Any], Any] | None:
    """A fast key for one sort field when its values share one plain type (nulls first)."""
    present = [v for v in values if v is not _MISSING and v is not None]
    kinds = {
        "number" if isinstance(v, (int, float)) and not isinstance(v, bool) else type(v)
        for v in present
    }
    if len(kinds) > 1 or not kinds <= _SORTABLE_KINDS:
        return None
    if any(isinstance(v, float) and math.isnan(v) for v in present):
        return None
    return lambda v: (0,) if v is _MISSING or v is None else (1, v)


def _field(document: dict[str, Any], key: str) -> Any:
    try:
        return helpers.get_value_by_dot(document, key)
    except (KeyError, IndexError, TypeError):
        return _MISSING


def sort_documents(documents: list[dict[str, Any]], sort: list[tuple[str, Any]]) -> list:
    """Sort like mongomock: one stable pass per key, last key first."""
    for key, direction in reversed(sort):
        values = [_field(doc, key) for doc in documents]
        native = _native_sort_key(values)
        if native is None:
            pairs = [(resolve_sort_key(key, doc), doc) for doc in documents]
        else:
            pairs = [(native(value), doc) for value, doc in zip(values, documents, strict=True)]
        pairs.sort(key=lambda pair: pair[0], reverse=direction < 0)
        documents = [doc for _, doc in pairs]
    return documents


def find_documents(
    collection: Collection,
    spec: Mapping[str, Any],
    projection: Mapping[str, Any] | None,
    sort: list[tuple[str, Any]],
    skip: int = 0,
    limit: int = 0,
) -> list[dict[str, Any]]:
    """The result of a find: filtered, sorted, windowed, then projected (copies)."""
    documents = list(collection._iter_documents(spec))
    if sort:
        documents = sort_documents(documents, sort)
    window = documents[skip : skip + limit if limit else None]
    return [
        collection._copy_only_fields(doc, dict(projection) if projection else None, dict)
        for doc in window
    ]
