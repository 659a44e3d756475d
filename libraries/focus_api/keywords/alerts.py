"""Keywords for the alerts the Focus Server lists (``GET /alerts``)."""

from __future__ import annotations

from robot.api.deco import keyword

from libraries.focus_api.keywords.base import (
    LibraryComponent,
    body_of,
    check_status,
    items_of,
    parse,
)
from libraries.focus_api.models import Alert, parse_utc


class AlertKeywords(LibraryComponent):
    """`Get Alerts` and the order the contract asks of them."""

    @keyword
    def get_alerts(
        self,
        since: str | None = None,
        class_id: int | None = None,
        severity: int | None = None,
        limit: int | None = None,
    ) -> list[dict]:
        """``GET /alerts`` with optional filters and page size ``limit`` (the server's
        default page without it); newest first, each checked against the contract.

        | ${alerts} = | `Get Alerts` | class_id=104 | severity=3 |
        | ${page} = | `Get Alerts` | since=${since} | limit=2 |
        """
        response = self.client.alerts(since=since, classId=class_id, severity=severity, limit=limit)
        check_status(response, 200)
        items = items_of(body_of(response), "alerts")
        return [
            parse(Alert, item, "an alert of GET /alerts").model_dump(by_alias=True)
            for item in items
        ]

    @keyword
    def alerts_should_be_newest_first(
        self, alerts: list[dict], not_before: str | None = None
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
    def alert_ids_should_be_newest_first(self, listed_ids: list[str], *alerts: dict) -> None:
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
