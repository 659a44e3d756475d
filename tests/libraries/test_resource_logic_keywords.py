"""Library keywords that took the logic out of resources/ (no server: values in, verdicts out):
the alert set and order checks of FocusApi's alerts component, bodies of an exact size."""

from __future__ import annotations

import pytest

from libraries.focus_api.keywords.alerts import AlertKeywords
from libraries.focus_api.keywords.base import FocusState


def alert(alert_id: str, site: str = "site-a", at: str = "2026-11-22T08:00:00Z", **more) -> dict:
    return {
        "alertId": alert_id,
        "classId": 104,
        "severity": 2,
        "dofM": 4120,
        "alertTime": at,
        "siteId": site,
        "acknowledged": False,
        **more,
    }


@pytest.fixture
def alerts() -> AlertKeywords:
    return AlertKeywords(FocusState())


def test_ids_in_listed_order_and_of_one_site(alerts: AlertKeywords) -> None:
    listed = [alert("a"), alert("x", site="other"), alert("b")]
    assert alerts.get_alert_ids(listed) == ["a", "x", "b"]
    assert alerts.get_alert_ids(listed, site_id="site-a") == ["a", "b"]


def test_site_alerts_exactly_ignores_other_sites_only(alerts: AlertKeywords) -> None:
    listed = [alert("a"), alert("x", site="other"), alert("b")]
    alerts.alerts_of_site_should_be_exactly(listed, "site-a", alert("a"), alert("b"))
    with pytest.raises(AssertionError, match=r"listed \['a', 'b'\], expected \['b', 'a'\]"):
        alerts.alerts_of_site_should_be_exactly(listed, "site-a", alert("b"), alert("a"))
    with pytest.raises(AssertionError, match="expected \\['a'\\]"):  # one more listed
        alerts.alerts_of_site_should_be_exactly(listed, "site-a", alert("a"))


def test_order_allows_others_between_but_not_a_swap_or_a_gap(alerts: AlertKeywords) -> None:
    listed = [alert("a"), alert("x"), alert("b"), alert("c")]
    alerts.alerts_should_be_listed_in_this_order(listed, alert("a"), alert("c"))
    with pytest.raises(AssertionError, match="not listed in this order"):
        alerts.alerts_should_be_listed_in_this_order(listed, alert("c"), alert("a"))
    with pytest.raises(AssertionError, match="not listed in this order"):
        alerts.alerts_should_be_listed_in_this_order(listed, alert("a"), alert("missing"))


def test_stored_alert_matches_to_the_millisecond_and_unacknowledged(alerts: AlertKeywords) -> None:
    sent = alert("a", at="2026-11-22T08:00:00.125Z")
    alerts.stored_alert_should_match(alert("a", at="2026-11-22T08:00:00.125000+00:00"), sent)
    with pytest.raises(AssertionError, match="alertTime: listed"):
        alerts.stored_alert_should_match(alert("a", at="2026-11-22T08:00:00.127Z"), sent)
    with pytest.raises(AssertionError, match="severity: listed 3, published 2"):
        alerts.stored_alert_should_match(alert("a", at=sent["alertTime"], severity=3), sent)
    with pytest.raises(AssertionError, match="acknowledged: True"):
        alerts.stored_alert_should_match(alert("a", at=sent["alertTime"], acknowledged=True), sent)


@pytest.mark.parametrize("size", [11, 12, 1024 * 1024, 1024 * 1024 + 1])
def test_a_json_body_of_exactly_the_size_asked(size: int) -> None:
    import json

    from libraries.security import Security

    body = Security().build_json_of_size(size)
    assert len(body.encode()) == size
    assert set(json.loads(body)) == {"pad"}


def test_an_oversized_alert_body_is_a_whole_alert_padded() -> None:
    import json

    from libraries.rabbitmq import RabbitMQ

    library = RabbitMQ()
    body = library.build_oversized_alert_body(1024)
    parsed = json.loads(body)
    assert len(body.encode()) > 1024
    assert {"alertId", "classId", "severity", "dofM", "alertTime", "siteId"} <= set(parsed)
