"""Keywords that build and publish alerts (contract section 3) and raw messages."""

from __future__ import annotations

import functools
import json
import statistics
import threading
import time
from datetime import timedelta
from typing import Any

from pydantic import ValidationError
from robot.api import logger
from robot.api.deco import keyword
from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError

from contract import constants
from libraries.common.docs import ALERT_CLASSES, shows
from libraries.common.polling import wait_until
from libraries.common.redact import redact
from libraries.common.sites import require_test_site
from libraries.rabbitmq.client import RabbitMQClient
from libraries.rabbitmq.keywords.base import LibraryComponent
from libraries.rabbitmq.models import build_alert, valid_alert
from libraries.safety import disruptive, own_data, shared

LATENCY_POLL_S = 0.002


def _site_id() -> str:
    """``${SITE_ID}`` of the running test, or the twin's constant outside Robot."""
    try:
        return str(BuiltIn().get_variable_value("${SITE_ID}", constants.SITE_ID))
    except RobotNotRunningError:
        return constants.SITE_ID


def _site_of(body: bytes | str | dict[str, Any] | list[Any]) -> Any:
    """The ``siteId`` of a JSON object body (None for anything else)."""
    if isinstance(body, bytes | str):
        try:
            body = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return None
    return body.get("siteId") if isinstance(body, dict) else None


def _encode(body: bytes | str | dict[str, Any] | list[Any]) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, dict | list):
        return json.dumps(body).encode("utf-8")
    return str(body).encode("utf-8")


