"""The production rehearsal's state diff: every store before and after a run, and its rules.

:func:`snapshot` reads, from a twin's endpoints (loopback only), what a run could change:

- MongoDB: every document of every collection (its id, ``siteId`` and ``status``);
- RabbitMQ: queues (durability, auto-delete, exclusive, messages), exchanges, bindings;
- Kubernetes: pods (uid), Deployments and StatefulSets (replicas, generation), the objects
  of the namespace (pods, jobs, services, Deployments, StatefulSets), events.

A :class:`Tap` (a queue of the guard's own, bound with ``#`` to the alert exchange before
the run) sees every message published there during the run. The twin's focus-server log
gives the access log (``rid=`` names the test) and the failed logins (``login refused for
user``).

:func:`rules` compares them and returns one :class:`Row` per rule: what was checked, how
many, and what broke. Pure functions of plain data: ``tests/test_store_diff.py`` breaks
each rule on purpose.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EFFECTS = ("read-only", "own-data", "shared", "disruptive")
# The twin's system writes these itself (not a test): the recorder its recordings, the
# focus server a task's history. Their own rows check them.
SYSTEM_WRITTEN = {"recordings": "the recorder writes them", "tasks": "see the tasks row"}
ACTIVE_TASK = ("waiting", "running")
# Events that say a pod was killed or a workload scaled.
KILL_REASONS = {"Killing", "Deleted", "Evicted", "Preempting", "SuccessfulDelete"}
SCALE_REASONS = {"ScalingReplicaSet", "SuccessfulRescale"}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Logging in and out (a token, a UI session) is how every test starts: not a write.
SESSION_PATHS = re.compile(r"/auth/token$|/liveView/session$")
ACCESS = re.compile(
    r"focus_server\.access (?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\d{3}) \S+"
    r"(?: rid=(?P<tag>t[0-9a-f]+\.\d+)-\d+)?"
)
REFUSED_LOGIN = re.compile(
    r"login refused for user '(?P<user>[^']*)'(?: rid=(?P<tag>t[0-9a-f]+\.\d+)-\d+)?"
)


@dataclass
class Row:
    """One rule: ``checked`` things looked at, ``broken`` says what broke (empty: holds)."""

    rule: str
    checked: int
    broken: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def holds(self) -> bool:
        return not self.broken


def effect_of(tags: Iterable[str]) -> str:
    """The strongest effect class among a test's tags (no effect tag: read-only)."""
    normal = {str(tag).replace(" ", "").lower() for tag in tags}
    if normal & {"disruptive", "destructive"}:
        return "disruptive"
    for effect in ("shared", "own-data"):
        if effect in normal:
            return effect
    return "read-only"


def is_test_site(site: object, real_site: str) -> bool:
    """A test's own site id: ``<real site>.<suffix>`` (``libraries/common/sites.py``)."""
    return isinstance(site, str) and site.startswith(f"{real_site}.") and site != real_site


# ------------------------------------------------------------------------- reading


def mongo_state(db: Any) -> dict[str, dict[str, dict]]:
    """``{collection: {id: {"site": siteId, "status": status}}}`` of every collection."""
    state: dict[str, dict[str, dict]] = {}
    for name in sorted(db.list_collection_names()):
        if name.startswith("system."):
            continue
        state[name] = {
            str(doc["_id"]): {"site": doc.get("siteId"), "status": doc.get("status")}
            for doc in db[name].find({}, {"siteId": 1, "status": 1})
        }
    return state


def rabbit_state(management: Any) -> dict[str, Any]:
    """Queues, exchanges and bindings of the broker, from its management API (a callable
    ``management(path) -> json``)."""
    queues = {
        q["name"]: {
            "durable": q.get("durable"),
            "auto_delete": q.get("auto_delete"),
            "exclusive": bool(q.get("exclusive") or q.get("owner_pid_details")),
            "messages": q.get("messages", 0),
        }
        for q in management("/queues")
    }
    exchanges = sorted(
        f"{e['vhost']}/{e['name']} ({e['type']}, durable={e.get('durable')})"
        for e in management("/exchanges")
        if e["name"]
    )
    bindings = sorted(
        f"{b['source'] or '(default)'} -> {b['destination_type']} {b['destination']} "
        f"[{b['routing_key']}]"
        for b in management("/bindings")
        if b["source"]  # the default exchange's implicit bindings follow the queues
    )
    return {"queues": queues, "exchanges": exchanges, "bindings": bindings}


