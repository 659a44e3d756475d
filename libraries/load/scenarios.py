"""Locust user classes of the load scenarios. Imported only by the engine's child process
(Locust patches the process with gevent on import); never import this from Robot.

Every user reads its target from :data:`TARGET`, which the engine fills in before the
runner starts: ``base_url``, ``ca_bundle``, ``user``, ``password``, ``amqp`` and
``run_id`` (alerts carry ``siteId = <site_id>.<run_id>`` so their test can delete them).

Every task a user creates goes into the task ledger (:data:`LEDGER`, set by the engine)
under the Robot test that started the run, and leaves it once the server says it is
stopped: a task the run could not stop is named with its test, and the Robot process's
teardown stops it.
"""

from __future__ import annotations

import json
import ssl
import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import gevent
from locust import User, between, constant, constant_pacing, constant_throughput, task
from locust.contrib.fasthttp import FastHttpUser
from locust.exception import StopUser

from libraries.focus_api.ledger import TaskLedger
from libraries.focus_api.models import PAYLOAD_DEFAULTS, build_payload

if TYPE_CHECKING:  # imported where used, in the engine's process only
    import requests
    from locust.contrib.fasthttp import FastResponse
    from locust.env import Environment
    from pika.adapters.blocking_connection import BlockingChannel, BlockingConnection

