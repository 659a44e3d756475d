"""Keywords for queues: declare, bind, delete, purge, count, and wait for a message."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from assertionengine import AssertionOperator, int_str_verify_assertion
from robot.api import logger
from robot.api.deco import keyword

from contract import constants
from libraries.common.polling import poll_assertion
from libraries.rabbitmq.client import Message
from libraries.rabbitmq.keywords.base import POLL_S, LibraryComponent
from libraries.safety import disruptive, own_data, shared


class QueueKeywords(LibraryComponent):
    """Queues the tests create, and reading messages from any queue."""

    @own_data("declare a test queue")
    @keyword
    def declare_queue(self, name: str, durable: bool = False, auto_delete: bool = False) -> str:
        """Declare queue ``name``; it is deleted at `Close All RabbitMQ Connections`.

        Give test queues a unique name (a uuid or ``${PABOTQUEUEINDEX}``). Returns the name.

        | ${queue} = | `Declare Queue` | test.alerts.${PABOTQUEUEINDEX} |

        Returns the queue name.
        """
        self.client.declare_queue(name, durable=durable, auto_delete=auto_delete)
        logger.info(f"Declared queue {name!r} (durable={durable})")
        return name

    @own_data("bind a test queue")
    @keyword
    def bind_queue(
        self,
        queue: str,
        exchange: str = constants.ALERT_EXCHANGE,
        routing_key: str = constants.ALERT_ROUTING_KEY,
    ) -> None:
        """Bind ``queue`` to ``exchange`` with ``routing_key`` (default: the alert route).

        | `Bind Queue` | ${queue} | prisma | Algorithm.# |
        """
        self.client.bind_queue(queue, exchange, routing_key)

    @shared("delete a queue by name")
    @keyword
    def delete_queue(self, name: str) -> None:
        """Delete queue ``name``.

        | `Delete Queue` | ${queue} |
        """
        self.client.delete_queue(name)

    @disruptive("purge a queue")
    @keyword
    def purge_queue(self, name: str) -> int:
        """Remove every ready message of ``name``; returns how many were removed.

        | ${removed} = | `Purge Queue` | ${queue} |

        Returns how many messages were removed, e.g. ``3``.
        """
        removed = self.client.purge_queue(name)
        logger.info(f"Purged {removed} message(s) from {name!r}")
        return removed

    @keyword
    def queue_should_exist(self, name: str, durable: bool | None = None) -> dict:
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

        return poll_assertion(
            read,
            assertion_operator,
            assertion_expected,
            f"Consumer count of {queue!r}",
            message,
            timeout=timeout,
            interval=POLL_S,
            verify=int_str_verify_assertion,
        )

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
        return poll_assertion(
            lambda: self.client.message_count(queue),
            assertion_operator,
            assertion_expected,
            f"Message count of {queue!r}",
            message,
            timeout=timeout,
            interval=POLL_S,
            verify=int_str_verify_assertion,
        )

    @own_data("read messages from a test queue")
    @keyword
    def wait_for_message(
        self,
        queue: str,
        contains: str | None = None,
        message_id: str | None = None,
        predicate: str | None = None,
        timeout: timedelta = timedelta(seconds=5),
    ) -> dict:
        """Consume from ``queue`` until a message matches every given condition; return it.

        Conditions: the body ``contains`` a text, the ``message_id`` property equals one,
        and the Python expression ``predicate`` is true, evaluated with ``body`` (text),
        ``json`` (parsed body or None), ``headers`` (dict) and ``message_id``. The matching
        message is consumed; the others stay in the queue (they are requeued), so parallel
        tests do not take each other's messages. On timeout it fails saying what it waited
        for and which messages it saw.

        The result is a dict: ``body``, ``json``, ``headers``, ``message_id``,
        ``correlation_id``, ``routing_key``, ``content_type``.

        | ${message} = | `Wait For Message` | ${queue} | contains=${alert}[alertId] |
        | ${message} = | `Wait For Message` | prisma.alerts.rejected | message_id=${id} |
        | ${message} = | `Wait For Message` | ${queue} | predicate=json and json['severity'] == 3 |

        Returns, e.g.:

        | {"body": '{"reason": "out_of_range", "field": "severity", ...}',
        |  "json": {"reason": "out_of_range", "field": "severity", "original": {...}},
        |  "headers": {"x-reject-reason": "out_of_range"}, "message_id": "5b0e7c1e-...",
        |  "correlation_id": None, "routing_key": "prisma.alerts.rejected",
        |  "content_type": "application/json"}
        """
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
        logger.info(f"Took from {queue!r}: {found.summary(500)}")
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
