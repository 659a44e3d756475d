"""The MongoDB stand-in (twin/mongo) driven by the real pymongo over TCP on 127.0.0.1.

Covers CRUD, cursors (batchSize/getMore), aggregate, count/distinct, unique indexes,
$jsonSchema validators (insert rejected, update rolled back), index listing and drop,
SCRAM auth (right/wrong password, unauthenticated), legacy OP_QUERY isMaster,
serverStatus counters, durability across kill -9 (data, indexes, validators), an
outage seen by pymongo within 2 s, a clean SIGTERM exit, and no process left behind.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import bson
import pymongo
import pytest
from pymongo import monitoring
from pymongo.errors import (
    AutoReconnect,
    BulkWriteError,
    ConnectionFailure,
    DuplicateKeyError,
    OperationFailure,
    ServerSelectionTimeoutError,
    WriteError,
)

from contract import constants
from tests.twin.mongo_fixtures import USER, StandinProcess
from twin import config, workloads
from twin.mongo import MongoStandin
from twin.ports import free_port

pytestmark = pytest.mark.timeout(60)

SCHEMA = {
    "bsonType": "object",
    "required": ["alertId", "classId", "severity"],
    "additionalProperties": False,
    "properties": {
        "_id": {"bsonType": "objectId"},
        "alertId": {"bsonType": "string", "minLength": 3, "maxLength": 40},
        "classId": {"bsonType": "int", "enum": [103, 104]},
        "severity": {"bsonType": ["int", "long"], "minimum": 1, "maximum": 3},
        "dofM": {"bsonType": "number", "minimum": 0, "maximum": constants.FIBRE_LENGTH_M},
        "tags": {"bsonType": "array", "items": {"bsonType": "string"}},
        "site": {
            "bsonType": "object",
            "required": ["id"],
            "properties": {"id": {"bsonType": "string"}},
        },
        "acknowledged": {"bsonType": "bool"},
        "note": {"bsonType": ["string", "null"]},
    },
}
MONGO_ENDPOINT = {"database": constants.MONGO_DATABASE, "auth_source": constants.MONGO_AUTH_SOURCE}
VALID_ALERT = {"alertId": "a-1", "classId": 104, "severity": 3, "dofM": 4120.5}


class CommandLog(monitoring.CommandListener):
    """Names of the commands a client sent."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.names.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


# -- fixtures ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def shared_client(shared_standin: StandinProcess) -> Iterator[pymongo.MongoClient]:
    client = shared_standin.client()
    try:
        yield client
    finally:
        client.close()


def fresh(client: pymongo.MongoClient) -> Any:
    """A collection of the prisma database with a unique name (tests stay independent)."""
    return client[constants.MONGO_DATABASE][f"t_{uuid.uuid4().hex[:10]}"]


