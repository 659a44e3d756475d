"""The stand-in's indexes follow every change (twin/mongo/indexes.py), in process: after a
random mix of inserts, in-place updates, replacements, upserts and deletes, every indexed
query answers exactly what a scan of the same documents answers, in the same order.
``benchmarks/mongo_standin.py`` measures what the upkeep is for: a task cycle's cost as
the collection grows."""

from __future__ import annotations

import random

from twin.mongo import indexes
from twin.mongo.store import Store

STATUSES = ["waiting", "running", "completed", "stopped", "failed"]


def _store() -> Store:
    indexes.install()
    store = Store()
    store.create_index("prisma", "tasks", [("task_id", 1)], unique=True)
    store.create_index("prisma", "tasks", [("status", 1)])
    return store


def _scan(store: Store, spec: dict) -> list:
    documents = dict.values(store.raw("prisma", "tasks")._documents)
    from mongomock.filtering import filter_applies

    return [d["_id"] for d in documents if filter_applies(spec, d)]


def test_indexed_answers_equal_a_scan_after_random_changes():
    store = _store()
    tasks = store.collection("prisma", "tasks")
    rng = random.Random(7)
    ids: list[str] = []
    for step in range(3000):
        op = rng.random()
        if op < 0.35 or not ids:
            task_id = f"t{step}"
            ids.append(task_id)
            status = rng.choice([*STATUSES, None, ["running", "stopped"]])
            tasks.insert_one({"task_id": task_id, "status": status})
        elif op < 0.65:
            tasks.update_one(
                {"task_id": rng.choice(ids)}, {"$set": {"status": rng.choice(STATUSES)}}
            )
        elif op < 0.75:
            tasks.update_many({"status": rng.choice(STATUSES)}, {"$set": {"n": step}})
        elif op < 0.82:
            tasks.replace_one({"task_id": rng.choice(ids)}, {"task_id": rng.choice(ids) + "r"})
        elif op < 0.88:
            tasks.update_one({"task_id": f"u{step}"}, {"$set": {"status": "waiting"}}, upsert=True)
        elif op < 0.95:
            tasks.delete_one({"task_id": rng.choice(ids)})
        else:
            tasks.delete_many({"status": rng.choice(STATUSES)})
        if step % 50 == 0:
            for spec in (
                {"status": rng.choice(STATUSES)},
                {"status": {"$in": ["waiting", "running"]}},
                {"task_id": rng.choice(ids)},
            ):
                assert [d["_id"] for d in tasks.find(spec)] == _scan(store, spec), (step, spec)
                assert tasks.count_documents(spec) == len(_scan(store, spec)), (step, spec)


def test_a_unique_index_still_refuses_an_update_that_duplicates():
    store = _store()
    tasks = store.collection("prisma", "tasks")
    tasks.insert_many([{"task_id": "a", "status": "waiting"}, {"task_id": "b"}])
    tasks.find_one({"task_id": "a"})  # build the index
    try:
        tasks.update_one({"task_id": "b"}, {"$set": {"task_id": "a"}})
    except Exception as error:  # DuplicateKeyError
        assert "E11000" in str(error)
    else:
        raise AssertionError("an update that duplicates a unique key was accepted")
    assert [d["task_id"] for d in tasks.find({"task_id": "b"})] == ["b"]