def _percentile(values: list[float], percent: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


class PublishingKeywords(LibraryComponent):
    """Alerts (valid or deliberately not), raw messages, bursts and concurrent publishers."""

    @shows(ALERT_CLASSES=ALERT_CLASSES)
    @keyword
    def build_alert(self, drop: str | list[str] | None = None, **fields: Any) -> dict[str, Any]:
        """An alert dict with fresh defaults and ``fields`` as given, NOT validated.

        For invalid alerts on purpose; publish it with `Publish Raw Message`. Defaults: a
        uuid ``alertId``, ``classId`` 104, ``severity`` 3, ``dofM`` 4120, ``alertTime`` now
        (UTC), ``siteId`` from ``${SITE_ID}``. ``drop`` removes fields (a name or a list).
        Values keep their Robot types: ``severity=${4}`` is a number, ``severity=4`` a string.

        | ${alert} = | `Build Alert` | severity=${0} |
        | ${alert} = | `Build Alert` | drop=dofM |
        | ${alert} = | `Build Alert` | classId=104 | # classId is the string "104": wrong type |

        Class ids and severities:

        %ALERT_CLASSES%

        Returns the alert dict, e.g.:

        | {"alertId": "5b0e7c1e-2f4d-4f7a-9a51-0c6a3c1d8e21", "classId": 104, "severity": 3,
        |  "dofM": 4120, "alertTime": "2026-11-22T08:00:00.125Z",
        |  "siteId": "prisma-210-1000.3fa9c2d1e0b4"}
        """
        names = [drop] if isinstance(drop, str) else list(drop or [])
        fields.setdefault("siteId", _site_id())
        return build_alert(drop=tuple(names), **fields)

    @keyword
    def build_oversized_alert_body(self, size: int = constants.MAX_BODY_BYTES) -> str:
        """A valid alert (`Build Alert`'s defaults) padded with a ``padding`` field of
        ``size`` characters: JSON text of more than ``size`` bytes (default 1 MiB).

        | ${body} = | `Build Oversized Alert Body` |
        | ${id} = | `Publish Raw Message` | ${body} |
        """
        alert = self.build_alert()
        return json.dumps({**alert, "padding": "x" * size})

    @own_data("publish an alert under the test's site id")
    @shows(ALERT_CLASSES=ALERT_CLASSES)
    @keyword
    def publish_alert(self, **fields: Any) -> dict[str, Any]:
        """Publish one valid alert (persistent, confirmed) to ``prisma``, ``Algorithm.AlertReport``.

        The alert is built and validated by the pydantic ``Alert`` model: the defaults of
        `Build Alert`, ``fields`` override them (``"103"`` is converted to ``103``). An
        invalid value fails here; use `Build Alert` and `Publish Raw Message` on purpose.
        The environment's real site id is refused: a test's alerts carry its own (the
        resource keyword ``Use A Test Site`` sets ``${SITE_ID}``). Returns the alert (a dict).

        | ${alert} = | `Publish Alert` |
        | ${alert} = | `Publish Alert` | classId=103 | severity=1 | dofM=0 |

        Class ids and severities:

        %ALERT_CLASSES%

        Returns the alert as published, e.g.:

        | {"alertId": "5b0e7c1e-2f4d-4f7a-9a51-0c6a3c1d8e21", "classId": 104, "severity": 3,
        |  "dofM": 4120, "alertTime": "2026-11-22T08:00:00.125Z",
        |  "siteId": "prisma-210-1000.3fa9c2d1e0b4"}
        """
        fields.setdefault("siteId", _site_id())
        require_test_site(fields["siteId"], "publish an alert")
        try:
            alert = valid_alert(**fields)
        except ValidationError as error:
            raise ValueError(
                f"not a valid alert ({error.error_count()} error(s)): "
                + "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
                + ". Use 'Build Alert' and 'Publish Raw Message' for invalid alerts."
            ) from None
        self.client.publish(_encode(alert), message_id=alert["alertId"])
        logger.info(f"Published alert {json.dumps(alert)}")
        return alert

    @shared("publish a raw message to any exchange")
    @keyword
    def publish_raw_message(
        self,
        body: bytes | str | dict[str, Any] | list[Any],
        exchange: str = constants.ALERT_EXCHANGE,
        routing_key: str = constants.ALERT_ROUTING_KEY,
        content_type: str = "application/json",
        headers: dict[str, Any] | None = None,
        message_id: str | None = None,
        persistent: bool = True,
    ) -> str:
        """Publish any body (confirmed); returns the message id (a new uuid unless given).

        A dict or list is sent as JSON, a string as UTF-8, bytes as they are: for
        malformed input (not JSON, empty, oversized). The alert consumer copies the
        message id onto its rejection, so `Wait For Message` can find it by ``message_id``.

        | ${id} = | `Publish Raw Message` | not json at all |
        | ${id} = | `Publish Raw Message` | ${EMPTY} |
        | ${id} = | `Publish Raw Message` | ${alert} | headers=${{{"x-test": "1"}}} |

        Returns the message id, e.g. ``5b0e7c1e-2f4d-4f7a-9a51-0c6a3c1d8e21``.
        """
        require_test_site(_site_of(body), "publish a message")
        data = _encode(body)
        sent = self.client.publish(
            data,
            exchange,
            routing_key,
            content_type=content_type or None,
            headers=headers,
            message_id=message_id,
            persistent=persistent,
        )
        preview = redact(data[:200].decode("utf-8", errors="replace"))
        logger.info(f"Published {len(data)} bytes to {exchange!r}/{routing_key!r}: {preview}")
        return sent

    @disruptive("flood the broker with a burst of alerts")
    @keyword
    def publish_alerts(self, count: int, **fields: Any) -> list[str]:
        """Publish ``count`` valid alerts in a burst (persistent, confirmed); returns their ids.

        Each gets a fresh ``alertId``; ``fields`` apply to all (e.g. a test's ``siteId``).

        | ${ids} = | `Publish Alerts` | 1000 | siteId=${site} |

        Returns the list of alert ids.
        """
        fields.setdefault("siteId", _site_id())
        require_test_site(fields["siteId"], "publish a burst of alerts")
        started = time.monotonic()
        ids = _publish_burst(self.client, count, fields)
        _log_rate(len(ids), time.monotonic() - started, "1 publisher")
        return ids

    @disruptive("flood the broker from concurrent publishers")
    @keyword
    def publish_alerts_concurrently(
        self, publishers: int, per_publisher: int, **fields: Any
    ) -> list[str]:
        """``publishers`` connections publish ``per_publisher`` alerts each, at the same time.

        Returns every alertId. Fails if any publisher failed.

        | ${ids} = | `Publish Alerts Concurrently` | 5 | 100 | siteId=${site} |

        Returns the list of alert ids.
        """
        fields.setdefault("siteId", _site_id())
        require_test_site(fields["siteId"], "publish alerts concurrently")
        results: list[list[str]] = [[] for _ in range(publishers)]
        errors: list[str] = []
        start = threading.Barrier(publishers)

        def run(index: int) -> None:
            try:
                client = self.client.clone()
            except Exception as error:
                errors.append(f"publisher {index}: {error}")
                start.abort()
                return
            try:
                start.wait(timeout=30)
                results[index] = _publish_burst(client, per_publisher, fields)
            except Exception as error:
                errors.append(f"publisher {index}: {error}")
            finally:
                client.close()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(publishers)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        if errors or any(thread.is_alive() for thread in threads):
            raise AssertionError(f"concurrent publishing failed: {errors or 'a publisher hung'}")
        ids = [alert_id for chunk in results for alert_id in chunk]
        _log_rate(len(ids), time.monotonic() - started, f"{publishers} publishers")
        return ids

    @disruptive("load the alert pipeline")
    @keyword
    def measure_publish_to_visible_latency(
        self,
        samples: int,
        visible_keyword: str,
        timeout: timedelta = timedelta(seconds=2),
        **fields: Any,
    ) -> dict[str, Any]:
        """Publish ``samples`` alerts one at a time; time each until ``visible_keyword`` sees it.

        ``visible_keyword`` is called with the alert (a dict) until it returns a true value
        (e.g. a resource keyword over ``GET /alerts``). Logs and returns the figures in
        milliseconds: ``p50``, ``p95``, ``max``, ``samples``. It measures, it does not
        assert a speed (the benchmark does); it fails only when an alert is not visible
        within ``timeout``.

        | ${latency} = | `Measure Publish To Visible Latency` | 50 | Alert Is Visible In API |
        """
        fields.setdefault("siteId", _site_id())
        require_test_site(fields["siteId"], "publish alerts for a latency figure")
        builtin = BuiltIn()
        latencies = []
        for _ in range(samples):
            alert = valid_alert(**fields)
            started = time.perf_counter()
            self.client.publish(_encode(alert), message_id=alert["alertId"])
            wait_until(
                functools.partial(builtin.run_keyword, visible_keyword, alert),
                what=f"alert {alert['alertId']} to be visible (according to {visible_keyword!r})",
                timeout=timeout,
                interval=LATENCY_POLL_S,
            )
            latencies.append((time.perf_counter() - started) * 1000)
        figures = {
            "samples": samples,
            "p50": round(_percentile(latencies, 50), 1),
            "p95": round(_percentile(latencies, 95), 1),
            "max": round(max(latencies), 1),
        }
        logger.info(
            f"Publish-to-visible latency over {samples} alerts: p50 {figures['p50']} ms, "
            f"p95 {figures['p95']} ms, max {figures['max']} ms",
            also_console=True,
        )
        return figures


def _publish_burst(client: RabbitMQClient, count: int, fields: dict[str, Any]) -> list[str]:
    ids = []
    for _ in range(count):
        alert = valid_alert(**fields)
        client.publish(_encode(alert), message_id=alert["alertId"])
        ids.append(alert["alertId"])
    return ids


def _log_rate(count: int, seconds: float, who: str) -> None:
    rate = count / seconds if seconds > 0 else float("inf")
    logger.info(f"Published {count} alerts in {seconds:.2f} s ({rate:.0f}/s, {who})")