def wait_until(check: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


# -- CRUD and queries ----------------------------------------------------------------------
def test_crud_round_trip(shared_client: pymongo.MongoClient) -> None:
    coll = fresh(shared_client)
    first = coll.insert_one({"name": "a", "n": 1}).inserted_id
    assert coll.insert_many([{"name": "b", "n": 2}, {"name": "c", "n": 3}]).acknowledged
    assert coll.find_one({"_id": first})["name"] == "a"
    assert coll.update_one({"name": "b"}, {"$inc": {"n": 10}}).modified_count == 1
    assert coll.find_one({"name": "b"})["n"] == 12
    assert coll.replace_one({"name": "c"}, {"name": "c2"}).matched_count == 1
    assert coll.find_one({"name": "c2"}, {"_id": 0}) == {"name": "c2"}
    upserted = coll.update_one({"name": "d"}, {"$set": {"n": 4}}, upsert=True).upserted_id
    assert coll.find_one({"_id": upserted}) == {"_id": upserted, "name": "d", "n": 4}
    after = coll.find_one_and_update(
        {"name": "a"}, {"$set": {"n": 100}}, return_document=pymongo.ReturnDocument.AFTER
    )
    assert after["n"] == 100
    assert coll.find_one_and_delete({"name": "d"})["n"] == 4
    assert coll.delete_one({"name": "a"}).deleted_count == 1
    assert coll.delete_many({}).deleted_count == 2
    assert coll.count_documents({}) == 0


def test_find_sort_projection_limit_and_get_more(shared_standin: StandinProcess) -> None:
    log = CommandLog()
    client = shared_standin.client(event_listeners=[log])
    try:
        coll = fresh(client)
        coll.insert_many([{"i": i, "sq": i * i, "pad": "x" * 10} for i in range(250)])
        docs = list(
            coll.find({"i": {"$gte": 5}}, {"_id": 0, "i": 1, "sq": 1})
            .sort("i", pymongo.DESCENDING)
            .skip(3)
            .limit(230)
            .batch_size(50)
        )
        assert [d["i"] for d in docs] == list(range(246, 16, -1))
        assert docs[0] == {"i": 246, "sq": 246 * 246}
        assert log.names.count("getMore") == 4  # 50 + 4 x 50 (the last one partial)
        log.names.clear()
        assert len(list(coll.find())) == 250  # default first batch is 101
        assert log.names.count("getMore") >= 1
    finally:
        client.close()


def test_killed_cursor_is_gone(shared_client: pymongo.MongoClient) -> None:
    coll = fresh(shared_client)
    coll.insert_many([{"i": i} for i in range(20)])
    cursor = coll.find().batch_size(5)
    next(cursor)
    cursor_id = cursor.cursor_id
    cursor.close()
    with pytest.raises(OperationFailure) as failure:
        coll.database.command("getMore", cursor_id, collection=coll.name)
    assert failure.value.code == 43


def test_aggregate_match_group_sort(shared_client: pymongo.MongoClient) -> None:
    coll = fresh(shared_client)
    coll.insert_many(
        [{"cls": 103 + i % 2, "sev": 1 + i % 3} for i in range(30)] + [{"cls": 999, "sev": 9}]
    )
    result = list(
        coll.aggregate(
            [
                {"$match": {"cls": {"$in": [103, 104]}}},
                {"$group": {"_id": "$cls", "n": {"$sum": 1}, "worst": {"$max": "$sev"}}},
                {"$sort": {"_id": -1}},
            ]
        )
    )
    assert result == [{"_id": 104, "n": 15, "worst": 3}, {"_id": 103, "n": 15, "worst": 3}]


def test_count_documents_and_distinct(shared_client: pymongo.MongoClient) -> None:
    coll = fresh(shared_client)
    coll.insert_many([{"status": s, "k": i} for i, s in enumerate(["running", "waiting"] * 6)])
    assert coll.count_documents({"status": "running"}) == 6
    assert coll.count_documents({}, skip=2, limit=5) == 5
    assert coll.estimated_document_count() == 12
    assert sorted(coll.distinct("status")) == ["running", "waiting"]
    assert coll.distinct("k", {"status": "waiting", "k": {"$lt": 5}}) == [1, 3]


# -- indexes ---------------------------------------------------------------------------
def test_unique_index_raises_duplicate_key(shared_client: pymongo.MongoClient) -> None:
    coll = fresh(shared_client)
    coll.create_index("task_id", unique=True)
    coll.insert_one({"task_id": "t1"})
    with pytest.raises(DuplicateKeyError) as duplicate:
        coll.insert_one({"task_id": "t1"})
    assert duplicate.value.code == 11000
    with pytest.raises(BulkWriteError) as bulk:
        coll.insert_many([{"task_id": "t2"}, {"task_id": "t1"}, {"task_id": "t3"}])
    assert bulk.value.details["nInserted"] == 1
    assert [e["code"] for e in bulk.value.details["writeErrors"]] == [11000]
    assert coll.count_documents({}) == 2
    with pytest.raises(DuplicateKeyError):
        coll.update_one({"task_id": "t2"}, {"$set": {"task_id": "t1"}})
    assert coll.count_documents({"task_id": "t2"}) == 1


def test_index_information_and_drop_index(shared_client: pymongo.MongoClient) -> None:
    coll = fresh(shared_client)
    coll.create_index("uuid", unique=True)
    coll.create_index([("start_time", pymongo.ASCENDING), ("end_time", pymongo.DESCENDING)])
    info = coll.index_information()
    assert set(info) == {"_id_", "uuid_1", "start_time_1_end_time_-1"}
    assert info["uuid_1"]["unique"] is True
    assert info["start_time_1_end_time_-1"]["key"] == [("start_time", 1), ("end_time", -1)]
    assert "unique" not in info["start_time_1_end_time_-1"]
    coll.drop_index("start_time_1_end_time_-1")
    assert [ix["name"] for ix in coll.list_indexes()] == ["_id_", "uuid_1"]
    with pytest.raises(OperationFailure) as missing:
        coll.drop_index("no_such_index")
    assert missing.value.code == 27


# -- validators ------------------------------------------------------------------------
INVALID_ALERTS = {
    "missing required": {"alertId": "a-2", "classId": 104},
    "wrong type": {**VALID_ALERT, "classId": "104"},
    "not in enum": {**VALID_ALERT, "classId": 105},
    "below minimum": {**VALID_ALERT, "severity": 0},
    "above maximum": {**VALID_ALERT, "dofM": constants.FIBRE_LENGTH_M + 1},
    "too short": {**VALID_ALERT, "alertId": "ab"},
    "extra field": {**VALID_ALERT, "unexpected": 1},
    "bad array item": {**VALID_ALERT, "tags": ["ok", 7]},
    "nested required": {**VALID_ALERT, "site": {"name": "x"}},
    "bool expected": {**VALID_ALERT, "acknowledged": "yes"},
}


@pytest.fixture(scope="module")
def alerts(shared_client: pymongo.MongoClient) -> Any:
    """A collection created with the alerts $jsonSchema validator."""
    name = f"alerts_{uuid.uuid4().hex[:8]}"
    return shared_client[constants.MONGO_DATABASE].create_collection(
        name, validator={"$jsonSchema": SCHEMA}
    )


def test_valid_documents_pass_the_validator(alerts: Any) -> None:
    alerts.insert_one(dict(VALID_ALERT, tags=["x"], site={"id": "s"}, note=None))
    alerts.insert_one({"alertId": "a-long", "classId": 103, "severity": 1})
    assert alerts.count_documents({"alertId": {"$in": ["a-1", "a-long"]}}) == 2


@pytest.mark.parametrize("document", INVALID_ALERTS.values(), ids=INVALID_ALERTS.keys())
def test_invalid_insert_is_rejected_with_code_121(alerts: Any, document: dict) -> None:
    with pytest.raises(WriteError) as rejected:
        alerts.insert_one(dict(document))
    assert rejected.value.code == 121
    assert alerts.count_documents({"alertId": document.get("alertId", "none"), "dofM": -1}) == 0


def test_failing_update_is_rolled_back(alerts: Any) -> None:
    alerts.insert_one({"alertId": "roll-1", "classId": 104, "severity": 2})
    with pytest.raises(WriteError) as rejected:
        alerts.update_one({"alertId": "roll-1"}, {"$set": {"severity": 7, "note": "x"}})
    assert rejected.value.code == 121
    stored = alerts.find_one({"alertId": "roll-1"}, {"_id": 0})
    assert stored == {"alertId": "roll-1", "classId": 104, "severity": 2}
    with pytest.raises(WriteError):
        alerts.update_one({"alertId": "new"}, {"$set": {"classId": 1}}, upsert=True)
    assert alerts.count_documents({"alertId": "new"}) == 0


def test_list_collections_and_coll_mod_keep_the_validator(
    shared_client: pymongo.MongoClient,
) -> None:
    db = shared_client[constants.MONGO_DATABASE]
    coll = db.create_collection(f"v_{uuid.uuid4().hex[:8]}", validator={"$jsonSchema": SCHEMA})
    options = next(db.list_collections(filter={"name": coll.name}))["options"]
    assert options["validator"] == {"$jsonSchema": SCHEMA}
    relaxed = {"$jsonSchema": {"bsonType": "object", "required": ["alertId"]}}
    db.command("collMod", coll.name, validator=relaxed)
    coll.insert_one({"alertId": "only-this"})
    assert coll.options()["validator"] == relaxed
    with pytest.raises(OperationFailure) as exists:
        db.create_collection(coll.name, check_exists=False)
    assert exists.value.code == 48


# -- protocol and auth -----------------------------------------------------------------
def test_wrong_password_fails_with_code_18(shared_standin: StandinProcess) -> None:
    client = shared_standin.client(password="not-the-password")
    try:
        with pytest.raises(OperationFailure) as failed:
            client[constants.MONGO_DATABASE].command("ping")
        assert failed.value.code == 18
    finally:
        client.close()


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-1", "SCRAM-SHA-256"])
def test_both_scram_mechanisms_authenticate(shared_standin: StandinProcess, mechanism: str) -> None:
    client = shared_standin.client(authMechanism=mechanism)
    try:
        status = client[constants.MONGO_DATABASE].command("connectionStatus")
        assert status["authInfo"]["authenticatedUsers"] == [
            {"user": USER, "db": constants.MONGO_AUTH_SOURCE}
        ]
    finally:
        client.close()


def test_default_login_uses_speculative_authentication(shared_standin: StandinProcess) -> None:
    client = shared_standin.client(appname="speculative-check")
    try:
        client[constants.MONGO_DATABASE].command("ping")
    finally:
        client.close()
    assert "(SCRAM-SHA-256, speculative)" in shared_standin.log_text()


def test_unauthenticated_commands_fail_with_code_13(shared_standin: StandinProcess) -> None:
    client = shared_standin.client(username=None, password=None, authSource=None)
    try:
        db = client[constants.MONGO_DATABASE]
        assert db.command("ping")["ok"] == 1.0
        with pytest.raises(OperationFailure) as refused:
            db.tasks.find_one()
        assert refused.value.code == 13
        with pytest.raises(OperationFailure) as refused_write:
            db.tasks.insert_one({"x": 1})
        assert refused_write.value.code == 13
    finally:
        client.close()


def test_unknown_command_is_command_not_found(shared_client: pymongo.MongoClient) -> None:
    with pytest.raises(OperationFailure) as unknown:
        shared_client.admin.command("frobnicate")
    assert unknown.value.code == 59


def _op_query(port: int, command: dict) -> dict:
    """Send a legacy OP_QUERY on admin.$cmd and decode the OP_REPLY."""
    body = struct.pack("<i", 0) + b"admin.$cmd\x00" + struct.pack("<ii", 0, -1)
    body += bson.encode(command)
    message = struct.pack("<iiii", 16 + len(body), 7, 0, 2004) + body
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(message)
        header = sock.recv(16, socket.MSG_WAITALL)
        length, _, response_to, op_code = struct.unpack("<iiii", header)
        payload = sock.recv(length - 16, socket.MSG_WAITALL)
    assert (response_to, op_code) == (7, 1)
    number_returned = struct.unpack_from("<i", payload, 16)[0]
    assert number_returned == 1
    return bson.decode(payload[20:])


def test_legacy_op_query_is_master_gets_op_reply(shared_standin: StandinProcess) -> None:
    reply = _op_query(shared_standin.port, {"isMaster": 1})
    assert reply["ismaster"] is True
    assert reply["maxWireVersion"] >= 9 and reply["minWireVersion"] == 0
    assert "topologyVersion" not in reply


def test_server_status_counts_operations_and_connections(
    shared_standin: StandinProcess, shared_client: pymongo.MongoClient
) -> None:
    db = shared_client[constants.MONGO_DATABASE]
    coll = fresh(shared_client)
    before = db.command("serverStatus")
    assert before["process"] == "mongod" and before["uptime"] >= 0
    coll.insert_many([{"i": 1}, {"i": 2}, {"i": 3}])
    coll.find_one({"i": 1})
    coll.find_one({"i": 2})
    coll.update_one({"i": 1}, {"$set": {"j": 1}})
    coll.delete_one({"i": 3})
    after = db.command("serverStatus")
    delta = {k: after["opcounters"][k] - before["opcounters"][k] for k in before["opcounters"]}
    assert (delta["insert"], delta["query"], delta["update"], delta["delete"]) == (3, 2, 1, 1)
    assert delta["command"] >= 1  # the serverStatus itself
    extra = shared_standin.client()
    extra[constants.MONGO_DATABASE].command("ping")
    opened = db.command("serverStatus")["connections"]
    assert opened["current"] > before["connections"]["current"]
    assert opened["totalCreated"] > before["connections"]["totalCreated"]
    assert opened["available"] > 0
    extra.close()
    assert wait_until(
        lambda: db.command("serverStatus")["connections"]["current"] < opened["current"]
    )


def test_db_stats_and_list_databases(shared_client: pymongo.MongoClient) -> None:
    coll = fresh(shared_client)
    coll.insert_many([{"i": i} for i in range(7)])
    coll.create_index("i")
    stats = coll.database.command("dbStats")
    assert stats["db"] == constants.MONGO_DATABASE
    assert stats["objects"] >= 7 and stats["dataSize"] > 0
    assert stats["collections"] >= 1 and stats["indexes"] >= 2
    assert constants.MONGO_DATABASE in shared_client.list_database_names()


# -- durability, outage, process lifecycle ---------------------------------------------
def test_data_indexes_and_validators_survive_kill_9(make_standin: Callable) -> None:
    standin = make_standin().start(port=0)
    client = standin.client()
    db = client[constants.MONGO_DATABASE]
    db.create_collection("alerts", validator={"$jsonSchema": SCHEMA})
    db.alerts.create_index("alertId", unique=True)
    db.alerts.insert_many([dict(VALID_ALERT, alertId=f"k-{i}") for i in range(50)])
    db.alerts.update_one({"alertId": "k-1"}, {"$set": {"severity": 1}})
    db.alerts.delete_one({"alertId": "k-2"})
    db.tasks.insert_one({"task_id": "t", "status": "running"})
    db.tasks.delete_one({"task_id": "t"})  # an emptied collection still exists
    standin.kill_9()
    client.close()
    with open(standin.data_dir / "journal.bson", "ab") as journal:
        journal.write(b"\x40\x00\x00\x00torn")  # a record cut short by the crash

    for restart in ("journal replay", "snapshot replay"):
        standin.start()
        client = standin.client()
        try:
            db = client[constants.MONGO_DATABASE]
            assert db.alerts.count_documents({}) == 49, restart
            assert db.alerts.find_one({"alertId": "k-1"})["severity"] == 1
            assert db.alerts.find_one({"alertId": "k-2"}) is None
            assert db.alerts.index_information()["alertId_1"]["unique"] is True
            assert db.alerts.options()["validator"] == {"$jsonSchema": SCHEMA}
            assert "tasks" in db.list_collection_names()
            with pytest.raises(DuplicateKeyError):
                db.alerts.insert_one(dict(VALID_ALERT, alertId="k-3"))
            with pytest.raises(WriteError) as rejected:
                db.alerts.insert_one(dict(VALID_ALERT, alertId="k-new", severity=9))
            assert rejected.value.code == 121
        finally:
            client.close()
        standin.kill_9()


def test_outage_raises_connection_failure_within_2_s(make_standin: Callable) -> None:
    standin = make_standin().start(port=0)
    client = standin.client(serverSelectionTimeoutMS=1000, connectTimeoutMS=1000)
    try:
        db = client[constants.MONGO_DATABASE]
        db.command("ping")
        standin.kill_9()
        for expected in (AutoReconnect, ServerSelectionTimeoutError):
            started = time.monotonic()
            with pytest.raises(ConnectionFailure) as failure:
                db.tasks.find_one()
            assert time.monotonic() - started < 2.0
            assert isinstance(failure.value, expected)
    finally:
        client.close()


def test_sigterm_exits_zero_and_a_second_instance_is_refused(make_standin: Callable) -> None:
    standin = make_standin().start(port=0)
    intruder = StandinProcess(standin.data_dir, standin.log_path.with_name("intruder.log"))
    with pytest.raises(RuntimeError, match="not ready"):
        intruder.start(port=0)
    assert "in use by another process" in intruder.log_text()
    assert standin.terminate() == 0
    assert standin.log_text().rstrip().endswith("stopped")


def test_twin_mode_reads_the_twin_directory(make_standin: Callable, tmp_path: Any) -> None:
    port = free_port()
    endpoints = {"host": "127.0.0.1", "mongo": {"port": port, **MONGO_ENDPOINT}}
    secrets = {"mongo_user": USER, "mongo_password": "twin-generated-password"}
    config.write_json(tmp_path / "twin" / config.ENDPOINTS_FILE, endpoints)
    config.write_json(tmp_path / "twin" / config.SECRETS_FILE, secrets, private=True)
    standin = make_standin("twin", twin_dir=tmp_path / "twin").start()
    assert standin.port == port
    assert workloads.probe_mongo(endpoints, secrets)  # the supervisor's readiness probe
    assert not workloads.probe_mongo(endpoints, dict(secrets, mongo_password="wrong"))
    data_dir = tmp_path / "twin" / "data" / constants.MONGODB_WORKLOAD
    assert (data_dir / "journal.bson").exists()
    assert "twin-generated-password" not in standin.log_text()


# -- query semantics behind the fast paths ---------------------------------------------
def test_queries_keep_mongodb_semantics(shared_client: pymongo.MongoClient) -> None:
    coll = fresh(shared_client)
    coll.insert_many(
        [
            {"_id": 1, "v": 1, "tags": ["a", "b"], "t": "x"},
            {"_id": 2, "v": 1.0, "tags": "a", "t": None},
            {"_id": 3, "v": "1", "tags": ["c"]},
            {"_id": 4, "v": [1, 5], "tags": [], "t": "y"},
            {"_id": 5, "v": {"n": 1}, "t": "a"},
        ]
    )

    def ids(query: dict, **kwargs: Any) -> list:
        return [doc["_id"] for doc in coll.find(query, **kwargs)]

    assert ids({"v": 1}) == [1, 2, 4]  # numbers compare across types, arrays by element
    assert ids({"tags": "a"}) == [1, 2]
    assert ids({"tags": {"$in": ["c", "b"]}}) == [1, 3]
    assert ids({"t": None}) == [2, 3]  # null matches missing
    assert ids({"_id": {"$in": [5, 3, 99]}, "v": "1"}) == [3]
    assert ids({"_id": 4, "v": 5}) == [4]
    assert ids({"v.n": 1}) == [5]
    assert ids({"t": {"$exists": True}}, sort=[("t", 1)]) == [2, 5, 1, 4]  # null first
    assert ids({}, sort=[("t", -1), ("_id", 1)]) == [4, 1, 5, 2, 3]  # missing sorts as null
    assert ids({}, sort=[("v", -1)])[:2] == [5, 3]  # mixed types: object > string > number
    assert coll.count_documents({"v": 1}) == 3


def test_concurrent_writers_lose_nothing(shared_standin: StandinProcess) -> None:
    client = shared_standin.client(maxPoolSize=20)
    try:
        coll = fresh(client)
        coll.create_index("key", unique=True)

        def writer(worker: int) -> None:
            for i in range(15):
                coll.insert_one({"key": f"{worker}-{i}"})

        with ThreadPoolExecutor(max_workers=20) as pool:
            list(pool.map(writer, range(20)))
        assert coll.count_documents({}) == 300
        assert len(coll.distinct("key")) == 300
    finally:
        client.close()


def test_in_process_standin_serves_and_stops(tmp_path: Path) -> None:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    standin = MongoStandin(0, tmp_path / "data", {USER: "in-process"})
    try:
        port = asyncio.run_coroutine_threadsafe(standin.start(), loop).result(timeout=10)
        client = pymongo.MongoClient(
            "127.0.0.1",
            port,
            username=USER,
            password="in-process",
            authSource=constants.MONGO_AUTH_SOURCE,
            serverSelectionTimeoutMS=2000,
        )
        try:
            client.prisma.tasks.insert_one({"task_id": "in-process"})
            assert client.prisma.tasks.count_documents({}) == 1
        finally:
            client.close()
    finally:
        asyncio.run_coroutine_threadsafe(standin.stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
    assert (tmp_path / "data" / "journal.bson").stat().st_size > 0
