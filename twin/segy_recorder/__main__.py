"""``python -m twin.segy_recorder``: the twin's SEG-Y recorder, in the foreground.

Reads the MongoDB endpoint and credentials from ``$FOCUS_TWIN_DIR``; writes files
under ``data/segy-recorder/recordings/``. SIGTERM (or SIGINT) closes the current
recording, then exits with status 0.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from datetime import timedelta
from types import FrameType

from pymongo import MongoClient
from pymongo.errors import ConnectionFailure

from contract import constants
from twin import config
from twin.segy_recorder.recorder import Recorder, RecorderSettings
from twin.segy_recorder.schema import ensure_schema

CONNECT_TIMEOUT_MS = 5000
MONGO_WAIT_S = 60.0
log = logging.getLogger("segy-recorder")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m twin.segy_recorder", description=__doc__)
    parser.add_argument("--cadence", type=float, default=10.0, help="seconds per live recording")
    parser.add_argument("--channels", type=int, default=8, help="traces per SEG-Y file")
    parser.add_argument("--samples", type=int, default=4000, help="samples per trace")
    parser.add_argument(
        "--history-days", type=float, default=3.0, help="history seeded at first start"
    )
    parser.add_argument(
        "--seed-tasks", type=int, default=24, help="past tasks seeded at first start"
    )
    parser.add_argument(
        "--seed-alerts", type=int, default=40, help="past alerts seeded at first start"
    )
    return parser.parse_args(argv)


def connect() -> MongoClient:
    """An authenticated client of the twin's MongoDB (timeouts on every operation)."""
    endpoints, secrets = config.load_endpoints(), config.load_secrets()
    return MongoClient(
        host=config.HOST,
        port=endpoints["mongo"]["port"],
        username=secrets["mongo_user"],
        password=secrets["mongo_password"],
        authSource=endpoints["mongo"].get("auth_source", constants.MONGO_AUTH_SOURCE),
        serverSelectionTimeoutMS=CONNECT_TIMEOUT_MS,
        connectTimeoutMS=CONNECT_TIMEOUT_MS,
        socketTimeoutMS=CONNECT_TIMEOUT_MS * 2,
        tz_aware=True,
    )


def wait_for_mongo(client: MongoClient, stop: threading.Event) -> bool:
    """Wait (up to ``MONGO_WAIT_S``) until MongoDB answers, as a pod waits for its database."""
    deadline = time.monotonic() + MONGO_WAIT_S
    while not stop.is_set():
        try:
            client[constants.MONGO_DATABASE].command("ping")
            return True
        except ConnectionFailure as error:
            if time.monotonic() >= deadline:
                log.error("MongoDB unreachable for %.0f s: %s", MONGO_WAIT_S, type(error).__name__)
                return False
            log.info("waiting for MongoDB (%s)", type(error).__name__)
            stop.wait(1.0)
    return False


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(
        stream=sys.stdout,
        level=logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: closing the current recording", signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    settings = RecorderSettings(
        root=config.workload_dir(constants.SEGY_RECORDER_WORKLOAD),
        cadence=timedelta(seconds=args.cadence),
        channel_count=args.channels,
        samples=args.samples,
        history=timedelta(days=args.history_days),
        seed_tasks=args.seed_tasks,
        seed_alerts=args.seed_alerts,
    )
    client = connect()
    try:
        if not wait_for_mongo(client, stop):
            return 1
        db = client[config.load_endpoints()["mongo"].get("database", constants.MONGO_DATABASE)]
        ensure_schema(db)
        Recorder(db, settings, stop).run()
    finally:
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