def kube_state(core: Any, apps: Any, batch: Any, namespace: str) -> dict[str, Any]:
    pods = {
        pod.metadata.uid: pod.metadata.name
        for pod in core.list_namespaced_pod(namespace, _request_timeout=10).items
    }
    workloads = {
        f"{kind} {item.metadata.name}": [item.spec.replicas, item.metadata.generation]
        for kind, listing in (
            ("Deployment", apps.list_namespaced_deployment),
            ("StatefulSet", apps.list_namespaced_stateful_set),
        )
        for item in listing(namespace, _request_timeout=10).items
    }
    objects = sorted(
        f"{kind}/{item.metadata.name}"
        for kind, listing in (
            ("Pod", core.list_namespaced_pod),
            ("Job", batch.list_namespaced_job),
            ("Service", core.list_namespaced_service),
            ("Deployment", apps.list_namespaced_deployment),
            ("StatefulSet", apps.list_namespaced_stateful_set),
        )
        for item in listing(namespace, _request_timeout=10).items
    )
    events = [
        {
            "reason": event.reason,
            "kind": event.involved_object.kind,
            "name": event.involved_object.name,
            "uid": event.involved_object.uid,
        }
        for event in core.list_namespaced_event(namespace, _request_timeout=10).items
    ]
    return {"pods": pods, "workloads": workloads, "objects": objects, "events": events}


def access_log(lines: Iterable[str]) -> list[dict]:
    """The focus server's access-log lines as ``{method, path, status, tag}``."""
    found = []
    for line in lines:
        match = ACCESS.search(line)
        if match:
            found.append(match.groupdict())
    return found


def refused_logins(lines: Iterable[str]) -> list[dict]:
    return [m.groupdict() for line in lines if (m := REFUSED_LOGIN.search(line))]


def origins(path: Path) -> dict[str, dict]:
    """``{tag: {"test": name, "tags": [...]}}`` from the rehearsal listener's file."""
    if not path.exists():
        return {}
    found = {}
    for line in path.read_text().splitlines():
        if line.strip():
            entry = json.loads(line)
            found[entry["tag"]] = {"test": entry["test"], "tags": entry["tags"]}
    return found


# ------------------------------------------------------------------------- the rules


@dataclass
class Run:
    """What the rehearsal saw: the stores before and after, the tap's messages, the logs,
    which test made which request, and which effect classes the policy let run."""

    before: Mapping[str, Any]
    after: Mapping[str, Any]
    messages: list[dict]  # {"site": siteId or None, "tag": test tag or None}
    access: list[dict]
    logins: list[dict]
    tests: Mapping[str, Mapping[str, Any]]  # tag -> {"test", "tags"}
    real_site: str
    real_user: str
    allowed: tuple[str, ...] = ("read-only", "own-data")
    ignored_queues: tuple[str, ...] = ()


def _who(run: Run, tag: str | None) -> tuple[str, str]:
    """(test name, effect) of a request tag; outside a test: a suite setup or teardown."""
    if not tag or tag not in run.tests:
        return "outside a test (suite setup/teardown)", "read-only"
    entry = run.tests[tag]
    return str(entry["test"]), effect_of(entry["tags"])


