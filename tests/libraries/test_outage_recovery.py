"""Recovery measured from the replacement, and what an unreachable server's error says."""

from __future__ import annotations

import itertools
from types import SimpleNamespace
from typing import Any

import pytest

from libraries.kubernetes import recovery
from libraries.kubernetes.diagnose import replacement_note
from libraries.kubernetes.recovery import Disruption, RecoveryFailed, wait_for_recovery


def pod(name: str, uid: str, phase: str = "Running", ready: bool = True, terminating=False) -> Any:
    return SimpleNamespace(
        metadata=SimpleNamespace(
            name=name, uid=uid, deletion_timestamp="2026-11-22T08:00:00Z" if terminating else None
        ),
        status=SimpleNamespace(
            phase=phase,
            conditions=[SimpleNamespace(type="Ready", status="True" if ready else "False")],
            container_statuses=[SimpleNamespace(restart_count=0)],
        ),
    )


OLD = pod("focus-abc", "uid-old")


def disruption() -> Disruption:
    return Disruption.of("panda", "panda-panda-focus-server", "Delete Pod panda/focus-abc", [OLD])


@pytest.fixture(autouse=True)
def _fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recovery, "POLL_S", 0.01)
    monkeypatch.setattr(recovery, "ANSWER_POLL_S", 0.0)


def states(*steps: list[Any]):
    """list_pods() answering each step in turn, then the last one for ever."""
    iterator = itertools.chain(steps, itertools.repeat(steps[-1]))
    return lambda: next(iterator)


def test_the_old_pod_answering_is_never_taken_for_recovery():
    asked: list[str] = []
    old_terminating = pod("focus-abc", "uid-old", terminating=True)
    new_ready = pod("focus-xyz", "uid-new")

    def answers(new_pod: str) -> None:
        asked.append(new_pod)

    result = wait_for_recovery(
        states([OLD], [old_terminating], [old_terminating, new_ready], [new_ready]),
        disruption(),
        5,
        answers,
    )
    assert result.new_pod == "focus-xyz"
    # Asked only once the new pod was Ready and the old one gone: never while it could answer.
    assert asked == ["focus-xyz"]
    assert result.ready_after <= result.old_gone_after <= result.seconds


def test_a_service_that_does_not_answer_yet_is_asked_again_until_it_does():
    answers = iter(["connection refused", "503 degraded", None])
    result = wait_for_recovery(
        states([pod("focus-xyz", "uid-new")]), disruption(), 5, lambda _pod: next(answers)
    )
    assert result.new_pod == "focus-xyz"


def test_readiness_broken_fails_naming_the_pod_that_is_not_ready():
    stuck = pod("focus-xyz", "uid-new", ready=False)
    with pytest.raises(RecoveryFailed) as failure:
        wait_for_recovery(
            states([pod("focus-abc", "uid-old", terminating=True)], [stuck]),
            disruption(),
            0.2,
            lambda _pod: None,
            label="focus-server",
        )
    message = str(failure.value)
    assert message.startswith("focus-server did not recover within 0.2 s of Delete Pod panda/")
    assert "new pod focus-xyz (Running, ready=False, restarts=0) not ready yet" in message
    assert "is still there; no new focus-server pod yet" in message  # the timeline


def test_a_service_that_never_answers_fails_with_its_last_answer():
    with pytest.raises(RecoveryFailed, match=r"does not answer from it yet: 503 degraded"):
        wait_for_recovery(
            states([pod("focus-xyz", "uid-new")]), disruption(), 0.2, lambda _pod: "503 degraded"
        )


def test_a_statefulset_pod_with_the_same_name_and_a_new_uid_is_new():
    same_name = pod("rabbitmq-panda-0", "uid-2")
    gone = Disruption.of(
        "panda", "rabbitmq-panda", "Delete Pod", [pod("rabbitmq-panda-0", "uid-1")]
    )
    assert wait_for_recovery(states([same_name]), gone, 1, lambda _p: None).new_pod == (
        "rabbitmq-panda-0"
    )


def test_replacement_note_says_what_is_happening_to_the_pods():
    old = pod("focus-abc", "1", terminating=True)
    new = pod("focus-xyz", "2", ready=False)
    assert replacement_note([old, new], "focus-server") == (
        "focus-server pod focus-abc is terminating; new pod focus-xyz (Running, ready=False, "
        "restarts=0) not ready yet"
    )
    assert replacement_note([old], "focus-server") == (
        "focus-server pod focus-abc is terminating; no new pod yet"
    )
    assert replacement_note([], "focus-server") == (
        "focus-server has no pod (scaled to 0, or not deployed)"
    )
    assert replacement_note([pod("focus-xyz", "2")], "focus-server") is None


def test_an_unreachable_server_error_carries_the_diagnosis():
    from libraries.focus_api.client import FocusClient, FocusUnavailable

    client = FocusClient(
        "https://127.0.0.1:9/focus-server",
        "user",
        "password",
        max_retries=0,
        connect_timeout=0.5,
        unreachable_hint=lambda: (
            "focus-server pod focus-abc is terminating; new pod focus-xyz not ready yet"
        ),
    )
    with pytest.raises(FocusUnavailable) as failure:
        client.health()
    assert str(failure.value) == (
        "Focus Server at https://127.0.0.1:9/focus-server is unreachable (connection refused); "
        "focus-server pod focus-abc is terminating; new pod focus-xyz not ready yet"
    )


def test_a_failing_diagnosis_never_hides_the_error():
    from libraries.focus_api.client import UNREACHABLE_HINT, FocusClient, FocusUnavailable

    def broken() -> str:
        raise RuntimeError("no cluster")

    client = FocusClient("https://127.0.0.1:9/x", "u", "p", max_retries=0, unreachable_hint=broken)
    with pytest.raises(FocusUnavailable, match=UNREACHABLE_HINT):
        client.health()
