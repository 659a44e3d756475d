"""Shared state and helpers of the FocusApi keyword components."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, TypeVar
from urllib.parse import quote

import requests
from pydantic import BaseModel, ValidationError
from robot.api import logger

from libraries import safety
from libraries.common.connections import ConnectionRegistry, registry_field
from libraries.common.running_test import running_test
from libraries.focus_api.client import Exchange, FocusClient
from libraries.focus_api.ledger import TaskLedger
from libraries.focus_api.models import ErrorBody

LOG_LIMIT = 2048
M = TypeVar("M", bound=BaseModel)


@dataclass
class FocusState:
    """Connections by alias, the current one, and every task the library created."""

    connections: ConnectionRegistry[FocusClient] = registry_field(
        "Focus Server",
        "call 'Connect To Focus Server' (or the resource's 'Connect To Focus API')",
    )
    tasks: dict[str, str] = field(default_factory=dict)  # task_id -> connection alias
    created: set[str] = field(default_factory=set)  # every task this run created, stopped too
    # each connection's session for `Send Raw Request` (closed with the connection)
    raw_sessions: dict[FocusClient, requests.Session] = field(default_factory=dict)
    ledger: TaskLedger = field(default_factory=TaskLedger)  # the same, on disk (killed runs)


class LibraryComponent:
    """Base of a keyword component: access to the shared state and common checks."""

    def __init__(self, state: FocusState) -> None:
        self.state = state

    @property
    def client(self) -> FocusClient:
        return self.state.connections.current

    def register_task(self, task_id: str) -> None:
        self.state.tasks[task_id] = self.state.connections.current_alias or ""
        self.state.created.add(task_id)
        self.state.ledger.add(self.client.base_url, task_id, running_test())

    def require_own_task(self, task_id: str, action: str) -> None:
        """A task this library did not create (another user's, or an unknown id) may be
        changed only where and when a ``shared`` action may: off the twin that needs a test
        tagged ``shared`` (and ``ALLOW_SHARED=production`` on production).

        A task this run created and has since stopped stays its own (a stopped task's 409 is
        checked on production too), and so does an id the server knows no task by: its
        ``GET /ack`` answers 404, so the change reaches no one's task (asked only where the
        change would otherwise be refused)."""
        if task_id in self.state.tasks or task_id in self.state.created:
            return
        if safety.refusal(safety.running_test_tags(), safety.SHARED) and (
            self.client.ack(quote(task_id, safe="")).status_code == HTTPStatus.NOT_FOUND
        ):
            return
        safety.refuse(safety.SHARED, f"{action} {task_id}, a task this run did not create")

    def forget_task(self, task_id: str, client: FocusClient | None = None) -> None:
        """The server says the task is gone: off the list and the ledger."""
        self.state.tasks.pop(task_id, None)
        self.state.ledger.remove((client or self.client).base_url, task_id)


def truncate(value: Any, limit: int = LOG_LIMIT) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def log_exchange(exchange: Exchange) -> None:
    """Log one request/response at INFO, bodies truncated (never any header)."""
    body = "" if exchange.request_body is None else f"\nrequest: {truncate(exchange.request_body)}"
    logger.info(
        f"{exchange.method} {exchange.url} -> {exchange.status} "
        f"in {exchange.elapsed_s * 1000:.0f} ms{body}\nresponse: {truncate(exchange.response_text)}"
    )


def items_of(body: Any, key: str) -> list[Any]:
    """A list body, or the list under ``key`` of an object body."""
    if isinstance(body, dict) and isinstance(body.get(key), list):
        returned: list[Any] = body[key]
        return returned
    if isinstance(body, list):
        return body
    raise AssertionError(f"expected a list of {key}, got {str(body)[:300]}")


def body_of(response: requests.Response) -> Any:
    """The JSON body, or the text when it is not JSON."""
    try:
        return response.json()
    except ValueError:
        return response.text


def check_status(
    response: requests.Response,
    expected_status: int | str,
    error_code: str | None = None,
    error_field: str | None = None,
    error_body: bool = True,
) -> None:
    """Assert the status (``any`` accepts every status) and, for errors, the error body.

    ``error_body=False`` for endpoints whose error answers have their own shape
    (``/health`` answers 503 with a degraded health body).
    """
    what = f"{response.request.method} {response.request.path_url}"
    if str(expected_status).lower() != "any" and response.status_code != int(expected_status):
        raise AssertionError(
            f"{what} answered {response.status_code}, expected {expected_status}: "
            f"{truncate(response.text, 500)}"
        )
    if response.status_code < 400 or not error_body:
        return
    error = parse(ErrorBody, body_of(response), f"error body of {what}").error
    if error_code is not None and error.code != error_code:
        raise AssertionError(f"{what}: error code is '{error.code}', expected '{error_code}'")
    if error_field is not None and error.field != error_field:
        raise AssertionError(
            f"{what}: error field is {error.field!r}, expected '{error_field}' "
            f"(message: {error.message})"
        )


def parse(model: type[M], body: Any, what: str) -> M:
    """Validate ``body`` against ``model``; fail with the contract violations, one a line."""
    try:
        return model.model_validate(body)
    except ValidationError as error:
        problems = "\n".join(
            f"  {'.'.join(str(p) for p in item['loc']) or '(body)'}: {item['msg']}"
            for item in error.errors()
        )
        raise AssertionError(
            f"{what} does not match the contract:\n{problems}\nbody: {truncate(body, 500)}"
        ) from None
