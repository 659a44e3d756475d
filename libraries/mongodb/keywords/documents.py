"""Keywords that insert, count and check documents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from assertionengine import AssertionOperator, int_str_verify_assertion
from robot.api import logger
from robot.api.deco import keyword

from libraries.common.polling import poll_assertion
from libraries.common.sites import current_test_site, real_site_id
from libraries.mongodb import checks
from libraries.mongodb import spec as spec_module
from libraries.mongodb.keywords.base import (
    LibraryComponent,
    log_offenders,
    query,
    require_documents,
    truncate,
)
from libraries.safety import own_data, shared

DEFAULT_SPEC = str(spec_module.DEFAULT_SPEC)
POLL_INTERVAL_S = 0.2
SAMPLE_SIZE = 5


class DocumentsNotOwned(RuntimeError):
    """A clean-up filter that could reach documents the test does not own."""

    ROBOT_SUPPRESS_NAME = True


def scope_refusal(
    wanted: dict[str, Any], test_site: str | None, real_site: str, inserted: list[str]
) -> str | None:
    """Why ``wanted`` is not a filter of the test's own documents, or None when it is.

    Own: exactly ``{"siteId": test_site}`` (a test site, never ``real_site``), or exactly
    ``{"_id": id}`` / ``{"_id": {"$in": ids}}`` with every id in ``inserted``.
    """
    if set(wanted) == {"siteId"}:
        site = wanted["siteId"]
        if not isinstance(site, str):
            return "the site id must be a plain value, not an operator"
        if site == real_site:
            return f"{real_site!r} is the environment's real site"
        if test_site is None:
            return "no test site id is set up (Use A Test Site)"
        if site != test_site:
            return f"{site!r} is not this test's site id {test_site!r}"
        return None
    if set(wanted) == {"_id"}:
        value = wanted["_id"]
        if isinstance(value, dict):
            if set(value) != {"$in"} or not isinstance(value["$in"], list) or not value["$in"]:
                return "an _id filter takes one id or {'$in': [ids]}"
            ids = value["$in"]
        else:
            ids = [value]
        strangers = [str(one) for one in ids if str(one) not in inserted]
        if strangers:
            return f"not inserted by this library: {', '.join(strangers[:5])}"
        return None
    return "the filter names neither the test's site id nor ids this library inserted"


class DocumentKeywords(LibraryComponent):
    """Test documents, counts, conditions every document must satisfy, checksums."""

    @shared("insert a document into a live collection")
    @keyword
    def insert_test_document(self, collection: str, document: dict[str, Any]) -> str:
        """Insert ``document``; the library deletes it at the end of the test. Returns its ``_id``.

        | ${id} = | `Insert Test Document` | recordings | ${recording} |

        Returns the inserted ``_id`` as text.
        """
        document_id = self.connection.insert(collection, document)
        logger.info(f"Inserted into {collection}: {truncate(document, 500)}")
        return str(document_id)

    @keyword
    def get_field_values(
        self, collection: str, field: str, filter: dict[str, Any] | str | None = None
    ) -> list[Any]:
        """The values of ``field`` in the documents matching ``filter``, sorted.

        | ${ids} = | `Get Field Values` | tasks | task_id | {"status": "running"} |

        Returns a list, e.g. ``["3f2a9c0e", "7b1d4e22"]``.
        """
        values = [
            document.get(field)
            for document in self.connection.find(collection, query(filter), [field])
        ]
        return sorted(values, key=repr)

    @own_data("delete a test's own documents")
    @keyword
    def delete_test_documents(self, collection: str, filter: dict[str, Any] | str) -> int:
        """Delete what a test caused the system to store, by a filter naming the test's data.

        For documents that the system, not this library, inserted (alerts the consumer
        stored for the test's site id, for example). Only two filters are accepted, so a
        clean-up can never reach other people's data:

        - ``{"siteId": <the test's own site id>}``: ``${TEST_SITE_ID}`` of the running test
          or suite (`Use A Test Site`), never the environment's real ``SITE_ID``;
        - ``{"_id": <id>}`` or ``{"_id": {"$in": [<ids>]}}``: documents this library
          inserted itself (`Insert Test Document`).

        Anything else is refused before anything is deleted. Returns how many were deleted.

        | `Delete Test Documents` | alerts | {"siteId": "${TEST_SITE_ID}"} |

        Returns the number deleted, e.g. ``1``.
        """
        wanted = query(filter)
        inserted = {
            str(found): found for name, found in self.connection.created if name == collection
        }
        reason = scope_refusal(wanted, current_test_site(), real_site_id(), list(inserted))
        if reason:
            raise DocumentsNotOwned(
                f"Refused to delete from {collection} by {truncate(wanted, 200)}: {reason}. "
                "'Delete Test Documents' deletes only by the test's own site id "
                '({"siteId": "${TEST_SITE_ID}"}, see Use A Test Site) or by ids this '
                "library inserted."
            )
        if "_id" in wanted:  # the ids as inserted (an ObjectId, not its text)
            value = wanted["_id"]
            ids = value["$in"] if isinstance(value, dict) else [value]
            wanted = {"_id": {"$in": [inserted[str(one)] for one in ids]}}
        removed = self.connection.delete_matching(collection, wanted)
        logger.info(f"Deleted {removed} document(s) from {collection}")
        return removed

    @keyword
    def count_documents(
        self,
        collection: str,
        filter: dict[str, Any] | str | None = None,
        assertion_operator: AssertionOperator | None = None,
        expected: int | str | None = None,
        message: str = "",
        timeout: timedelta | None = None,
    ) -> int:
        """Count the documents matching ``filter``; with an operator, assert on the count.

        The assertion is retried until it holds or ``timeout`` passes (default: the
        assertion timeout, see `Set Assertion Timeout`; ``0`` checks once).

        | ${n} = | `Count Documents` | alerts |
        | `Count Documents` | recordings | {"classification": "in_progress"} | ``==`` | 1 |
        | `Count Documents` | alerts | ${filter} | >= | 1 | timeout=5s |

        Returns the count, e.g. ``42``.
        """
        returned: int = poll_assertion(
            lambda: self.connection.count(collection, query(filter)),
            assertion_operator,
            expected,
            f"Count of {collection} {truncate(query(filter), 200)}",
            message,
            timeout=timeout,
            interval=POLL_INTERVAL_S,
            verify=int_str_verify_assertion,
        )
        return returned

    @keyword
    def documents_should_satisfy(
        self,
        collection: str,
        filter: dict[str, Any] | str | None,
        condition: dict[str, Any] | str,
        min_documents: int = 1,
    ) -> int:
        """Fail unless every document matching ``filter`` also matches the query ``condition``.

        The check runs on the server (``$nor``); the message gives the number of
        offenders and a few of them. Fails too when fewer than ``min_documents`` match
        ``filter`` (an empty set satisfies any rule; pass ``min_documents=0`` to allow it).
        Returns how many documents were checked.

        | `Documents Should Satisfy` | alerts | {} | {"severity": {"$in": [1, 2, 3]}} |
        """
        checked = self.connection.count(collection, query(filter))
        require_documents(checked, min_documents, f"{collection} document(s)")
        count, sample = self.connection.violations(
            collection, query(filter), query(condition), SAMPLE_SIZE
        )
        if count:
            raise AssertionError(
                log_offenders(
                    f"{collection} document(s) break {truncate(query(condition), 300)}",
                    count,
                    sample,
                )
            )
        return checked

    @keyword
    def documents_should_match_spec_schema(
        self,
        collection: str,
        filter: dict[str, Any] | str | None = None,
        spec: str = DEFAULT_SPEC,
        min_documents: int = 1,
    ) -> int:
        """Fail unless every stored document of ``collection`` satisfies the spec file's schema,
        nested ``required`` fields included (documents written before a validator existed,
        or with a validator missing, are caught here), and at least ``min_documents`` were
        checked (``0`` allows an empty collection). Returns how many were checked.

        | `Documents Should Match Spec Schema` | tasks |
        """
        schema = spec_module.load_spec(spec)[collection].schema
        checked, offenders = 0, []
        for document in self.connection.find(collection, query(filter)):
            checked += 1
            errors = spec_module.document_errors(document, schema)
            if errors:
                offenders.append({"_id": document.get("_id"), "errors": errors[:3]})
        require_documents(checked, min_documents, f"{collection} document(s)")
        if offenders:
            raise AssertionError(
                log_offenders(
                    f"of {checked} {collection} document(s) break the spec schema",
                    len(offenders),
                    offenders[:SAMPLE_SIZE],
                )
            )
        logger.info(f"{checked} {collection} document(s) match the spec schema")
        return checked

    @keyword
    def values_should_be_unique(self, collection: str, field: str, min_documents: int = 1) -> int:
        """Fail when two documents of ``collection`` share a ``field`` value, or when fewer than
        ``min_documents`` were checked (``0`` allows an empty collection); returns the count.

        | `Values Should Be Unique` | recordings | uuid |
        """
        values = [document.get(field) for document in self.connection.find(collection, {}, [field])]
        require_documents(len(values), min_documents, f"{collection} document(s)")
        repeated = checks.duplicates(values)
        if repeated:
            raise AssertionError(
                log_offenders(
                    f"duplicate {field} value(s) in {collection}",
                    len(repeated),
                    list(repeated.items())[:SAMPLE_SIZE],
                )
            )
        return len(values)

    @keyword
    def timestamps_should_not_be_in_the_future(
        self,
        collection: str,
        fields: list[str],
        tolerance: timedelta = timedelta(seconds=5),
        min_documents: int = 1,
    ) -> int:
        """Fail when a document has one of the date ``fields`` later than now + ``tolerance``
        (bug PZ-13984 accepted future timestamps), or when fewer than ``min_documents`` were
        checked (``0`` allows an empty collection). Returns the count checked.

        | `Timestamps Should Not Be In The Future` | recordings | ${{["start_time", "end_time"]}} |
        """
        now = datetime.now(UTC) + tolerance
        checked, offenders = 0, []
        for document in self.connection.find(collection, {}, ["_id", *fields]):
            checked += 1
            late = checks.in_future(document, fields, now)
            if late:
                offenders.append({name: document[name] for name in ["_id", *late]})
        require_documents(checked, min_documents, f"{collection} document(s)")
        if offenders:
            raise AssertionError(
                log_offenders(
                    f"{collection} document(s) with timestamps after {now:%Y-%m-%dT%H:%M:%S}Z",
                    len(offenders),
                    offenders[:SAMPLE_SIZE],
                )
            )
        return checked

    @keyword
    def get_collection_checksum(
        self,
        collection: str,
        filter: dict[str, Any] | str | None = None,
        exclude_fields: list[str] | None = None,
    ) -> str:
        """An order-independent SHA-256 of the matching documents, to compare before and after.

        | ${before} = | `Get Collection Checksum` | tasks |
        | ${after} = | `Get Collection Checksum` | tasks |
        | Should Be Equal | ${before} | ${after} |

        Returns a SHA-256 hex digest, e.g. ``9f86d081884c7d65...``.
        """
        documents = list(self.connection.find(collection, query(filter)))
        digest = checks.checksum(documents, exclude_fields or ())
        logger.info(f"Checksum of {len(documents)} {collection} document(s): {digest}")
        return digest