def mongo_rows(run: Run) -> list[Row]:
    rows = []
    before, after = run.before["mongo"], run.after["mongo"]
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name, {}), after.get(name, {})
        added = {key: doc for key, doc in new.items() if key not in old}
        removed = [key for key in old if key not in new]
        broken = []
        if name in SYSTEM_WRITTEN:
            real = [k for k, d in added.items() if is_test_site(d.get("site"), run.real_site)]
            if real:
                broken.append(f"{len(real)} document(s) under a test site id left: {real[:3]}")
            note = SYSTEM_WRITTEN[name]
        else:
            left = [k for k, d in added.items() if is_test_site(d.get("site"), run.real_site)]
            others = [k for k in added if k not in left]
            if left:
                broken.append(f"{len(left)} document(s) of a test site left behind: {left[:3]}")
            if others:
                sites = Counter(str(added[k].get("site")) for k in others)
                broken.append(
                    f"{len(others)} document(s) appeared under a non-test site "
                    f"({dict(sites)}): {others[:3]}"
                )
            note = ""
        if removed and name != "recordings":
            broken.append(f"{len(removed)} document(s) that existed before were removed")
        rows.append(Row(f"mongodb {name}: no document left or lost", len(new), broken, note))
    return rows


def recordings_row(run: Run, kept_before: int, kept_after: int) -> Row:
    broken = []
    if kept_after != kept_before:
        broken.append(f"recordings started before the run: {kept_before} -> {kept_after}")
    return Row("mongodb recordings: none of before the run lost", kept_before, broken)


def rabbit_rows(run: Run) -> list[Row]:
    before, after = run.before["rabbit"], run.after["rabbit"]
    ignored = set(run.ignored_queues)
    old_q = {k: v for k, v in before["queues"].items() if k not in ignored}
    new_q = {k: v for k, v in after["queues"].items() if k not in ignored}
    broken = []
    for name in sorted(set(new_q) - set(old_q)):
        kind = "durable" if new_q[name]["durable"] else "transient"
        broken.append(f"{kind} queue {name!r} left behind")
    for name in sorted(set(old_q) - set(new_q)):
        broken.append(f"queue {name!r} deleted")
    for name in sorted(set(old_q) & set(new_q)):
        if new_q[name]["messages"] < old_q[name]["messages"]:
            broken.append(
                f"queue {name!r} lost messages: "
                f"{old_q[name]['messages']} -> {new_q[name]['messages']}"
            )
    rows = [Row("rabbitmq queues: none left, deleted or drained", len(new_q), broken)]
    for part in ("exchanges", "bindings"):
        old = {b for b in before[part] if not any(q in b for q in ignored)}
        new = {b for b in after[part] if not any(q in b for q in ignored)}
        broken = [f"left behind: {b}" for b in sorted(new - old)]
        broken += [f"removed: {b}" for b in sorted(old - new)]
        rows.append(Row(f"rabbitmq {part}: none left or removed", len(new), broken))
    bad = []
    for message in run.messages:
        if is_test_site(message.get("site"), run.real_site):
            continue
        test, effect = _who(run, message.get("tag"))
        if effect in run.allowed and effect in ("shared", "disruptive"):
            continue  # allowed here: a shared test's publish (pass 2)
        bad.append(f"siteId {message.get('site')!r} by {test} ({effect})")
    rows.append(
        Row(
            "rabbitmq messages: none under a non-test site",
            len(run.messages),
            [f"{len(bad)} message(s): " + "; ".join(sorted(set(bad))[:5])] if bad else [],
        )
    )
    return rows


def kube_rows(run: Run) -> list[Row]:
    before, after = run.before["kube"], run.after["kube"]
    gone = [
        f"{name} ({uid[:8]})" for uid, name in before["pods"].items() if uid not in after["pods"]
    ]
    rows = [
        Row(
            "kubernetes pods: none of before the run deleted",
            len(before["pods"]),
            [f"pod deleted: {p}" for p in gone],
        )
    ]
    scaled = [
        f"{name}: replicas/generation {value} -> {after['workloads'].get(name)}"
        for name, value in before["workloads"].items()
        if after["workloads"].get(name) != value
    ]
    rows.append(Row("kubernetes workloads: none scaled", len(before["workloads"]), scaled))
    left = sorted(set(after["objects"]) - set(before["objects"]))
    rows.append(
        Row(
            "kubernetes objects: none left by the run",
            len(after["objects"]),
            [f"left: {item}" for item in left[:10]]
            + ([f"... {len(left) - 10} more"] if len(left) > 10 else []),
        )
    )
    old_events = {json.dumps(e, sort_keys=True) for e in before["events"]}
    new_events = [e for e in after["events"] if json.dumps(e, sort_keys=True) not in old_events]
    existing = set(before["pods"]) | {name for name in before["workloads"]}
    bad = [
        f"{e['reason']} {e['kind']}/{e['name']}"
        for e in new_events
        if (e["reason"] in KILL_REASONS and e["uid"] in before["pods"])
        or (e["reason"] in SCALE_REASONS and f"Deployment {e['name']}" in existing)
        or (e["reason"] in SCALE_REASONS and f"StatefulSet {e['name']}" in existing)
    ]
    rows.append(Row("kubernetes events: no kill or scale of what existed", len(new_events), bad))
    return rows


