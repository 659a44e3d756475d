"""Alert publishing and the alert pipeline against a running twin (contract section 3).

    FOCUS_TWIN_DIR=results/twin .venv/bin/python benchmarks/alerts_throughput.py [--burst 1000]

1. Publish rate (persistent messages, publisher confirms, one at a time) through the
   suite's RabbitMQ client and through raw pika in the same run, to a private queue, so
   the consumer is not involved. Target: the library at >= 0.8x raw pika.
2. ``--paced`` alerts at a steady ``--paced-rate`` to ``prisma`` / ``Algorithm.AlertReport``:
   publish-to-stored latency per alert (``received_at`` in MongoDB minus the publish
   instant), p50/p95. Target (contract section 3): p95 < 100 ms.
3. A burst of ``--burst`` alerts: the same figures (queueing included), and the time until
   ``GET /alerts`` lists the whole burst. Target: within 5 s.

Exits 0 when every target is met, 1 when one is missed or the twin is not up.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid

import pika
import pymongo
import requests
from pymongo.collection import Collection

from contract import constants
from libraries.rabbitmq.client import Endpoint, RabbitMQClient
from libraries.rabbitmq.models import utc_now_iso, valid_alert
from twin import control

RATIO_TARGET = 0.8
P95_TARGET_MS = 100.0
VISIBLE_TARGET_S = 5.0
BENCH_SITE = "benchmark"


def percentile(values: list[float], percent: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


def publish_rate_library(endpoint: Endpoint, queue: str, count: int) -> float:
    client = RabbitMQClient(endpoint).connect()
    try:
        body = json.dumps(valid_alert()).encode()
        started = time.perf_counter()
        for _ in range(count):
            client.publish(body, exchange="", routing_key=queue)
        return count / (time.perf_counter() - started)
    finally:
        client.close()


def publish_rate_raw(endpoint: Endpoint, queue: str, count: int) -> float:
    connection = pika.BlockingConnection(endpoint.parameters())
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        body = json.dumps(valid_alert()).encode()
        started = time.perf_counter()
        for _ in range(count):
            properties = pika.BasicProperties(
                content_type="application/json", delivery_mode=2, message_id=str(uuid.uuid4())
            )
            channel.basic_publish("", queue, body, properties, mandatory=True)
        return count / (time.perf_counter() - started)
    finally:
        connection.close()


def compare_rates(endpoint: Endpoint, count: int, rounds: int = 3) -> bool:
    """Interleave raw and library rounds (machine noise hits both); compare the best of each."""
    admin = RabbitMQClient(endpoint).connect()
    queue = admin.declare_queue(f"benchmark.rate.{uuid.uuid4()}")
    raw, library = [], []
    try:
        for _ in range(rounds):
            raw.append(publish_rate_raw(endpoint, queue, count))
            library.append(publish_rate_library(endpoint, queue, count))
            admin.purge_queue(queue)
    finally:
        admin.close()
    ratio = max(library) / max(raw)
    print(f"publish rate, {count} confirmed persistent messages, best of {rounds}:")
    print(f"  raw pika   {max(raw):8.0f} msg/s")
    print(f"  library    {max(library):8.0f} msg/s   ratio {ratio:.2f} (target >= {RATIO_TARGET})")
    return ratio >= RATIO_TARGET


def mongo_alerts(endpoints: dict, secrets: dict) -> Collection:
    client = pymongo.MongoClient(
        host=endpoints["host"],
        port=endpoints["mongo"]["port"],
        username=secrets["mongo_user"],
        password=secrets["mongo_password"],
        authSource=endpoints["mongo"]["auth_source"],
        tz_aware=True,
        serverSelectionTimeoutMS=5000,
        socketTimeoutMS=30000,
    )
    return client[endpoints["mongo"]["database"]]["alerts"]


class FocusAlerts:
    """``GET /alerts`` over verified HTTPS with a token."""

    def __init__(self, endpoints: dict, secrets: dict) -> None:
        self.base = endpoints["focus"]["base_url"]
        self.session = requests.Session()
        self.ca = endpoints["ca"]  # passed per call: REQUESTS_CA_BUNDLE beats session.verify
        response = self.session.post(
            f"{self.base}/auth/token",
            json={"username": secrets["focus_user"], "password": secrets["focus_password"]},
            timeout=10,
            verify=self.ca,
        )
        response.raise_for_status()
        self.session.headers["Authorization"] = f"Bearer {response.json()['access_token']}"

    def listed(self, since: str, class_id: int, severity: int) -> set[str]:
        params = {"since": since, "classId": class_id, "severity": severity, "limit": 1000}
        response = self.session.get(
            f"{self.base}/alerts", params=params, timeout=10, verify=self.ca
        )
        response.raise_for_status()
        return {alert["alertId"] for alert in response.json()["alerts"]}


def stored_latencies(alerts: Collection, published: dict[str, float]) -> list[float]:
    """Milliseconds from each publish to its ``received_at`` in MongoDB."""
    stored = alerts.find({"alertId": {"$in": list(published)}}, {"alertId": 1, "received_at": 1})
    return [(doc["received_at"].timestamp() - published[doc["alertId"]]) * 1000 for doc in stored]


def paced(alerts: Collection, endpoint: Endpoint, count: int, rate: float) -> bool:
    """Alerts at a steady ``rate``: publish-to-stored p50/p95 against the 100 ms target."""
    client = RabbitMQClient(endpoint).connect()
    published: dict[str, float] = {}
    try:
        for _ in range(count):
            alert = valid_alert(siteId=BENCH_SITE)
            published[alert["alertId"]] = time.time()
            client.publish(json.dumps(alert).encode(), message_id=alert["alertId"])
            time.sleep(1 / rate)
    finally:
        client.close()
    deadline = time.monotonic() + 30
    while alerts.count_documents({"alertId": {"$in": list(published)}}) < count:
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)
    latencies = stored_latencies(alerts, published)
    p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
    print(f"{count} alerts at {rate:.0f}/s, publish-to-stored:")
    print(
        f"  p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  max {max(latencies):.1f} ms"
        f"  stored {len(latencies)}/{count} (target p95 < {P95_TARGET_MS:.0f} ms)"
    )
    return len(latencies) == count and p95 < P95_TARGET_MS


def burst(alerts: Collection, api: FocusAlerts, endpoint: Endpoint, count: int) -> bool:
    """``count`` alerts at once: latency figures, and when GET /alerts lists them all."""
    client = RabbitMQClient(endpoint).connect()
    since = utc_now_iso()
    kinds = [(c, s) for c in constants.ALERT_CLASSES for s in constants.ALERT_SEVERITIES]
    published: dict[str, float] = {}
    missing: dict[tuple[int, int], set[str]] = {kind: set() for kind in kinds}
    started = time.perf_counter()
    try:
        for index in range(count):
            class_id, severity = kinds[index % len(kinds)]
            alert = valid_alert(siteId=BENCH_SITE, classId=class_id, severity=severity)
            published[alert["alertId"]] = time.time()
            client.publish(json.dumps(alert).encode(), message_id=alert["alertId"])
            missing[(class_id, severity)].add(alert["alertId"])
    finally:
        client.close()
    publish_s = time.perf_counter() - started
    deadline = time.perf_counter() + 60
    while any(missing.values()) and time.perf_counter() < deadline:
        for kind in kinds:
            if missing[kind]:
                missing[kind] -= api.listed(since, *kind)
        time.sleep(0.05)
    visible_s = time.perf_counter() - started
    lost = sum(len(ids) for ids in missing.values())
    latencies = stored_latencies(alerts, published)
    p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
    print(f"burst of {count} alerts (published in {publish_s:.2f} s, {count / publish_s:.0f}/s):")
    print(f"  publish-to-stored  p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  max {max(latencies):.1f} ms")
    print(f"  stored {len(latencies)}/{count}, not listed by GET /alerts: {lost}")
    print(
        f"  whole burst listed by GET /alerts {visible_s:.2f} s after the first publish"
        f" (target {VISIBLE_TARGET_S:.0f} s)"
    )
    return not lost and visible_s <= VISIBLE_TARGET_S


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=1000, help="alerts in the burst")
    parser.add_argument("--rate-count", type=int, default=2000, help="messages per rate run")
    parser.add_argument("--paced", type=int, default=200, help="alerts in the paced run")
    parser.add_argument("--paced-rate", type=float, default=50.0, help="alerts/s in the paced run")
    args = parser.parse_args()
    try:
        endpoints, secrets = control.endpoints(), control.secrets()
    except control.TwinNotRunning as error:
        print(error)
        return 1
    endpoint = Endpoint(
        endpoints["host"],
        endpoints["rabbitmq"]["amqp_port"],
        secrets["rabbitmq_user"],
        secrets["rabbitmq_password"],
        vhost=endpoints["rabbitmq"]["vhost"],
    )
    alerts = mongo_alerts(endpoints, secrets)
    print(f"alerts already stored in the twin: {alerts.estimated_document_count()}")
    results = [
        compare_rates(endpoint, args.rate_count),
        paced(alerts, endpoint, args.paced, args.paced_rate),
        burst(alerts, FocusAlerts(endpoints, secrets), endpoint, args.burst),
    ]
    print("targets met" if all(results) else "TARGET MISSED")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
