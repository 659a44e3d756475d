"""Keywords for the alerts the Focus Server lists (``GET /alerts``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from assertionengine import AssertionOperator
from robot.api import logger
from robot.api.deco import keyword

from libraries.common.docs import ALERT_CLASSES, ALERT_EXAMPLE, shows
from libraries.common.polling import assertion_timeout, poll_assertion, wait_until
from libraries.focus_api.keywords.base import (
    LibraryComponent,
    body_of,
    check_status,
    items_of,
    parse,
)
from libraries.focus_api.models import Alert, parse_utc

ALERT_POLL = timedelta(milliseconds=100)
BURST_POLL = timedelta(milliseconds=200)
LARGEST_PAGE = 1000  # the largest page GET /alerts?limit= serves


class AlertKeywords(LibraryComponent):
    """`Get Alerts`, `Get Alert` and the order the contract asks of them."""

    @shows(ALERT_CLASSES=ALERT_CLASSES, ALERT_EXAMPLE=ALERT_EXAMPLE)
    @keyword
    def get_alert(
        self,
        alert: dict[str, Any] | str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
        timeout: timedelta | None = None,
        since: str | None = None,
    ) -> dict[str, Any] | None:
        """The alert as ``GET /alerts`` lists it, or ``None`` when it is not listed; with an
        assertion, polls until it holds.

        ``alert`` is an alert dict (as `Publish Alert` returns: the search is narrowed to
        its ``alertTime``, ``classId`` and ``severity``) or an ``alertId`` (then give
        ``since``: ``GET /alerts`` answers one page, newest first). With an operator the
        list is read every 100 ms until the assertion holds or ``timeout`` passes
        (default: the assertion timeout, see `Set Assertion Timeout`): ``!=`` ``${None}``
        waits until the alert is listed, ``==`` ``${None}`` until it is not.

        | ${found} = | `Get Alert` | ${alert} | != | ${None} | timeout=2s |
        | `Get Alert` | ${alert_id} | ``==`` | ${None} | since=${since} |
        | ${found} = | `Get Alert` | ${alert} |

        Class ids and severities (contract section 3):

        %ALERT_CLASSES%

        Returns the listed alert as a dict, or ``None``:

        %ALERT_EXAMPLE%
        """
        alert_id = str(alert["alertId"]) if isinstance(alert, dict) else str(alert)
        # The largest page: the API lists newest first without a cursor, and under pabot
        # another suite's burst of newer alerts pushes the alert off the default page of 100.
        filters: dict[str, Any] = {"since": since, "limit": LARGEST_PAGE}
        if isinstance(alert, dict):
            filters = {
                "since": since or alert.get("alertTime"),
                "class_id": alert.get("classId"),
                "severity": alert.get("severity"),
                "limit": LARGEST_PAGE,
            }

        def read() -> dict[str, Any] | None:
            listed = self.get_alerts(**filters)
            return next((item for item in listed if item["alertId"] == alert_id), None)

        returned: dict[str, Any] | None = poll_assertion(
            read,
            assertion_operator,
            assertion_expected,
            f"Alert {alert_id} in GET /alerts",
            message,
            timeout=timeout,
            interval=ALERT_POLL,
        )
        return returned

    @shows(ALERT_CLASSES=ALERT_CLASSES, ALERT_EXAMPLE=ALERT_EXAMPLE)
    @keyword
    def get_alerts(
        self,
        since: str | None = None,
        class_id: int | None = None,
        severity: int | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """``GET /alerts`` with optional filters and page size ``limit`` (the server's
        default page without it); newest first, each checked against the contract.
        It reads once: `Get Alert` waits for one alert.

        | ${alerts} = | `Get Alerts` | class_id=104 | severity=3 |
        | ${page} = | `Get Alerts` | since=${since} | limit=2 |

        Filter by class with the class id, not its name:

        %ALERT_CLASSES%

        Returns a list of alert dicts, newest first:

        %ALERT_EXAMPLE%
        """
        response = self.client.alerts(since=since, classId=class_id, severity=severity, limit=limit)
        check_status(response, 200)
        items = items_of(body_of(response), "alerts")
        return [
            parse(Alert, item, "an alert of GET /alerts").model_dump(by_alias=True)
            for item in items
        ]

    @keyword
    def alerts_should_be_listed_exactly_once(
        self,
        ids: list[str] | dict[str, list[str]],
        since: str | None = None,
        timeout: timedelta | None = None,
        limit: int = 1000,
    ) -> int:
        """Every alert id of ``ids`` is listed by ``GET /alerts`` exactly once (none lost,
        none stored twice); reads every 200 ms until that holds or ``timeout`` passes
        (default: the assertion timeout, see `Set Assertion Timeout`).

        ``ids`` is a list of ``alertId`` values, or a dict from a kind ``classId:severity``
        (``104:2``) to the ids of that kind: each kind is then read with its class and
        severity filters, so a page of ``limit`` alerts holds only that kind. ``since``
        (ISO-8601) narrows every read to the alerts of the test. The failure names each
        kind with how many are missing and how many are listed twice, and a few ids.
        Returns how many ids were checked.

        | `Alerts Should Be Listed Exactly Once` | ${ids} | since=${since} |
        | `Alerts Should Be Listed Exactly Once` | ${ids_by_kind} | since=${since} | timeout=30s |

        Returns, e.g., ``300``.
        """
        by_kind = ids if isinstance(ids, dict) else {"": ids}
        wanted = {kind: [str(item) for item in listed] for kind, listed in by_kind.items()}

        def problems() -> list[str]:
            found = []
            for kind, kind_ids in wanted.items():
                filters = _kind_filters(kind) if kind else {}
                listed = [
                    alert["alertId"]
                    for alert in self.get_alerts(since=since, limit=limit, **filters)
                ]
                counts: dict[str, int] = {}
                for alert_id in listed:
                    counts[alert_id] = counts.get(alert_id, 0) + 1
                missing = [alert_id for alert_id in kind_ids if alert_id not in counts]
                twice = [alert_id for alert_id in kind_ids if counts.get(alert_id, 0) > 1]
                if missing or twice:
                    found.append(
                        f"{kind or 'alerts'}: {len(missing)} of {len(kind_ids)} missing "
                        f"{missing[:3]}, {len(twice)} listed more than once {twice[:3]}"
                    )
            return found

        total = sum(len(kind_ids) for kind_ids in wanted.values())
        wait_until(
            problems,
            lambda found: not found,
            what=f"{total} alert(s) listed exactly once by GET /alerts",
            timeout=assertion_timeout(timeout),
            interval=BURST_POLL,
            describe=lambda found: "; ".join(found),
        )
        logger.info(f"{total} alert(s) listed exactly once")
        return total

    @keyword
    def alerts_should_be_newest_first(
        self, alerts: list[dict[str, Any]], not_before: str | None = None
    ) -> None:
        """Each alert's ``alertTime`` is at or before the one listed above it (contract: newest
        first); with ``not_before`` (ISO-8601), none is older than that instant.

        | ${alerts} = | `Get Alerts` | since=${since} |
        | `Alerts Should Be Newest First` | ${alerts} |
        """
        times = [parse_utc(str(alert["alertTime"])) for alert in alerts]
        misplaced = [
            f"#{index} {alerts[index]['alertTime']} after #{index - 1} "
            f"{alerts[index - 1]['alertTime']}"
            for index in range(1, len(times))
            if times[index] > times[index - 1]
        ]
        if misplaced:
            raise AssertionError(f"GET /alerts is not newest first: {', '.join(misplaced[:5])}")
        if not_before is not None:
            floor = parse_utc(not_before)
            pairs = zip(alerts, times, strict=True)
            older = [alert["alertId"] for alert, at in pairs if at < floor]
            if older:
                raise AssertionError(
                    f"{len(older)} listed alert(s) older than {not_before}, although newer "
                    f"ones were left out of the page: {older[:5]}"
                )

    @keyword
    def alert_ids_should_be_newest_first(
        self, listed_ids: list[str], *alerts: dict[str, Any]
    ) -> None:
        """``listed_ids`` (alert ids in the order a list shows them, e.g. the liveView panel's
        rows of one site) are exactly the ids of ``alerts``, newest ``alertTime`` first.

        | ${ids} = | Get Attribute Of Each | ${rows} | data-alert-id |
        | `Alert Ids Should Be Newest First` | ${ids} | ${older} | ${newer} |
        """
        expected = [
            str(alert["alertId"])
            for alert in sorted(
                alerts, key=lambda alert: parse_utc(str(alert["alertTime"])), reverse=True
            )
        ]
        listed = [str(alert_id) for alert_id in listed_ids]
        if listed != expected:
            raise AssertionError(
                f"Not listed newest first: listed {listed}, expected {expected} "
                f"(alertTime: {[str(alert['alertTime']) for alert in alerts]})"
            )

    @keyword
    def get_alert_ids(self, alerts: list[dict[str, Any]], site_id: str | None = None) -> list[str]:
        """The ``alertId`` of each alert of ``alerts`` (a list as `Get Alerts` returns), in
        the listed order; with ``site_id``, of that site's alerts only. Reads nothing.

        | ${listed} = | `Get Alerts` | since=${since} |
        | ${ids} = | `Get Alert Ids` | ${listed} | site_id=${SITE_ID} |

        Returns e.g. ``["5b0e7c1e-...", "a81c2f0d-..."]``.
        """
        return [
            str(alert["alertId"])
            for alert in alerts
            if site_id is None or alert.get("siteId") == site_id
        ]

    @keyword
    def stored_alert_should_match(self, found: dict[str, Any], alert: dict[str, Any]) -> None:
        """The listed alert ``found`` has the ``alertId``, ``classId``, ``severity``, ``dofM``
        and ``siteId`` of the published ``alert``, the same ``alertTime`` as an instant (to
        the millisecond: MongoDB stores milliseconds) and is not acknowledged.

        | ${found} = | `Get Alert` | ${alert} | != | ${None} |
        | `Stored Alert Should Match` | ${found} | ${alert} |
        """
        problems = [
            f"{name}: listed {found.get(name)!r}, published {alert.get(name)!r}"
            for name in ("alertId", "classId", "severity", "dofM", "siteId")
            if found.get(name) != alert.get(name)
        ]
        listed_time = parse_utc(str(found.get("alertTime")))
        sent_time = parse_utc(str(alert.get("alertTime")))
        if abs((listed_time - sent_time).total_seconds()) >= 0.001:
            problems.append(
                f"alertTime: listed {found.get('alertTime')}, published {alert.get('alertTime')}"
            )
        if found.get("acknowledged") is not False:
            problems.append(f"acknowledged: {found.get('acknowledged')!r}, expected False")
        if problems:
            raise AssertionError(
                f"Alert {alert.get('alertId')} is listed with other values: " + "; ".join(problems)
            )

    @keyword
    def alerts_of_site_should_be_exactly(
        self, listed: list[dict[str, Any]], site_id: str, *expected: dict[str, Any]
    ) -> None:
        """Of the site ``site_id``, ``listed`` holds exactly the alerts ``expected``, in that
        order: none left out, none more (other sites' alerts are ignored).

        | ${listed} = | `Get Alerts` | since=${since} |
        | `Alerts Of Site Should Be Exactly` | ${listed} | ${SITE_ID} | ${newest} | ${older} |
        """
        ids = self.get_alert_ids(listed, site_id=site_id)
        wanted = [str(alert["alertId"]) for alert in expected]
        if ids != wanted:
            raise AssertionError(
                f"Alerts of site {site_id} listed differ from the expected ones: listed "
                f"{ids}, expected {wanted}"
            )

    @keyword
    def alerts_should_be_listed_in_this_order(
        self, listed: list[dict[str, Any]], *expected: dict[str, Any]
    ) -> None:
        """The alerts ``expected`` all appear in ``listed`` in this order (others may be
        between them).

        | ${listed} = | `Get Alerts` | since=${since} |
        | `Alerts Should Be Listed In This Order` | ${listed} | ${newest} | ${older} |
        """
        wanted = [str(alert["alertId"]) for alert in expected]
        chosen = set(wanted)
        seen = [alert_id for alert_id in self.get_alert_ids(listed) if alert_id in chosen]
        if seen != wanted:
            raise AssertionError(
                f"Alerts not listed in this order (newest first): listed {seen}, expected {wanted}"
            )


def _kind_filters(kind: str) -> dict[str, Any]:
    """``"104:2"`` (classId:severity, as `Publish Alert Burst` keys its ids) as filters."""
    class_id, _, severity = kind.partition(":")
    try:
        return {"class_id": int(class_id), "severity": int(severity) if severity else None}
    except ValueError:
        raise ValueError(
            f"an alert kind is 'classId:severity' (e.g. 104:2), got {kind!r}"
        ) from None
