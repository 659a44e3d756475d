"""Keywords for queues: declare, bind, delete, purge, count, and wait for a message."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from assertionengine import AssertionOperator, int_str_verify_assertion
from robot.api import logger
from robot.api.deco import keyword

from contract import constants
from libraries.common.connections import ConnectionRegistry
from libraries.common.polling import poll_assertion
from libraries.common.redact import redact
from libraries.rabbitmq.client import Message
from libraries.rabbitmq.keywords.base import POLL_S, Connection, LibraryComponent
from libraries.safety import own_data

TEST_QUEUE_EXPIRES = timedelta(minutes=10)
TEST_QUEUE_MAX_LENGTH = 10_000
REJECTED_WATCH_PREFIX = "test.rejected."


class QueueNotOwned(RuntimeError):
    """A queue keyword was asked to act on a queue that is not the test's own."""

    ROBOT_SUPPRESS_NAME = True


def scoped_queue_arguments(expires: timedelta, max_length: int) -> dict[str, int]:
    """The arguments every test queue carries: it expires when unused for ``expires`` (also
    after a killed run) and never holds more than ``max_length`` messages (oldest dropped)."""
    milliseconds = int(expires.total_seconds() * 1000)
    if milliseconds <= 0 or max_length <= 0:
        raise ValueError("a test queue needs a positive expiry and a positive max length")
    return {"x-expires": milliseconds, "x-max-length": max_length}


