"""The twin's Kubernetes object store: the watch events it emits for each change."""

from __future__ import annotations

import asyncio

from twin.kube.store import Store


def _pod(name: str, uid: str, phase: str = "Running") -> dict:
    return {"metadata": {"name": name, "uid": uid}, "status": {"phase": phase}}


def _events(queue: asyncio.Queue) -> list[tuple[str, str]]:
    seen = []
    while not queue.empty():
        event = queue.get_nowait()
        seen.append((event.type, event.object["metadata"]["uid"]))
    return seen


def test_a_change_of_the_same_object_is_modified():
    store = Store()
    store.sync("Pod", {"beta-0": _pod("beta-0", "uid-a", "Pending")})
    _, queue = store.subscribe(store.rv)
    store.sync("Pod", {"beta-0": _pod("beta-0", "uid-a", "Running")})
    assert _events(queue) == [("MODIFIED", "uid-a")]


def test_an_object_recreated_under_the_same_name_is_deleted_then_added():
    """A StatefulSet's pod replaced between two syncs is a new object, as on an API server:
    kubectl delete waits for the old uid's DELETED event and never sees a MODIFIED one end."""
    store = Store()
    store.sync("Pod", {"beta-0": _pod("beta-0", "uid-a")})
    _, queue = store.subscribe(store.rv)
    store.sync("Pod", {"beta-0": _pod("beta-0", "uid-b")})
    assert _events(queue) == [("DELETED", "uid-a"), ("ADDED", "uid-b")]
    assert store.get("Pod", "beta-0")["metadata"]["uid"] == "uid-b"


def test_every_read_brings_the_store_up_to_date_first():
    """The cluster view syncs once per burst of changes; a read between must see them."""
    store = Store()
    pending = {"ConfigMap": {"a": {"metadata": {"name": "a", "uid": "1"}}}}

    def flush() -> None:
        if pending:
            for kind, objects in pending.items():
                store.sync(kind, objects)
            pending.clear()

    store.before_read = flush
    assert store.get("ConfigMap", "a") is not None
    pending["ConfigMap"] = {}
    assert store.list("ConfigMap") == []
    pending["ConfigMap"] = {"b": {"metadata": {"name": "b", "uid": "2"}}}
    assert store.written("ConfigMap", "b")["metadata"]["resourceVersion"] == str(store.rv)
    pending["ConfigMap"] = {}
    before = store.rv  # the waiting DELETED of b comes first: the version is after it
    assert store.history[-1].type == "DELETED"
    pending["ConfigMap"] = {"c": {"metadata": {"name": "c", "uid": "3"}}}
    backlog, queue = store.subscribe(before)  # and a watch from it sees the waiting ADDED
    assert [(event.type, event.object["metadata"]["name"]) for event in backlog] == [("ADDED", "c")]
    store.unsubscribe(queue)
