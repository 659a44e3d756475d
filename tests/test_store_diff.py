"""The production rehearsal's rules (scripts/run/store_diff.py): each goes red when broken.

Plain data, no twin: a clean run's before/after, then one break at a time (an alert under
the real site, a durable queue left behind, a document left, a real-user failed login, a
task left running, a pod deleted, a workload scaled, a read-only test that writes, a
shared test that ran on production).
"""

from __future__ import annotations

import copy

import pytest

from scripts.run import store_diff
from scripts.run.store_diff import Run, rules

SITE = "site-7"
USER = "focus-tester"
TESTS = {
    "t1.1": {"test": "Robot.Api.Health Answers", "tags": ["api"]},
    "t1.2": {"test": "Robot.Alerts.Valid Alert Is Stored", "tags": ["alerts", "own-data"]},
    "t1.3": {"test": "Robot.Security.Deep Json", "tags": ["security", "shared"]},
}


def _state() -> dict:
    return {
        "mongo": {
            "alerts": {"a0": {"site": SITE, "status": None}},
            "tasks": {"k0": {"site": None, "status": "running"}},
            "recordings": {"r0": {"site": SITE, "status": None}},
        },
        "rabbit": {
            "queues": {
                "prisma.alerts.rejected": {
                    "durable": True,
                    "auto_delete": False,
                    "exclusive": False,
                    "messages": 2,
                },
                "guard.tap": {
                    "durable": False,
                    "auto_delete": False,
                    "exclusive": False,
                    "messages": 0,
                },
            },
            "exchanges": ["//prisma (topic, durable=True)"],
            "bindings": [
                "prisma -> queue focus.alerts [alerts.#]",
                "prisma -> queue guard.tap [#]",
            ],
        },
        "kube": {
            "pods": {"uid-focus": "focus-server-0", "uid-mongo": "mongodb-0"},
            "workloads": {"Deployment focus-server": [1, 1], "StatefulSet mongodb": [1, 1]},
            "objects": ["Pod/focus-server-0", "Pod/mongodb-0", "Deployment/focus-server"],
            "events": [],
        },
    }


def _run(after: dict | None = None, **changes) -> Run:
    before = _state()
    fields = {
        "before": before,
        "after": after if after is not None else _state(),
        "messages": [{"site": f"{SITE}.t1", "tag": "t1.2"}],
        "access": [
            {"method": "GET", "path": "/focus-server/health", "status": "200", "tag": "t1.1"},
            {"method": "POST", "path": "/focus-server/configure", "status": "200", "tag": "t1.2"},
            {"method": "POST", "path": "/focus-server/auth/token", "status": "200", "tag": "t1.1"},
        ],
        "logins": [{"user": "nobody-4f2a", "tag": "t1.2"}],
        "tests": TESTS,
        "real_site": SITE,
        "real_user": USER,
        "ignored_queues": ("guard.tap",),
    }
    fields.update(changes)
    return Run(**fields)


def _broken(run: Run) -> dict[str, list[str]]:
    rows, _ = rules(run)
    return {row.rule: row.broken for row in rows if not row.holds}


def test_a_clean_run_holds_and_counts_what_it_checked():
    rows, by_effect = rules(_run())
    assert all(row.holds for row in rows), [r for r in rows if not r.holds]
    checked = {row.rule: row.checked for row in rows}
    assert checked["rabbitmq messages: none under a non-test site"] == 1
    assert checked["kubernetes pods: none of before the run deleted"] == 2
    assert by_effect["own-data"]["writes"] == 1
    assert by_effect["read-only"]["reads"] == 2  # a login is not a write
    table = store_diff.table(rows, by_effect)
    assert "BROKEN" not in table and "own-data 0 reads/1 writes" in table
    assert "read-only 2 reads/0 writes" in table


def test_an_alert_under_the_real_site_breaks_it():
    broken = _broken(_run(messages=[{"site": SITE, "tag": "t1.2"}]))
    (items,) = broken.values()
    assert "siteId 'site-7' by Robot.Alerts.Valid Alert Is Stored (own-data)" in items[0]


def test_a_stored_alert_under_the_real_site_breaks_it():
    after = _state()
    after["mongo"]["alerts"]["a1"] = {"site": SITE, "status": None}
    broken = _broken(_run(after))
    assert "appeared under a non-test site" in broken["mongodb alerts: no document left or lost"][0]


def test_a_durable_queue_left_behind_breaks_it():
    after = _state()
    after["rabbit"]["queues"]["test.q.1"] = {
        "durable": True,
        "auto_delete": False,
        "exclusive": False,
        "messages": 0,
    }
    after["rabbit"]["bindings"].append("prisma -> queue test.q.1 [alerts.#]")
    broken = _broken(_run(after))
    assert broken["rabbitmq queues: none left, deleted or drained"] == [
        "durable queue 'test.q.1' left behind"
    ]
    assert broken["rabbitmq bindings: none left or removed"] == [
        "left behind: prisma -> queue test.q.1 [alerts.#]"
    ]


def test_a_drained_or_deleted_queue_breaks_it():
    after = _state()
    after["rabbit"]["queues"]["prisma.alerts.rejected"]["messages"] = 0
    broken = _broken(_run(after))
    assert "lost messages: 2 -> 0" in broken["rabbitmq queues: none left, deleted or drained"][0]
    del after["rabbit"]["queues"]["prisma.alerts.rejected"]
    broken = _broken(_run(after))
    assert "deleted" in broken["rabbitmq queues: none left, deleted or drained"][0]


