"""``create_app(settings)``: the Focus Server ASGI application."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

from fastapi import FastAPI
from pymongo.errors import PyMongoError

from contract import constants
from twin.focus_server import (
    API_PREFIX,
    VERSION,
    errors,
    openapi,
    routes_auth_health,
    routes_fibre,
    routes_tasks,
)
from twin.focus_server.auth import RateLimiter, TokenSigner
from twin.focus_server.lifecycle import TaskManager
from twin.focus_server.liveview import routes as liveview
from twin.focus_server.middleware import (
    AccessLogMiddleware,
    BodyLimitMiddleware,
    SecurityHeadersMiddleware,
)
from twin.focus_server.runtime import Runtime
from twin.focus_server.settings import Settings
from twin.focus_server.store import TaskStore, ensure_indexes

log = logging.getLogger("focus_server")

PREPARE_RETRY_S = 1.0
# Start-up waits (at most this long) for indexes and task recovery, unless a first
# MongoDB failure says it is unreachable: then it serves (health says so) and retries.
STARTUP_MAX_S = 30.0
THREADS = 64


def _prepare(state: Runtime) -> None:
    for conflict in ensure_indexes(state.db):
        log.warning("index kept as it is: %s", conflict)


async def _start(state: Runtime, failure: asyncio.Event) -> None:
    """Indexes and task recovery; retried until MongoDB answers (``failure`` set)."""
    while True:
        try:
            await asyncio.to_thread(_prepare, state)
            recovered = await state.manager.recover()
        except PyMongoError as error:
            failure.set()
            log.warning("MongoDB not ready (%s); retrying", type(error).__name__)
            await asyncio.sleep(PREPARE_RETRY_S)
            continue
        if recovered:
            log.info("restarted the jobs of %d tasks", recovered)
        return


def create_app(settings: Settings) -> FastAPI:
    """The application; its lifespan prepares MongoDB and stops every job at shutdown."""
    db = settings.database()
    state = Runtime(
        settings=settings,
        db=db,
        manager=TaskManager(settings, TaskStore(db)),
        signer=TokenSigner(
            settings.token_signing_key.encode(), settings.token_ttl_s, settings.clock
        ),
        limiter=RateLimiter(settings.rate_per_s, settings.rate_burst),
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(THREADS))
        failure = asyncio.Event()
        starting = asyncio.create_task(_start(state, failure))
        failed = asyncio.create_task(failure.wait())
        await asyncio.wait(
            {starting, failed}, timeout=STARTUP_MAX_S, return_when=asyncio.FIRST_COMPLETED
        )
        failed.cancel()
        consumer = settings.alert_consumer(db) if settings.alert_consumer else None
        if consumer:
            consumer.start(wait=None)  # it reconnects by itself while RabbitMQ is not up
        try:
            yield
        finally:
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starting
            if consumer:
                await asyncio.to_thread(consumer.stop)
            await state.manager.shutdown()

    app = FastAPI(
        title="Focus Server (twin)",
        version=VERSION,
        lifespan=lifespan,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.focus = state
    errors.install(app)
    app.include_router(routes_auth_health.router, prefix=API_PREFIX)
    app.include_router(routes_fibre.router, prefix=API_PREFIX)
    app.include_router(routes_tasks.router, prefix=API_PREFIX)
    liveview.install(app, state)
    app.add_middleware(BodyLimitMiddleware, limit=constants.MAX_BODY_BYTES)
    openapi.install(app, API_PREFIX)
    app.add_middleware(SecurityHeadersMiddleware, api_prefix=API_PREFIX)
    app.add_middleware(AccessLogMiddleware)
    return app
