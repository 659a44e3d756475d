"""Throughput of the MongoDB stand-in through pymongo (for information, no assertion).

    .venv/bin/python benchmarks/mongo_standin.py [--docs 2000] [--clients 10]

Starts ``python -m twin.mongo`` on a free port with a temporary data dir (every write
fsync'd before its reply, group commit), then prints insert and find operations per
second, one line each, and the insert rate and latency of ``--clients`` processes at once.

Then, on ``--count-docs`` documents (50,000) with an index on ``site``, the median time
of ``count_documents({})``, of ``count_documents`` with an indexed equality, and of a
``$match`` (indexed field) + ``$group`` aggregation. Targets: <= 50 ms, <= 50 ms and
<= 500 ms (issue 13; a mongomock scan took 7-9 s).

Last, the Focus server's task cycle on ``tasks`` (indexes ``task_id`` unique and
``status``): insert, count the active tasks, two status updates, a find by ``task_id``.
Its median cost with 500 tasks stored and with ``--cycle-docs`` (16,000: a 10-minute
soak's worth), and their ratio. Target: ratio <= 1.5 (the indexes kept in step; when each
update rebuilt them, the cycle cost grew with the collection: 4.2 ms -> 75.8 ms, 18x).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pymongo

from contract import constants

REPO_ROOT = Path(__file__).resolve().parents[1]

PASSWORD = "bench-password"


def _start(data_dir: Path, log_path: Path) -> tuple[subprocess.Popen[bytes], int]:
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "twin.mongo", "--port", "0", "--data-dir", str(data_dir)]
            + ["--user", constants.MONGO_USER],
            cwd=REPO_ROOT,
            env=dict(os.environ, TWIN_MONGO_PASSWORD=PASSWORD),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        match = re.search(r"listening on 127\.0\.0\.1:(\d+)", log_path.read_text())
        if match:
            return process, int(match.group(1))
        time.sleep(0.05)
    process.kill()
    process.wait(timeout=10)
    raise RuntimeError(f"stand-in did not start: {log_path.read_text()[-1000:]}")


def _rate(label: str, count: int, action: Callable[[int], object]) -> None:
    started = time.perf_counter()
    for i in range(count):
        action(i)
    elapsed = time.perf_counter() - started
    print(f"{label:<44} {count / elapsed:9.0f} ops/s  ({count} in {elapsed:.2f} s)")


def _client(port: int) -> pymongo.MongoClient:
    return pymongo.MongoClient(
        "127.0.0.1",
        port,
        username=constants.MONGO_USER,
        password=PASSWORD,
        authSource=constants.MONGO_AUTH_SOURCE,
        serverSelectionTimeoutMS=3000,
        socketTimeoutMS=30000,
    )


def _insert_latencies(port: int, worker: int, count: int) -> list[float]:
    """One client process: ``count`` insert_one calls; their latencies in seconds."""
    client = _client(port)
    collection = client[constants.MONGO_DATABASE].concurrent
    latencies = []
    try:
        for i in range(count):
            started = time.perf_counter()
            collection.insert_one({"alertId": f"{worker}-{i}"})
            latencies.append(time.perf_counter() - started)
    finally:
        client.close()
    return latencies


def _concurrent(port: int, clients: int, count: int) -> None:
    started = time.perf_counter()
    with ProcessPoolExecutor(clients) as pool:
        futures = [pool.submit(_insert_latencies, port, w, count) for w in range(clients)]
        latencies = sorted(x for future in futures for x in future.result())
    elapsed = time.perf_counter() - started
    p95 = latencies[int(len(latencies) * 0.95)] * 1000
    label = f"insert_one, {clients} client processes at once"
    print(f"{label:<44} {len(latencies) / elapsed:9.0f} ops/s  (p95 {p95:.1f} ms)")


def _median_ms(label: str, runs: int, action: Callable[[], object]) -> None:
    times = []
    answer = None
    for _ in range(runs):
        started = time.perf_counter()
        answer = action()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    print(f"{label:<44} {times[len(times) // 2]:9.1f} ms median of {runs}  (answer {answer})")


def _counts(db: pymongo.database.Database, count: int) -> None:
    """count_documents and a $match+$group aggregation on ``count`` documents."""
    db.counted.drop()
    db.counted.create_index("site")
    for start in range(0, count, 5000):
        db.counted.insert_many(
            [
                {"site": f"site-{i % 20}", "severity": i % 3 + 1, "n": i}
                for i in range(start, min(start + 5000, count))
            ]
        )
    _median_ms(f"count_documents({{}}) on {count}", 9, lambda: db.counted.count_documents({}))
    _median_ms(
        "count_documents({site: ...}) (indexed)",
        9,
        lambda: db.counted.count_documents({"site": "site-7"}),
    )
    pipeline = [
        {"$match": {"site": "site-7"}},
        {"$group": {"_id": "$severity", "n": {"$sum": 1}}},
    ]
    _median_ms(
        "aggregate $match (indexed) + $group",
        5,
        lambda: sorted((d["_id"], d["n"]) for d in db.counted.aggregate(pipeline)),
    )


def _task_cycles(db, grown: int) -> None:
    tasks = db.cycle_tasks
    tasks.create_index("task_id", unique=True)
    tasks.create_index("status")

    def cycle(n: int) -> None:
        tasks.insert_one({"task_id": f"t-{n}", "status": "waiting"})
        tasks.count_documents({"status": {"$in": ["waiting", "running"]}})
        tasks.update_one({"task_id": f"t-{n}"}, {"$set": {"status": "running"}})
        tasks.find_one({"task_id": f"t-{n}"})
        tasks.update_one({"task_id": f"t-{n}"}, {"$set": {"status": "stopped"}})

    def median_ms(start: int) -> float:
        samples = []
        for n in range(start, start + 100):
            began = time.perf_counter()
            cycle(n)
            samples.append((time.perf_counter() - began) * 1000)
        return sorted(samples)[len(samples) // 2]

    tasks.insert_many([{"task_id": f"s-{n}", "status": "stopped"} for n in range(400)])
    small = median_ms(0)
    tasks.insert_many([{"task_id": f"g-{n}", "status": "stopped"} for n in range(grown - 500)])
    large = median_ms(100)
    print(
        f"task cycle: median {small:.1f} ms with 500 tasks, {large:.1f} ms with {grown:,}: "
        f"ratio {large / small:.2f} (target <= 1.5)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--count-docs", type=int, default=50_000)
    parser.add_argument("--cycle-docs", type=int, default=16_000)
    options = parser.parse_args()
    count = options.docs
    with tempfile.TemporaryDirectory(prefix="mongo-bench-") as tmp:
        process, port = _start(Path(tmp) / "data", Path(tmp) / "standin.log")
        client = _client(port)
        try:
            db = client[constants.MONGO_DATABASE]
            db.bench.create_index("alertId", unique=True)
            _rate(
                "insert_one (unique index, fsync per write)",
                count,
                lambda i: db.bench.insert_one({"alertId": f"a-{i}", "severity": i % 3 + 1}),
            )
            batches = [[{"k": i * 100 + j} for j in range(100)] for i in range(count // 100)]
            _rate(
                "insert_many x100 (docs/s = ops/s x 100)",
                len(batches),
                lambda i: db.plain.insert_many(batches[i]),
            )
            _rate(
                f"find_one by field ({count} docs)",
                min(count, 500),
                lambda i: db.bench.find_one({"alertId": f"a-{i}"}),
            )
            _rate("find_one by _id", min(count, 500), lambda i: db.plain.find_one({"k": i}))
            _rate(
                "find 100 docs (sort, limit)",
                200,
                lambda i: list(db.bench.find().sort("alertId", -1).limit(100)),
            )
            db.concurrent.create_index("alertId", unique=True)
            _concurrent(port, options.clients, max(count // options.clients, 1))
            _counts(db, options.count_docs)
            _task_cycles(db, options.cycle_docs)
        finally:
            client.close()
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=10)


if __name__ == "__main__":
    main()