TARGET: dict[str, Any] = {}
# Requests started in this process; ``TARGET["max_requests"]`` (per process) bounds them.
STARTED = {"count": 0}
# Tasks this process created and has not deleted yet: the engine deletes what is left.
LIVE_TASKS: set[str] = set()
# The task ledger and the Robot test of this run (the engine sets both); None: not kept.
LEDGER: dict[str, Any] = {"ledger": None, "test": ""}
# Once the run stops, the tasks deleted from then on: the engine waits until their slots
# are free before it reports (a teardown returns only when its capacity is free).
CLOSING: dict[str, Any] = {"on": False, "deleted": []}
# Below the per-token rate limit (200/s): a load test measures, it does not trip the limiter.
PER_USER_RATE = 100
RUNNING_TIMEOUT_S = 30.0
# How long a stopped task may take to free its slot (the twin: at once).
FREE_TIMEOUT_S = 30.0
FINAL_STATUSES = ("completed", "failed", "stopped")
# The seeds' default Live task, with the server's default overlap (nfft / 2) written out.
CONFIGURE_BODY = build_payload(overlap=PAYLOAD_DEFAULTS["nfft"] // 2)


def _ssl_context() -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=TARGET.get("ca_bundle") or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class FocusUser(FastHttpUser):
    """Base of the HTTP scenarios: TLS verified against the environment's CA, one token per user."""

    abstract = True
    insecure = False
    ssl_context_factory = staticmethod(_ssl_context)
    network_timeout = 30.0
    connection_timeout = 10.0
    needs_token = True
    wait_time = constant(0)

    def __init__(self, environment: Environment) -> None:
        self.host = TARGET["base_url"]
        super().__init__(environment)
        self.auth: dict[str, str] = {}

    def on_start(self) -> None:
        if not self.needs_token:
            return
        body = {"username": TARGET["user"], "password": TARGET["password"]}
        with self.client.post("/auth/token", json=body, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"login answered {response.status_code}")
                raise gevent.GreenletExit  # this user cannot do anything without a token
            self.auth = {"Authorization": f"Bearer {response.json()['access_token']}"}


class HealthUser(FocusUser):
    """``GET /health`` as fast as it answers (no token)."""

    needs_token = False

    @task
    def health(self) -> None:
        self.client.get("/health")


class ChannelsUser(FocusUser):
    """``GET /channels`` (2,222 channels), each user at most 100 requests/s (one token
    each; the rate limit is per token)."""

    wait_time = constant_throughput(PER_USER_RATE)

    @task
    def channels(self) -> None:
        self.client.get("/channels", headers=self.auth)


class TaskUser(FocusUser):
    """configure -> metadata -> stop, one task at a time per user (users <= MaxWindows)."""

    wait_time = between(0.05, 0.15)

    @task
    def configure_metadata_stop(self) -> None:
        response = self.client.post("/configure", json=CONFIGURE_BODY, headers=self.auth)
        if response.status_code != 200:
            return
        task_id = response.json()["task_id"]
        _created(task_id)
        try:
            self.client.get(f"/metadata/{task_id}", headers=self.auth, name="/metadata/{task_id}")
        finally:
            _delete(self, task_id)


# The flood's /configure requests sent and not answered yet (this process's users).
FLOOD = {"in_flight": 0}
# How long a stopping user holds its task for the others' answers (below the engine's
# graceful stop, 20 s, after which Locust kills the users and the engine deletes).
HOLD_TIMEOUT_S = 15.0


class ConfigureOnceUser(FocusUser):
    """One ``POST /configure`` per user, all at once (PZ-13986): the task is held until
    every user's answer is in, then deleted. A ``503 CAPACITY_EXCEEDED`` with
    ``Retry-After`` is the contract's answer, not a failure; anything else but 200 is.

    "All at once" holds on a slow machine too: a user that stops while other users'
    requests are still in flight keeps its slot until they are answered (at most
    :data:`HOLD_TIMEOUT_S`), and no user asks once the run is stopping. Otherwise a slot
    freed at the stop goes to a late request, and more than MaxWindows are accepted. The
    count is per process: run this scenario with ``workers=0``.
    """

    wait_time = constant(1)

    def on_start(self) -> None:
        super().on_start()
        self.task_id: str | None = None
        self.asked = False

    @task
    def configure_once(self) -> None:
        if self.asked:
            return
        self.asked = True
        if CLOSING["on"]:
            return  # the run is stopping: a slot freed now would go to this request
        FLOOD["in_flight"] += 1
        try:
            with self.client.post(
                "/configure", json=CONFIGURE_BODY, headers=self.auth, catch_response=True
            ) as response:
                if response.status_code == 200:
                    task_id: str = response.json()["task_id"]
                    self.task_id = task_id
                    _created(task_id)
                elif response.status_code == 503 and _capacity_refusal(response):
                    response.success()
                else:
                    response.failure(f"answered {response.status_code}")
        finally:
            FLOOD["in_flight"] -= 1

    def on_stop(self) -> None:
        if not self.task_id:
            return
        deadline = time.monotonic() + HOLD_TIMEOUT_S
        while FLOOD["in_flight"] > 0 and time.monotonic() < deadline:
            gevent.sleep(0.05)
        _delete(self, self.task_id)
        self.task_id = None


def _delete(user: FocusUser, task_id: str) -> None:
    response = user.client.request(
        "DELETE", f"/task/{task_id}", headers=user.auth, name="/task/{task_id}"
    )
    if response.status_code in (200, 404):
        _gone(task_id)


def _verify() -> str | bool:
    """The CA to verify against, given per call: ``REQUESTS_CA_BUNDLE`` in the environment
    would beat a session's ``verify``."""
    return TARGET.get("ca_bundle") or True


def _server() -> str:
    return str(TARGET["base_url"]).rstrip("/")  # the key the FocusApi library uses


def _created(task_id: str) -> None:
    LIVE_TASKS.add(task_id)
    ledger: TaskLedger | None = LEDGER["ledger"]
    if ledger is not None:
        ledger.add(_server(), task_id, LEDGER["test"])


def _gone(task_id: str) -> None:
    """The server says the task is stopped (or unknown): off the list and the ledger."""
    LIVE_TASKS.discard(task_id)
    if CLOSING["on"]:
        CLOSING["deleted"].append(task_id)
    ledger: TaskLedger | None = LEDGER["ledger"]
    if ledger is not None:
        ledger.remove(_server(), task_id)


def stop_leftover_tasks(free_timeout_s: float = FREE_TIMEOUT_S) -> list[str]:
    """Delete the tasks the stopped users left behind (killed mid-cycle), then wait until
    every task deleted since the run began to stop has freed its slot (``GET /ack`` says
    neither waiting nor running). Returns ``id (reason)`` of each task not stopped or
    still holding its slot after ``free_timeout_s``; those stay in the task ledger."""
    if not LIVE_TASKS and not CLOSING["deleted"]:
        return []
    import requests

    login = {"username": TARGET["user"], "password": TARGET["password"]}
    base = _server()
    session = requests.Session()
    try:
        token = session.post(f"{base}/auth/token", json=login, timeout=10, verify=_verify())
        session.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
    except (requests.RequestException, ValueError, KeyError) as error:
        reason = f"no token to stop it: {type(error).__name__}"
        return [f"{task_id} ({reason})" for task_id in sorted(LIVE_TASKS | set(CLOSING["deleted"]))]
    failed = []
    for task_id in sorted(LIVE_TASKS):
        try:
            answer = session.delete(f"{base}/task/{task_id}", timeout=10, verify=_verify())
        except requests.RequestException as error:
            failed.append(f"{task_id} (DELETE failed: {type(error).__name__})")
            continue
        if answer.status_code in (200, 404):
            _gone(task_id)
        else:
            failed.append(f"{task_id} (DELETE answered {answer.status_code})")
    return failed + _still_active(session, base, CLOSING["deleted"], free_timeout_s)


def _ack_status(session: requests.Session, base: str, task_id: str) -> str:
    """The task's status by ``GET /ack``: ``gone`` when unknown, else why it is not known."""
    import requests

    try:
        answer = session.get(f"{base}/ack/{task_id}", timeout=10, verify=_verify())
    except requests.RequestException as error:
        return f"unknown (GET /ack failed: {type(error).__name__})"
    if answer.status_code == 404:
        return "gone"
    try:
        return str(answer.json()["status"])
    except (ValueError, KeyError, TypeError):
        return f"unknown (GET /ack answered {answer.status_code})"


def _still_active(
    session: requests.Session, base: str, task_ids: list[str], timeout_s: float
) -> list[str]:
    """``id (status)`` of the tasks still waiting or running after ``timeout_s``."""

    pending = list(dict.fromkeys(task_ids))
    deadline = time.monotonic() + timeout_s
    while True:
        active = {}
        for task_id in pending:
            status = _ack_status(session, base, task_id)
            if status not in (*FINAL_STATUSES, "gone"):
                active[task_id] = status
        pending = list(active)
        if not pending or time.monotonic() >= deadline:
            return [
                f"{task_id} (still {status} {timeout_s:g} s after its stop)"
                for task_id, status in active.items()
            ]
        time.sleep(0.25)


def _capacity_refusal(response: FastResponse) -> bool:
    try:
        code = response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return False
    headers = response.headers
    return code == "CAPACITY_EXCEEDED" and headers is not None and bool(headers.get("Retry-After"))


class WaterfallUser(FocusUser):
    """One running Live task per user, whose waterfall it polls; the task stops at the end."""

    wait_time = between(0.1, 0.3)

    def on_start(self) -> None:
        super().on_start()
        self.task_id: str | None = None
        response = self.client.post("/configure", json=CONFIGURE_BODY, headers=self.auth)
        if response.status_code != 200:
            raise gevent.GreenletExit
        self.task_id = response.json()["task_id"]
        _created(self.task_id)
        deadline = time.monotonic() + RUNNING_TIMEOUT_S
        while time.monotonic() < deadline:
            ack = self.client.get(f"/ack/{self.task_id}", headers=self.auth, name="/ack/{task_id}")
            if ack.status_code == 200 and ack.json().get("status") == "running":
                return
            gevent.sleep(0.2)

    @task
    def waterfall(self) -> None:
        self.client.get(
            f"/waterfall/{self.task_id}?rows=10", headers=self.auth, name="/waterfall/{task_id}"
        )

    def on_stop(self) -> None:
        if self.task_id:
            _delete(self, self.task_id)
            self.task_id = None


class AlertPublisher(User):
    """Publishes valid alerts to exchange ``prisma`` (routing key ``Algorithm.AlertReport``)
    over pika with publisher confirms; each publish is one request named after the key."""

    wait_time = constant(0)

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        self.connection: BlockingConnection | None = None
        self.channel: BlockingChannel | None = None

    def on_start(self) -> None:
        import pika

        amqp = TARGET["amqp"]
        tls = pika.SSLOptions(_ssl_context(), server_hostname=amqp["host"])
        parameters = pika.ConnectionParameters(
            host=amqp["host"],
            port=amqp["port"],
            virtual_host=amqp.get("vhost", "/"),
            credentials=pika.PlainCredentials(amqp["user"], amqp["password"]),
            ssl_options=tls if amqp.get("tls") else None,
            blocked_connection_timeout=30,
            socket_timeout=10,
        )
        self.connection = connection = pika.BlockingConnection(parameters)
        self.channel = channel = connection.channel()
        channel.confirm_delivery()

    @task
    def publish(self) -> None:
        import pika

        limit = TARGET.get("max_requests")
        if limit is not None and STARTED["count"] >= limit:
            raise StopUser
        STARTED["count"] += 1
        amqp = TARGET["amqp"]
        alert = {
            "alertId": str(uuid.uuid4()),
            "classId": 104,
            "severity": 2,
            "dofM": 1000,
            "alertTime": datetime.now(UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "siteId": amqp["site_id"],
        }
        started = time.perf_counter()
        error = None
        try:
            if self.channel is None:
                raise RuntimeError("on_start opened no channel")
            self.channel.basic_publish(
                exchange=amqp["exchange"],
                routing_key=amqp["routing_key"],
                body=json.dumps(alert).encode(),
                properties=pika.BasicProperties(
                    content_type="application/json", delivery_mode=2, message_id=alert["alertId"]
                ),
                mandatory=True,
            )
        except Exception as problem:  # every failure is a failed request
            error = problem
        self.environment.events.request.fire(
            request_type="AMQP",
            name=f"publish {amqp['routing_key']}",
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=error,
            context={},
        )

    def on_stop(self) -> None:
        if self.connection and self.connection.is_open:
            self.connection.close()


def paced(user_class: type[User], pace_s: float) -> type[User]:
    """``user_class`` with Locust's ``constant_pacing(pace_s)``: each user starts one
    iteration every ``pace_s`` seconds, however long its requests took (a slow answer
    does not lower the rate the users ask for)."""
    return type(user_class.__name__, (user_class,), {"wait_time": constant_pacing(pace_s)})


SCENARIOS: dict[str, type[User]] = {
    "health": HealthUser,
    "channels": ChannelsUser,
    "tasks": TaskUser,
    "waterfall": WaterfallUser,
    "configure_flood": ConfigureOnceUser,
    "alerts": AlertPublisher,
}