def task_row(run: Run) -> Row:
    old = run.before["mongo"].get("tasks", {})
    new = run.after["mongo"].get("tasks", {})
    created = {key: doc for key, doc in new.items() if key not in old}
    broken = [
        f"task {key} left {doc.get('status')}"
        for key, doc in created.items()
        if doc.get("status") in ACTIVE_TASK
    ]
    broken += [
        f"task {key} of before the run changed {doc.get('status')} -> "
        f"{new.get(key, {}).get('status', 'deleted')}"
        for key, doc in old.items()
        if doc.get("status") in ACTIVE_TASK and new.get(key, {}).get("status") != doc.get("status")
    ]
    return Row(
        "focus tasks: every created task stopped, none of others touched", len(created), broken
    )


def login_row(run: Run) -> Row:
    mine = [login for login in run.logins if login["user"] == run.real_user]
    broken = []
    if mine:
        tests = Counter(_who(run, login.get("tag"))[0] for login in mine)
        broken.append(
            f"{len(mine)} failed login(s) of the real user by "
            + ", ".join(f"{test} ({count})" for test, count in tests.items())
        )
    return Row("failed logins of the real user: none", len(run.logins), broken)


def access_row(run: Run) -> tuple[Row, dict[str, Counter]]:
    """Every request by the effect class of its test; a write by a read-only test, or any
    request by a test whose class the policy rules out, breaks it."""
    by_effect: dict[str, Counter] = {effect: Counter() for effect in EFFECTS}
    broken = []
    for request in run.access:
        test, effect = _who(run, request.get("tag"))
        write = request["method"] in WRITE_METHODS and not SESSION_PATHS.search(request["path"])
        by_effect[effect]["writes" if write else "reads"] += 1
        if effect not in run.allowed:
            broken.append(f"{test} ({effect}, not allowed here) sent {request['method']}")
        elif effect == "read-only" and write and request.get("tag") in run.tests:
            broken.append(f"{test} (read-only) sent {request['method']} {request['path']}")
    unique = sorted(set(broken))
    return (
        Row(
            "focus-server access log: each request within its test's effect class",
            len(run.access),
            unique[:10] + ([f"... {len(unique) - 10} more"] if len(unique) > 10 else []),
        ),
        by_effect,
    )


def rules(run: Run) -> tuple[list[Row], dict[str, Counter]]:
    """Every rule's row, and the access log's requests per effect class."""
    rows = mongo_rows(run) + [task_row(run)] + rabbit_rows(run) + kube_rows(run)
    rows.append(login_row(run))
    access, by_effect = access_row(run)
    rows.append(access)
    return rows, by_effect


def table(rows: list[Row], by_effect: Mapping[str, Counter]) -> str:
    """The one table, then the access log per effect class."""
    lines = [f"{'':4} {'rule':<68} {'checked':>7}  result"]
    for row in rows:
        mark = "ok  " if row.holds else "FAIL"
        result = "holds" if row.holds else "BROKEN"
        note = f" ({row.note})" if row.note else ""
        lines.append(f"{mark} {row.rule:<68} {row.checked:>7}  {result}{note}")
        lines += [f"       - {item}" for item in row.broken]
    lines.append(
        "     requests by effect class: "
        + ", ".join(
            f"{effect} {counts['reads']} reads/{counts['writes']} writes"
            for effect, counts in by_effect.items()
        )
    )
    return "\n".join(lines)
