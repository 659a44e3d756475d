"""Keywords about collections, indexes and validators (bug PZ-13983: missing indexes)."""

from __future__ import annotations

from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from libraries.mongodb import spec as spec_module
from libraries.mongodb.keywords.base import LibraryComponent, truncate
from libraries.safety import shared

DEFAULT_SPEC = str(spec_module.DEFAULT_SPEC)


class LayoutKeywords(LibraryComponent):
    """Collections, indexes and ``$jsonSchema`` validators against the spec file."""

    @keyword
    def collection_should_exist(self, collection: str) -> None:
        """Fail unless ``collection`` exists in the current database.

        | `Collection Should Exist` | recordings |
        """
        names = self.connection.collection_names()
        if collection not in names:
            raise AssertionError(f"Collection '{collection}' does not exist; collections: {names}")

    @keyword
    def index_should_exist(
        self, collection: str, keys: str | list[str] | dict[str, int], unique: bool | None = None
    ) -> str:
        """Fail unless ``collection`` has an index on exactly ``keys``; returns its name.

        ``keys`` is ``start_time, end_time`` (ascending), ``alertTime:-1``, a list or a
        dict. With ``unique=True`` (``False``) the index must (must not) be unique.

        | `Index Should Exist` | recordings | uuid | unique=True |
        | `Index Should Exist` | recordings | start_time, end_time |
        """
        pattern = spec_module.index_keys(keys)
        indexes = self.connection.indexes(collection)
        for index in indexes:
            if index.keys == pattern and (unique is None or index.unique == unique):
                logger.info(
                    f"Index '{index.name}' on {collection} {index.keys} unique={index.unique}"
                )
                return index.name
        have = [
            f"{index.name} {dict(index.keys)}{' unique' if index.unique else ''}"
            for index in indexes
        ]
        wanted = spec_module.IndexSpec(pattern, bool(unique)).describe()
        raise AssertionError(f"No index {wanted} on '{collection}'; indexes: {have}")

    @keyword
    def indexes_should_match_spec(self, collection: str = "", spec: str = DEFAULT_SPEC) -> None:
        """Fail unless every index the spec file lists exists (in ``collection``, or all).

        Extra indexes are allowed. The message names each missing index.

        | `Indexes Should Match Spec` |
        | `Indexes Should Match Spec` | recordings | spec=${CURDIR}/prod_spec.yaml |
        """
        missing = []
        for name, wanted in self._collections(collection, spec).items():
            missing += [
                f"{name} {index.describe()}"
                for index in spec_module.missing_indexes(wanted, self.connection.indexes(name))
            ]
        if missing:
            raise AssertionError(
                f"{len(missing)} index(es) of the spec missing: {', '.join(missing)}"
            )

    @keyword
    def schema_should_match_spec(self, collection: str = "", spec: str = DEFAULT_SPEC) -> None:
        """Fail unless each collection's ``$jsonSchema`` validator requires and types the
        fields as the spec file says (in ``collection``, or all of the spec's).

        | `Schema Should Match Spec` |
        | `Schema Should Match Spec` | alerts |
        """
        problems = []
        for name, wanted in self._collections(collection, spec).items():
            validator = self.connection.validator(name)
            problems += [
                f"{name}: {problem}"
                for problem in spec_module.schema_differences(wanted.schema, validator)
            ]
        if problems:
            raise AssertionError("Validators differ from the spec: " + "; ".join(problems))

    @shared("insert a document into a live collection (the validator should reject it)")
    @keyword
    def insert_should_be_rejected_by_validator(
        self, collection: str, document: dict[str, Any]
    ) -> str:
        """Fail unless the server's validator rejects inserting ``document``; returns its reason.

        A document that is (wrongly) accepted is deleted again by the library.

        | `Insert Should Be Rejected By Validator` | alerts | ${alert_without_severity} |
        """
        reason = self.connection.validator_rejection(collection, document)
        if reason is None:
            raise AssertionError(
                f"'{collection}' accepted an invalid document: {truncate(document, 500)}"
            )
        logger.info(f"Rejected as expected: {truncate(reason, 500)}")
        return reason

    def _collections(self, collection: str, spec: str) -> dict[str, spec_module.CollectionSpec]:
        collections = spec_module.load_spec(spec)
        if not collection:
            return collections
        if collection not in collections:
            raise AssertionError(f"The spec {spec} has no collection '{collection}'")
        return {collection: collections[collection]}