class QueueKeywords(LibraryComponent):
    """Queues the tests create, and reading messages from them."""

    def __init__(self, connections: ConnectionRegistry[Connection]) -> None:
        super().__init__(connections)
        self._rejected_watch: dict[int, str] = {}  # id(client) -> its private rejected queue

    @own_data("declare a test queue")
    @keyword
    def declare_queue(
        self,
        name: str,
        durable: bool = False,
        expires: timedelta = TEST_QUEUE_EXPIRES,
        max_length: int = TEST_QUEUE_MAX_LENGTH,
    ) -> str:
        """Declare the test queue ``name``; it is deleted at `Close All RabbitMQ Connections`.

        Every queue a test declares is test-scoped, also when the run is killed:

        - not ``durable`` (the default): *exclusive*, so the broker deletes it when this
          library's connection closes, however the run ends;
        - ``durable=True`` (a queue that must survive a broker restart, for the outage
          tests): neither exclusive nor auto-delete, since the broker removes those at a
          restart; its ``x-expires`` removes it once unused, also after a killed run;
        - always ``x-expires`` (``expires``, default 10 minutes unused) and
          ``x-max-length`` (``max_length`` messages, the oldest dropped beyond it), so a
          queue bound to a live exchange can neither outlive the run nor grow without end.

        Give test queues a unique name (a uuid or ``${PABOTQUEUEINDEX}``). Returns the name.

        | ${queue} = | `Declare Queue` | test.alerts.${PABOTQUEUEINDEX} |
        | ${queue} = | `Declare Queue` | test.restart.${suffix} | durable=${True} | expires=30 min |

        Returns the queue name.
        """
        arguments = scoped_queue_arguments(expires, max_length)
        self.client.declare_queue(
            name,
            durable=durable,
            auto_delete=False,
            exclusive=not durable,
            arguments=arguments,
        )
        kind = "durable, expiring" if durable else "exclusive"
        logger.info(f"Declared test queue {name!r} ({kind}, {arguments})")
        return name

    @own_data("bind a test queue")
    @keyword
    def bind_queue(
        self,
        queue: str,
        exchange: str = constants.ALERT_EXCHANGE,
        routing_key: str = constants.ALERT_ROUTING_KEY,
    ) -> None:
        """Bind the test queue ``queue`` (one `Declare Queue` declared) to ``exchange`` with
        ``routing_key`` (default: the alert route). Other queues are refused: a binding on
        someone else's queue changes what they receive.

        | `Bind Queue` | ${queue} | prisma | Algorithm.# |
        """
        self._require_own(queue, "bind")
        self.client.bind_queue(queue, exchange, routing_key)

    @own_data("delete a test queue")
    @keyword
    def delete_queue(self, name: str) -> None:
        """Delete the test queue ``name`` (one `Declare Queue` declared); other queues are
        refused.

        | `Delete Queue` | ${queue} |
        """
        self._require_own(name, "delete")
        self.client.delete_queue(name)
        for key, watch in list(self._rejected_watch.items()):
            if watch == name:
                del self._rejected_watch[key]

    def _require_own(self, queue: str, verb: str) -> None:
        if queue not in self.client.declared:
            raise QueueNotOwned(
                f"Refused to {verb} queue {queue!r}: it is not a test queue of this connection "
                "(declare one with 'Declare Queue'). Tests never change or read queues that "
                "others use."
            )

    @own_data("declare a private queue beside the rejected-alerts queue")
    @keyword
    def watch_rejected_alerts(
        self,
        exchange: str = constants.ALERT_REJECTED_EXCHANGE,
        routing_key: str = constants.ALERT_REJECTED_ROUTING_KEY,
    ) -> str:
        """Bind a private test queue beside the real rejected-alerts queue; returns its name.

        The focus server publishes each rejection to ``exchange`` with ``routing_key``
        (contract section 3); the real ``prisma.alerts.rejected`` queue is bound there, and
        so is this exclusive queue (see `Declare Queue`). `Wait For Rejected Alert` reads
        it: the real queue, which others read, is never touched. Call it before publishing
        what should be rejected: a queue only receives what is published after it is bound.
        Idempotent: the current connection's watch is reused while it exists.

        | `Watch Rejected Alerts` |
        | ${id} = | `Publish Raw Message` | not json |
        | `Wait For Rejected Alert` | ${id} |

        Returns the private queue's name, e.g. ``test.rejected.3fa9c2d1e0b4...``.
        """
        if not exchange:
            raise QueueNotOwned(
                "Refused to read rejected alerts: this environment routes them through the "
                "default exchange, so only the real rejected queue holds them, and tests "
                "never read that. Set ALERT_REJECTED_EXCHANGE and ALERT_REJECTED_ROUTING_KEY "
                "to the exchange and routing key the focus server publishes rejections with."
            )
        client = self.client
        watch = self._rejected_watch.get(id(client))
        if watch is not None and watch in client.declared and client.queue_exists(watch):
            return watch
        if watch is not None and watch in client.declared:
            client.declared.remove(watch)  # gone with a dropped connection (exclusive)
        watch = self.declare_queue(f"{REJECTED_WATCH_PREFIX}{uuid.uuid4().hex}")
        client.bind_queue(watch, exchange, routing_key)
        self._rejected_watch[id(client)] = watch
        logger.info(f"Watching rejected alerts ({exchange!r}/{routing_key!r}) in {watch!r}")
        return watch

    @own_data("read the private rejected-alerts queue")
    @keyword
    def wait_for_rejected_alert(
        self, message_id: str, timeout: timedelta = timedelta(seconds=5)
    ) -> dict[str, Any]:
        """The rejection of the message ``message_id``, read from the private queue of
        `Watch Rejected Alerts` (never from the real rejected queue); fails after
        ``timeout`` saying what it saw. Returns the message as `Wait For Message` does.

        | ${rejection} = | `Wait For Rejected Alert` | ${alert}[message_id] |
        """
        watch = self._rejected_watch.get(id(self.client))
        if watch is None or watch not in self.client.declared:
            raise QueueNotOwned(
                "No private rejected-alerts queue on this connection: call 'Watch Rejected "
                "Alerts' before publishing what should be rejected"
            )
        return self.wait_for_message(watch, message_id=message_id, timeout=timeout)

    @own_data("purge a test queue")
    @keyword
    def purge_queue(self, name: str) -> int:
        """Remove every ready message of ``name``; returns how many were removed.

        | ${removed} = | `Purge Queue` | ${queue} |

        Returns how many messages were removed, e.g. ``3``.
        """
        self._require_own(name, "purge")
        removed = self.client.purge_queue(name)
        logger.info(f"Purged {removed} message(s) from {name!r}")
        return removed

    @keyword
    def queue_should_exist(self, name: str, durable: bool | None = None) -> dict[str, Any]:
        """Queue ``name`` exists (management API), durable or not when ``durable`` is given;
        returns its description.

        | `Queue Should Exist` | prisma.alerts.rejected | durable=${True} |

        Returns the queue as the management API describes it (a dict with ``name``,
        ``durable``, ``auto_delete``, ``messages``, ``consumers``, ...).
        """
        vhost = self.client.endpoint.vhost
        found = self.management.queue(name, vhost)
        if found is None:
            raise AssertionError(f"Queue {name!r} does not exist in vhost {vhost!r}")
        if durable is not None and found.get("durable") != durable:
            actual = found.get("durable")
            raise AssertionError(f"Queue {name!r} has durable={actual}, not {durable}")
        return found

    @keyword
    def get_queue_consumer_count(
        self,
        queue: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
        timeout: timedelta | None = None,
    ) -> int:
        """Consumers of ``queue`` (management API); with an operator, asserts, retrying until
        ``timeout`` (default: the assertion timeout, see `Set Assertion Timeout`; the
        management API's statistics lag a few seconds). A missing queue counts 0 consumers.

        | `Get Queue Consumer Count` | focus-server.alerts | >= | 1 |

        Returns the number, e.g. ``1``.
        """
        vhost = self.client.endpoint.vhost

        def read() -> int:
            found = self.management.queue(queue, vhost)
            return 0 if found is None else int(found.get("consumers") or 0)

        returned: int = poll_assertion(
            read,
            assertion_operator,
            assertion_expected,
            f"Consumer count of {queue!r}",
            message,
            timeout=timeout,
            interval=POLL_S,
            verify=int_str_verify_assertion,
        )
        return returned

    @keyword
    def get_queue_message_count(
        self,
        queue: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
        timeout: timedelta | None = None,
    ) -> int:
        """Ready messages in ``queue`` (its depth); with an operator, asserts, retrying until
        it holds or ``timeout`` passes (default: the assertion timeout, see
        `Set Assertion Timeout`).

        | ${count} = | `Get Queue Message Count` | ${queue} |
        | `Get Queue Message Count` | ${queue} | ``==`` | 0 |
        | `Get Queue Message Count` | ${queue} | ``==`` | 20 | timeout=30s |

        Returns the number, e.g. ``20``.
        """
        returned: int = poll_assertion(
            lambda: self.client.message_count(queue),
            assertion_operator,
            assertion_expected,
            f"Message count of {queue!r}",
            message,
            timeout=timeout,
            interval=POLL_S,
            verify=int_str_verify_assertion,
        )
        return returned

    @own_data("read a test queue")
    @keyword
    def wait_for_message(
        self,
        queue: str,
        contains: str | None = None,
        message_id: str | None = None,
        predicate: str | None = None,
        timeout: timedelta = timedelta(seconds=5),
    ) -> dict[str, Any]:
        """Consume from the test queue ``queue`` until a message matches every given condition;
        return it. Only the test's own queues (`Declare Queue`, `Watch Rejected Alerts`) are
        read: reading a queue others use would take or reorder their messages.

        Conditions: the body ``contains`` a text, the ``message_id`` property equals one,
        and the Python expression ``predicate`` is true, evaluated with ``body`` (text),
        ``json`` (parsed body or None), ``headers`` (dict) and ``message_id``. The matching
        message is consumed; the others stay in the queue (they are requeued). On timeout it
        fails saying what it waited for and which messages it saw.

        The result is a dict: ``body``, ``json``, ``headers``, ``message_id``,
        ``correlation_id``, ``routing_key``, ``content_type``.

        | ${message} = | `Wait For Message` | ${queue} | contains=${alert}[alertId] |
        | ${message} = | `Wait For Message` | ${queue} | message_id=${id} |
        | ${message} = | `Wait For Message` | ${queue} | predicate=json and json['severity'] == 3 |

        Returns, e.g.:

        | {"body": '{"reason": "out_of_range", "field": "severity", ...}',
        |  "json": {"reason": "out_of_range", "field": "severity", "original": {...}},
        |  "headers": {"x-reject-reason": "out_of_range"}, "message_id": "5b0e7c1e-...",
        |  "correlation_id": None, "routing_key": "prisma.alerts.rejected",
        |  "content_type": "application/json"}
        """
        self._require_own(queue, "read")
        conditions = [
            f"containing {contains!r}" if contains is not None else "",
            f"with message_id {message_id!r}" if message_id is not None else "",
            f"where {predicate}" if predicate is not None else "",
        ]
        what = " and ".join(text for text in conditions if text) or "at all"

        def matches(candidate: Message) -> bool:
            if contains is not None and contains not in candidate.text:
                return False
            if message_id is not None and candidate.message_id != message_id:
                return False
            return predicate is None or bool(_evaluate(predicate, candidate))

        found = self.client.wait_for_message(queue, matches, timeout.total_seconds(), what)
        logger.info(f"Took from {queue!r}: {redact(found.summary(500))}")
        return {
            "body": found.text,
            "json": found.json,
            "headers": found.headers,
            "message_id": found.message_id,
            "correlation_id": found.correlation_id,
            "routing_key": found.routing_key,
            "content_type": found.content_type,
        }


def _evaluate(expression: str, message: Message) -> Any:
    """Evaluate a test's predicate over one message (as BuiltIn ``Evaluate`` would)."""
    names = {
        "body": message.text,
        "json": message.json,
        "headers": message.headers,
        "message_id": message.message_id,
    }
    return eval(expression, {"__builtins__": __builtins__}, names)
