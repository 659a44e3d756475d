"""Own data on live systems (issue 20, item 4), the parts that need no broker nor database:
which documents a clean-up may delete, which user failed logins use, and the variables."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from bson import ObjectId

from contract import constants
from libraries import run_environment, safety
from libraries.common import sites
from libraries.environment import UnknownUserMissing, user_for_failed_logins
from libraries.focus_api.keywords.base import LibraryComponent
from libraries.mongodb.keywords.documents import scope_refusal
from libraries.run_environment import Endpoint, Policy, RunEnvironment
from variables import environments, staging

REAL = constants.SITE_ID
TEST_SITE = f"{REAL}.3fa9c2d1e0b4"
INSERTED = [str(ObjectId()), str(ObjectId())]
LOOPBACK = (Endpoint("FOCUS_BASE_URL", "127.0.0.1", 8443),)
REMOTE = (Endpoint("FOCUS_BASE_URL", "focus.example.invalid", 443),)


# -- Delete Test Documents: the test's own site id, or ids the library inserted ---------------
@pytest.mark.parametrize(
    "wanted",
    [
        {"siteId": TEST_SITE},
        {"_id": INSERTED[0]},
        {"_id": {"$in": INSERTED}},
    ],
)
def test_a_clean_up_of_the_tests_own_documents_is_accepted(wanted: dict) -> None:
    assert scope_refusal(wanted, TEST_SITE, REAL, INSERTED) is None


@pytest.mark.parametrize(
    ("wanted", "test_site", "reason"),
    [
        ({"siteId": REAL}, TEST_SITE, "the environment's real site"),
        ({"siteId": REAL}, None, "the environment's real site"),
        ({"siteId": TEST_SITE}, None, "no test site id is set up"),
        ({"siteId": f"{REAL}.someone-else"}, TEST_SITE, "is not this test's site id"),
        ({"siteId": {"$regex": "^prisma"}}, TEST_SITE, "not an operator"),
        ({"siteId": TEST_SITE, "severity": 3}, TEST_SITE, "names neither"),
        ({"_id": {"$exists": True}}, TEST_SITE, "one id or"),
        ({"_id": {"$in": []}}, TEST_SITE, "one id or"),
        ({"_id": str(ObjectId())}, TEST_SITE, "not inserted by this library"),
        ({"_id": {"$in": [INSERTED[0], "other"]}}, TEST_SITE, "not inserted by this library"),
        ({"classification": "bogus"}, TEST_SITE, "names neither"),
        ({}, TEST_SITE, "names neither"),
    ],
)
def test_any_other_clean_up_filter_is_refused(
    wanted: dict, test_site: str | None, reason: str
) -> None:
    refusal = scope_refusal(wanted, test_site, REAL, INSERTED)
    assert refusal is not None and reason in refusal


def test_the_real_site_comes_from_the_environment_not_from_a_test_variable() -> None:
    environment = RunEnvironment(
        "staging", Policy.of("staging"), REMOTE, {"SITE_ID": "site-of-staging"}
    )
    run_environment.activate(environment)
    try:
        assert sites.real_site_id() == "site-of-staging"
    finally:
        run_environment.reset()
    assert sites.real_site_id() == constants.SITE_ID
    assert sites.current_test_site() is None  # outside Robot: no test site


# -- failed logins: the real account only on the twin -----------------------------------------
def test_failed_logins_use_the_real_account_only_on_the_twin() -> None:
    twin = RunEnvironment("local", Policy.of("local"), LOOPBACK, {"FOCUS_UNKNOWN_USER": "nobody"})
    assert user_for_failed_logins(twin, "tester") == "tester"


@pytest.mark.parametrize(
    ("name", "endpoints"),
    [("staging", REMOTE), ("production", REMOTE), ("production", LOOPBACK), ("local", REMOTE)],
)
def test_failed_logins_use_a_user_that_does_not_exist_elsewhere(name, endpoints) -> None:
    """Also a production rehearsal against the twin's loopback ports, and a 'local' label
    on remote endpoints: the label does not decide."""
    environment = RunEnvironment(
        name, Policy.of(name), endpoints, {"FOCUS_UNKNOWN_USER": "no-such-user-1"}
    )
    assert user_for_failed_logins(environment, "tester") == "no-such-user-1"


@pytest.mark.parametrize("unknown", ["", "tester"])
def test_no_unknown_user_off_the_twin_is_one_clear_line(unknown: str) -> None:
    environment = RunEnvironment(
        "staging", Policy.of("staging"), REMOTE, {"FOCUS_UNKNOWN_USER": unknown}
    )
    with pytest.raises(UnknownUserMissing) as caught:
        user_for_failed_logins(environment, "tester")
    assert "FOCUS_UNKNOWN_USER" in str(caught.value) and "\n" not in str(caught.value)


def test_remote_variables_give_a_random_unknown_user_unless_one_is_named(monkeypatch) -> None:
    for name in environments.REQUIRED + environments.OPTIONAL:
        monkeypatch.delenv(name, raising=False)
    for name in environments.REQUIRED:
        monkeypatch.setenv(name, "x")
    monkeypatch.setenv("FOCUS_BASE_URL", "https://focus.example.invalid/focus-server")
    monkeypatch.setenv("MONGO_URI", "mongodb://u:p@mongo.example.invalid/prisma?tls=true")
    monkeypatch.setenv("RABBITMQ_URL", "amqps://u:p@rabbit.example.invalid/%2F")
    first, second = staging.get_variables(), staging.get_variables()
    assert first["FOCUS_UNKNOWN_USER"].startswith("no-such-user-")
    assert first["FOCUS_UNKNOWN_USER"] != second["FOCUS_UNKNOWN_USER"]
    assert first["FOCUS_UNKNOWN_USER"] != first["FOCUS_USER"]
    assert (first["ALERT_REJECTED_EXCHANGE"], first["ALERT_REJECTED_ROUTING_KEY"]) == (
        constants.ALERT_REJECTED_EXCHANGE,
        constants.ALERT_REJECTED_ROUTING_KEY,
    )
    monkeypatch.setenv("FOCUS_UNKNOWN_USER", "qa-nobody")
    monkeypatch.setenv("ALERT_REJECTED_EXCHANGE", "")  # the default exchange: not watchable
    named = staging.get_variables()
    assert named["FOCUS_UNKNOWN_USER"] == "qa-nobody"
    assert named["ALERT_REJECTED_EXCHANGE"] == ""


# -- nothing is published under the real site ---------------------------------------------------
def test_the_real_site_is_refused_and_a_test_site_is_not() -> None:
    with pytest.raises(sites.RealSiteRefused) as caught:
        sites.require_test_site(constants.SITE_ID, "publish alerts under load")
    assert "real site id 'prisma-210-1000'" in str(caught.value) and "\n" not in str(caught.value)
    sites.require_test_site(TEST_SITE, "publish an alert")
    sites.require_test_site(None, "publish a message")  # a body without a site id


# -- Stop Task and Update Task ROI: the run's own tasks, stopped ones too, and no one's ids ----
class _Component(LibraryComponent):
    """A keyword component over a fake connection whose GET /ack answers ``statuses``."""

    def __init__(self, statuses: dict[str, int]) -> None:
        super().__init__(SimpleNamespace(tasks={}, created=set()))  # type: ignore[arg-type]
        self.asked: list[str] = []
        self.statuses = statuses

    @property
    def client(self) -> Any:
        def ack(task_id: str) -> SimpleNamespace:
            self.asked.append(task_id)
            return SimpleNamespace(status_code=self.statuses.get(task_id, 200))

        return SimpleNamespace(ack=ack)


@pytest.fixture
def production_own_data_test(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """As in an own-data test on production: a shared change is ruled out and refused."""
    refused: list[str] = []
    monkeypatch.setattr(safety, "running_test_tags", lambda: ["own-data"])
    monkeypatch.setattr(safety, "refusal", lambda tags, effect: "ALLOW_SHARED=production")

    def refuse(effect: str, action: str) -> None:
        refused.append(action)
        raise safety.EffectRefused(action)

    monkeypatch.setattr(safety, "refuse", refuse)
    return refused


def test_a_task_the_run_created_stays_its_own_after_its_stop(production_own_data_test) -> None:
    component = _Component({})
    component.state.tasks["t1"] = ""
    component.state.created.add("t1")
    component.state.tasks.pop("t1")  # what forget_task does once the server says it is gone
    component.require_own_task("t1", "change the region of interest of task")
    assert component.asked == [] and production_own_data_test == []


def test_an_id_the_server_knows_no_task_by_is_no_ones_task(production_own_data_test) -> None:
    component = _Component({"no-such-task": 404})
    component.require_own_task("no-such-task", "stop task")
    assert component.asked == ["no-such-task"] and production_own_data_test == []


def test_another_users_task_is_refused(production_own_data_test) -> None:
    component = _Component({"theirs": 200})
    with pytest.raises(safety.EffectRefused):
        component.require_own_task("theirs", "stop task")
    assert production_own_data_test == ["stop task theirs, a task this run did not create"]


def test_the_server_is_asked_only_where_the_change_would_be_refused(monkeypatch) -> None:
    monkeypatch.setattr(safety, "running_test_tags", lambda: ["shared"])
    monkeypatch.setattr(safety, "refusal", lambda tags, effect: None)
    monkeypatch.setattr(safety, "refuse", lambda effect, action: None)
    component = _Component({})
    component.require_own_task("theirs", "stop task")
    assert component.asked == []
