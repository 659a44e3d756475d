"""``python -m twin.mongo``: the twin's ``mongodb`` workload, or a standalone stand-in.

Without arguments it reads the twin directory (``$FOCUS_TWIN_DIR``): port and TLS port
from ``endpoints.json`` (the TLS one presents the twin's ``server.pem``), user and
password from ``secrets.json``, data under ``data/mongodb``. With ``--port`` it runs
standalone, without TLS; the password of ``--user`` comes from ``$TWIN_MONGO_PASSWORD``
(never from argv). It runs in the foreground, logs one line per connection event to
stdout, and exits 0 on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from contract import constants
from twin import config
from twin.mongo.journal import DataDirLocked
from twin.mongo.server import MongoStandin, server_tls_context

PASSWORD_ENV = "TWIN_MONGO_PASSWORD"
log = logging.getLogger("twin.mongo")


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m twin.mongo", description=__doc__)
    parser.add_argument("--port", type=int, help="TCP port on 127.0.0.1 (0 = any free port)")
    parser.add_argument("--data-dir", type=Path, help="where the data is kept (none = memory)")
    parser.add_argument("--user", help=f"user to create; password from ${PASSWORD_ENV}")
    parser.add_argument("--auth-db", default=constants.MONGO_AUTH_SOURCE)
    return parser.parse_args(argv)


def _standin(options: argparse.Namespace) -> MongoStandin:
    """Build the stand-in from the CLI options, or from the twin directory."""
    if options.port is None:
        endpoints, secrets = config.load_endpoints(), config.load_secrets()
        tls_port = endpoints["mongo"].get("tls_port")
        return MongoStandin(
            port=endpoints["mongo"]["port"],
            data_dir=config.workload_dir(constants.MONGODB_WORKLOAD),
            users={secrets["mongo_user"]: secrets["mongo_password"]},
            auth_db=endpoints["mongo"].get("auth_source", constants.MONGO_AUTH_SOURCE),
            tls=None
            if tls_port is None
            else server_tls_context(Path(endpoints["server_cert"]), Path(endpoints["server_key"])),
            tls_port=tls_port or 0,
        )
    users = {}
    if options.user:
        password = os.environ.get(PASSWORD_ENV)
        if not password:
            raise SystemExit(f"--user needs the password in ${PASSWORD_ENV}")
        users[options.user] = password
    return MongoStandin(options.port, options.data_dir, users, options.auth_db)


async def _run(standin: MongoStandin) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    port = await standin.start()
    log.info("mongo stand-in listening on 127.0.0.1:%d", port)
    if standin.tls_port is not None:
        log.info("mongo stand-in listening with TLS on 127.0.0.1:%d", standin.tls_port)
    await stop.wait()
    log.info("stopping: closing connections and flushing the journal")
    await standin.stop()
    log.info("stopped")


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        stream=sys.stdout, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )
    try:
        asyncio.run(_run(_standin(_parse(argv))))
    except (DataDirLocked, config.TwinNotRunning, OSError) as error:
        log.error("cannot start: %s", error)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