def test_a_document_left_breaks_it():
    after = _state()
    after["mongo"]["alerts"]["a2"] = {"site": f"{SITE}.abc123", "status": None}
    broken = _broken(_run(after))
    assert "of a test site left behind" in broken["mongodb alerts: no document left or lost"][0]


def test_a_document_of_others_removed_breaks_it():
    after = _state()
    del after["mongo"]["alerts"]["a0"]
    broken = _broken(_run(after))
    assert "existed before were removed" in broken["mongodb alerts: no document left or lost"][0]


def test_a_real_user_failed_login_breaks_it():
    broken = _broken(_run(logins=[{"user": USER, "tag": "t1.1"}]))
    assert broken["failed logins of the real user: none"] == [
        "1 failed login(s) of the real user by Robot.Api.Health Answers (1)"
    ]


def test_a_task_left_running_breaks_it():
    after = _state()
    after["mongo"]["tasks"]["k1"] = {"site": None, "status": "running"}
    broken = _broken(_run(after))
    rule = "focus tasks: every created task stopped, none of others touched"
    assert broken[rule] == ["task k1 left running"]


def test_a_task_of_others_stopped_breaks_it():
    after = _state()
    after["mongo"]["tasks"]["k0"]["status"] = "stopped"
    rule = "focus tasks: every created task stopped, none of others touched"
    assert "changed running -> stopped" in _broken(_run(after))[rule][0]


def test_a_deleted_pod_and_a_scale_break_it():
    after = _state()
    after["kube"]["pods"] = {"uid-focus-2": "focus-server-0", "uid-mongo": "mongodb-0"}
    after["kube"]["workloads"]["Deployment focus-server"] = [0, 2]
    after["kube"]["events"] = [
        {"reason": "Killing", "kind": "Pod", "name": "focus-server-0", "uid": "uid-focus"}
    ]
    broken = _broken(_run(after))
    assert broken["kubernetes pods: none of before the run deleted"] == [
        "pod deleted: focus-server-0 (uid-focu)"
    ]
    assert "replicas/generation [1, 1] -> [0, 2]" in broken["kubernetes workloads: none scaled"][0]
    assert broken["kubernetes events: no kill or scale of what existed"] == [
        "Killing Pod/focus-server-0"
    ]


def test_an_object_left_breaks_it():
    after = _state()
    after["kube"]["objects"].append("Job/focus-server-grpc-1234")
    broken = _broken(_run(after))
    assert broken["kubernetes objects: none left by the run"] == [
        "left: Job/focus-server-grpc-1234"
    ]


def test_requests_are_classified_by_effect_and_refused_classes_break_it():
    access = [
        {"method": "POST", "path": "/focus-server/configure", "status": "200", "tag": "t1.1"},
        {"method": "POST", "path": "/focus-server/configure", "status": "400", "tag": "t1.3"},
    ]
    broken = _broken(_run(access=access))
    items = broken["focus-server access log: each request within its test's effect class"]
    assert "Robot.Api.Health Answers (read-only) sent POST /focus-server/configure" in items
    assert "Robot.Security.Deep Json (shared, not allowed here) sent POST" in items
    # pass 2: ALLOW_SHARED=production lets the shared test's requests through
    allowed = ("read-only", "own-data", "shared")
    broken = _broken(_run(access=access[1:], allowed=allowed))
    assert broken == {}


@pytest.mark.parametrize("tags", [["destructive"], ["Disruptive"], ["shared", "own-data"]])
def test_the_strongest_tag_is_the_effect(tags):
    assert store_diff.effect_of(tags) in ("disruptive", "shared")
    assert store_diff.effect_of(["api", "smoke"]) == "read-only"


def test_only_a_suffix_of_the_real_site_is_a_test_site():
    assert store_diff.is_test_site(f"{SITE}.x1", SITE)
    assert not store_diff.is_test_site(SITE, SITE)
    assert not store_diff.is_test_site("other-site.x1", SITE)
    assert not store_diff.is_test_site(None, SITE)


def test_the_logs_are_read_with_their_test():
    lines = [
        "2026-12-07 00:14:28,568 INFO focus_server.access GET /focus-server/health 200 3.0ms"
        " rid=t634a.1-7",
        "2026-12-07 00:14:28,600 WARNING focus_server.audit login refused for user"
        " 'focus-tester' rid=t634a.2-1",
        "2026-12-07 00:14:28,700 INFO focus_server.access POST /focus-server/auth/token 401 1.0ms",
    ]
    assert store_diff.access_log(lines) == [
        {"method": "GET", "path": "/focus-server/health", "status": "200", "tag": "t634a.1"},
        {"method": "POST", "path": "/focus-server/auth/token", "status": "401", "tag": None},
    ]
    assert store_diff.refused_logins(lines) == [{"user": "focus-tester", "tag": "t634a.2"}]


def test_the_tap_queue_is_not_a_leftover():
    after = copy.deepcopy(_state())
    before = _state()
    del before["rabbit"]["queues"]["guard.tap"]
    assert _broken(_run(after, before=before)) == {}
