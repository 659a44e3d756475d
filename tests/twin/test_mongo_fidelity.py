"""The MongoDB stand-in where it used to differ from mongod (issue 13), driven by pymongo.

Transactions are refused at their first command, as a standalone mongod refuses them,
and leave nothing behind; an update past 16 MB is refused and rolled back; a partial
unique index constrains only the documents it covers; TTL removes documents in a
monitor pass (not on read); collStats, $collStats, renameCollection, $mod and $bits*
answer as mongod; counts and $match-first aggregations answer the same through indexes,
also after updates and deletes change the indexed field.
"""

from __future__ import annotations

import datetime
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from mongomock.filtering import filter_applies
from pymongo.errors import DuplicateKeyError, OperationFailure, WriteError

from contract import constants
from tests.twin.mongo_fixtures import StandinProcess
from twin.mongo.server import TTL_INTERVAL_ENV

pytestmark = pytest.mark.timeout(60)


class Database:
    """The test database, and fresh collections that are dropped after the test."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.database = client[constants.MONGO_DATABASE]
        self.name = self.database.name
        self.created: list[str] = []

    def fresh(self, prefix: str) -> Any:
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        self.created.append(name)
        return self.database[name]

    def command(self, *args: Any, **kwargs: Any) -> Any:
        return self.database.command(*args, **kwargs)

    def list_collection_names(self) -> list[str]:
        return self.database.list_collection_names()


@pytest.fixture
def db(shared_standin: StandinProcess) -> Iterator[Database]:
    database = Database(shared_standin.client())
    try:
        yield database
    finally:
        for name in database.created:
            database.database.drop_collection(name)
        database.client.close()


def test_a_transaction_is_refused_before_any_write(db):
    alerts = db.fresh("txn")
    client = db.client
    with client.start_session() as session, pytest.raises(OperationFailure) as refused:
        session.with_transaction(lambda s: alerts.insert_one({"alertId": "t-1"}, session=s))
    assert refused.value.code == 20  # IllegalOperation, as a standalone mongod
    assert "replica set" in str(refused.value)
    assert alerts.count_documents({}) == 0


def test_an_update_past_16_mb_is_refused_and_rolled_back(db):
    blobs = db.fresh("big")
    blobs.insert_one({"_id": "doc", "a": "x" * (10 * 1024 * 1024)})
    with pytest.raises(WriteError) as refused:
        blobs.update_one({"_id": "doc"}, {"$set": {"b": "y" * (7 * 1024 * 1024)}})
    assert refused.value.code == 17419
    assert "larger than 16777216" in str(refused.value)
    assert "b" not in blobs.find_one({"_id": "doc"}, {"a": 0})
    blobs.update_one({"_id": "doc"}, {"$set": {"b": "small"}})  # a small update still works
    assert blobs.find_one({"_id": "doc"}, {"a": 0})["b"] == "small"


def test_a_partial_unique_index_constrains_only_the_documents_it_covers(db):
    users = db.fresh("partial")
    users.create_index("email", unique=True, partialFilterExpression={"email": {"$exists": True}})
    users.insert_many([{"name": "a"}, {"name": "b"}])  # no email: outside the index
    users.insert_one({"email": "e@x"})
    with pytest.raises(DuplicateKeyError):
        users.insert_one({"email": "e@x"})
    listed = {index["name"]: index for index in users.list_indexes()}
    assert listed["email_1"]["partialFilterExpression"] == {"email": {"$exists": True}}


def test_ttl_removes_documents_in_a_monitor_pass_not_on_read(make_standin, monkeypatch):
    monkeypatch.setenv(TTL_INTERVAL_ENV, "1.5")
    standin = make_standin("ttl").start(port=0)
    client = standin.client()
    try:
        events = client[constants.MONGO_DATABASE].events
        events.create_index("at", expireAfterSeconds=0)
        past = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=30)
        events.insert_one({"at": past})
        assert events.count_documents({}) == 1  # expired, but no monitor pass yet
        deadline = time.monotonic() + 10
        while events.count_documents({}) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert events.count_documents({}) == 0
    finally:
        client.close()


def test_ttl_does_not_run_between_passes_of_the_default_60_s_monitor(db):
    events = db.fresh("ttl60")
    events.create_index("at", expireAfterSeconds=0)
    events.insert_one({"at": datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)})
    assert events.count_documents({}) == 1
    assert len(list(events.find())) == 1


def test_coll_stats_and_the_coll_stats_stage(db):
    numbers = db.fresh("stats")
    numbers.insert_many([{"v": i} for i in range(10)])
    numbers.create_index("v")
    stats = db.command("collStats", numbers.name)
    assert (stats["count"], stats["nindexes"], stats["ns"]) == (10, 2, numbers.full_name)
    assert stats["size"] > 0 and set(stats["indexSizes"]) == {"_id_", "v_1"}
    stage = list(numbers.aggregate([{"$collStats": {"count": {}, "storageStats": {}}}]))
    assert stage[0]["count"] == 10 and stage[0]["storageStats"]["count"] == 10
    with pytest.raises(OperationFailure) as missing:
        db.command("collStats", "no_such_collection")
    assert missing.value.code == 26


def test_rename_collection(db):
    source = db.fresh("from")
    target = db.fresh("to")
    source.insert_many([{"v": 1}, {"v": 2}])
    source.create_index("v", unique=True)
    target.insert_one({"old": True})
    admin = db.client.admin
    with pytest.raises(OperationFailure) as exists:
        admin.command("renameCollection", source.full_name, to=target.full_name)
    assert exists.value.code == 48
    admin.command("renameCollection", source.full_name, to=target.full_name, dropTarget=True)
    assert source.name not in db.list_collection_names()
    assert sorted(doc["v"] for doc in target.find()) == [1, 2]
    assert "v_1" in {index["name"] for index in target.list_indexes()}
    with pytest.raises(OperationFailure) as gone:
        admin.command("renameCollection", source.full_name, to=f"{db.name}.elsewhere")
    assert gone.value.code == 26
    with pytest.raises(OperationFailure) as not_admin:
        db.command("renameCollection", target.full_name, to=f"{db.name}.x")
    assert not_admin.value.code == 13


def test_mod_and_bit_operators(db):
    numbers = db.fresh("ops")
    numbers.insert_many([{"v": i} for i in range(10)] + [{"v": "text"}, {"v": [4, 9]}])
    found = {str(d["v"]) for d in numbers.find({"v": {"$mod": [3, 1]}})}
    assert found == {"1", "4", "7", "[4, 9]"}
    assert sorted(d["v"] for d in numbers.find({"v": {"$bitsAllSet": [0, 1]}})) == [3, 7]
    assert sorted(d["v"] for d in numbers.find({"v": {"$bitsAllSet": 5}})) == [5, 7]
    assert sorted(d["v"] for d in numbers.find({"v": {"$bitsAnySet": 8}})) == [8, 9]
    assert [d["v"] for d in numbers.find({"v": {"$bitsAllClear": 7}})] == [0, 8]
    with pytest.raises(OperationFailure):
        list(numbers.find({"v": {"$mod": [0, 1]}}))


def _scan_count(collection: Any, query: dict) -> int:
    """The count computed without any index: every document matched in Python."""
    return sum(1 for doc in collection.find() if filter_applies(query, doc))


def test_indexed_counts_and_aggregations_agree_with_a_scan_after_changes(db):
    docs = db.fresh("indexed")
    docs.create_index("site")
    docs.insert_many(
        [{"site": f"s{i % 5}", "n": i} for i in range(500)]
        + [{"site": ["s1", "s2"], "n": -1}, {"site": 1, "n": -2}]
    )
    docs.update_many({"n": {"$lt": 50}, "site": "s3"}, {"$set": {"site": "s4"}})
    docs.delete_many({"site": "s2", "n": {"$gt": 400}})
    docs.replace_one({"n": 7}, {"site": "s1", "n": 7})
    docs.insert_one({"site": "s1", "n": 1000})
    for query in (
        {},
        {"site": "s1"},
        {"site": "s2"},
        {"site": "s3"},
        {"site": "s4"},
        {"site": 1},
        {"site": {"$in": ["s0", "s2"]}},
        {"site": "s1", "n": {"$gt": 100}},
    ):
        assert docs.count_documents(query) == _scan_count(docs, query), query
    docs.insert_one({"site": True, "n": -3})
    # as on mongod, a boolean never equals a number (mongomock's own scan says it does)
    assert (docs.count_documents({"site": True}), docs.count_documents({"site": 1})) == (1, 1)
    grouped = docs.aggregate(
        [{"$match": {"site": "s1"}}, {"$group": {"_id": "$severity", "n": {"$sum": 1}}}]
    )
    assert [(row["_id"], row["n"]) for row in grouped] == [
        (None, _scan_count(docs, {"site": "s1"}))
    ]
    first = [d["n"] for d in docs.aggregate([{"$match": {"site": "s1"}}, {"$limit": 6}])]
    natural = [d["n"] for d in docs.find() if filter_applies({"site": "s1"}, d)]
    assert first == natural[:6]  # the index keeps a scan's (insertion) order


def test_a_unique_index_still_refuses_a_duplicate_made_by_an_update(db):
    keys = db.fresh("unique")
    keys.create_index("k", unique=True)
    keys.insert_many([{"k": 1}, {"k": 2}])
    assert keys.count_documents({"k": 2}) == 1  # the index is built
    with pytest.raises(DuplicateKeyError):
        keys.update_one({"k": 1}, {"$set": {"k": 2}})
    assert (keys.count_documents({"k": 1}), keys.count_documents({"k": 2})) == (1, 1)
