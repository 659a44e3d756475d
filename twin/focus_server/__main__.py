"""``python -m twin.focus_server``: the twin's Focus Server over HTTPS, in the foreground.

Reads ``$FOCUS_TWIN_DIR`` (endpoints, secrets, certificate); logs one line per request
to stdout; exits cleanly on SIGTERM (uvicorn's graceful shutdown stops every job).
"""

from __future__ import annotations

import logging
import signal
import ssl
import sys

import uvicorn

from twin import config as twin_config
from twin.focus_server.app import create_app
from twin.focus_server.settings import from_twin
from twin.request_context import RequestIdFilter


def main() -> int:
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stdout,
        format="%(asctime)s %(levelname)s %(name)s %(message)s%(rid)s",
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(RequestIdFilter())
    endpoints = twin_config.load_endpoints()
    config = uvicorn.Config(
        create_app(from_twin()),
        host=twin_config.HOST,
        port=endpoints["focus"]["port"],
        ssl_certfile=endpoints["server_cert"],
        ssl_keyfile=endpoints["server_key"],
        access_log=False,
        log_config=None,
        loop="asyncio",
        http="h11",
        timeout_graceful_shutdown=5,
        timeout_keep_alive=30,
    )
    config.load()
    assert config.ssl is not None  # load() builds it from ssl_certfile above
    # TLS 1.2 or newer only (contract section 2, decided).
    config.ssl.minimum_version = ssl.TLSVersion.TLSv1_2
    server = uvicorn.Server(config)
    # uvicorn re-raises the signal it caught once it has shut down gracefully; with this
    # handler in place that re-raise is a no-op and the process exits 0.
    signal.signal(signal.SIGTERM, lambda *_: None)
    server.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
