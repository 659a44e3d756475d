"""Latency of the Focus Server API against a running twin: p50/p95/p99 per endpoint.

    FOCUS_TWIN_DIR=results/twin .venv/bin/python benchmarks/api_latency.py [--samples 200]

Measures ``GET /health``, ``POST /configure`` (each task deleted right after, timed
separately, to free capacity) and ``GET /metadata/{task_id}``, sequentially over one
keep-alive HTTPS connection verified against the twin's CA. Requests are paced below the
per-token rate limit so no 429 distorts the figures. When the twin is not up it says so
in one line and exits 1.
"""

from __future__ import annotations

import argparse
import ssl
import statistics
import sys
import time

import httpx

from libraries.focus_api.models import build_payload
from twin import control

PACE_S = 1 / 150
CONFIGURE_BODY = build_payload()  # the seeds' default Live task


def percentiles(samples_ms: list[float]) -> str:
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return (
        f"p50 {cuts[49]:7.2f} ms  p95 {cuts[94]:7.2f} ms  p99 {cuts[98]:7.2f} ms"
        f"  (n={len(samples_ms)}, max {max(samples_ms):.2f} ms)"
    )


def timed(
    client: httpx.Client, method: str, url: str, expected: int, body: dict | None = None
) -> tuple[float, httpx.Response]:
    """One request: its latency in ms (paced below the rate limit) and its response."""
    started = time.perf_counter()
    response = client.request(method, url, json=body)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != expected:
        raise SystemExit(f"unexpected {response.status_code}: {response.text[:200]}")
    time.sleep(max(0.0, PACE_S - elapsed / 1000))
    return elapsed, response


def connect() -> tuple[httpx.Client, str] | None:
    """An authenticated client on the running twin, or None when it is not up."""
    try:
        endpoints, secrets = control.endpoints(), control.secrets()
    except control.TwinNotRunning:
        return None
    base = endpoints["focus"]["base_url"]
    context = ssl.create_default_context(cafile=endpoints["ca"])
    client = httpx.Client(verify=context, timeout=10)
    credentials = {"username": secrets["focus_user"], "password": secrets["focus_password"]}
    try:
        token = client.post(f"{base}/auth/token", json=credentials).json()["access_token"]
    except (httpx.HTTPError, KeyError, ValueError):
        client.close()
        return None
    client.headers["Authorization"] = f"Bearer {token}"
    return client, base


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    connection = connect()
    if connection is None:
        print(f"the twin is not up in {control.twin_dir()}: start it with 'python -m twin up'")
        return 1
    client, base = connection
    results: dict[str, list[float]] = {"health": [], "configure": [], "delete": [], "metadata": []}
    try:
        for _ in range(args.samples):
            results["health"].append(timed(client, "GET", f"{base}/health", 200)[0])
        for _ in range(max(1, args.samples // 4)):
            elapsed, response = timed(client, "POST", f"{base}/configure", 200, CONFIGURE_BODY)
            results["configure"].append(elapsed)
            task_url = f"{base}/task/{response.json()['task_id']}"
            results["delete"].append(timed(client, "DELETE", task_url, 200)[0])
        task_id = timed(client, "POST", f"{base}/configure", 200, CONFIGURE_BODY)[1].json()[
            "task_id"
        ]
        try:
            for _ in range(args.samples):
                results["metadata"].append(
                    timed(client, "GET", f"{base}/metadata/{task_id}", 200)[0]
                )
        finally:
            client.delete(f"{base}/task/{task_id}")
    finally:
        client.close()
    print(f"Focus Server API latency ({base}, sequential, keep-alive HTTPS)")
    for name, samples in results.items():
        print(f"  {name:10s} {percentiles(samples)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
