"""The shared plumbing: assertion polling, predicate waits and the connection registry."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from assertionengine import AssertionOperator, int_str_verify_assertion

from libraries.common.connections import ConnectionRegistry
from libraries.common.polling import poll_assertion, wait_until


def counter(values):
    """A read that returns the values one after another, then the last one forever."""
    seen = []

    def read():
        seen.append(None)
        return values[min(len(seen), len(values)) - 1]

    read.calls = seen
    return read


def test_without_operator_returns_the_value_after_one_read():
    read = counter(["running"])
    assert poll_assertion(read, None, timeout=5) == "running"
    assert len(read.calls) == 1


def test_retries_until_the_assertion_holds():
    read = counter(["pending", "pending", "running"])
    value = poll_assertion(
        read, AssertionOperator["=="], "running", "status", timeout=5, interval=0.01
    )
    assert value == "running"
    assert len(read.calls) == 3


def test_failure_says_what_last_value_and_how_long():
    started = time.monotonic()
    with pytest.raises(AssertionError) as failure:
        poll_assertion(
            counter(["pending"]),
            AssertionOperator["=="],
            "running",
            "Task t1 status",
            timeout=timedelta(milliseconds=150),
            interval=0.02,
        )
    waited = time.monotonic() - started
    text = str(failure.value)
    assert 0.15 <= waited < 1.0
    assert text.startswith("Waited 0.")
    assert "timeout 0.15 s" in text
    assert "for Task t1 status equal 'running'" in text
    assert "last seen: 'pending'" in text


def test_typed_verifier_and_custom_message():
    with pytest.raises(ValueError) as failure:
        poll_assertion(
            counter([3]),
            AssertionOperator[">="],
            "5",
            "queue depth",
            "depth was {value}, wanted {expected}",
            timeout=0,
            verify=int_str_verify_assertion,
            error=ValueError,
        )
    assert str(failure.value).startswith("depth was 3, wanted 5 (Waited 0.0 s")
    assert (
        poll_assertion(
            counter([7]),
            AssertionOperator[">="],
            "5",
            "depth",
            verify=int_str_verify_assertion,
            timeout=0,
        )
        == 7
    )


def test_stop_when_ends_the_wait_early():
    started = time.monotonic()
    with pytest.raises(AssertionError, match="stopped early.*last seen: 'failed'"):
        poll_assertion(
            counter(["failed"]),
            AssertionOperator["=="],
            "running",
            "status",
            timeout=30,
            stop_when=lambda status: status in ("failed", "completed"),
        )
    assert time.monotonic() - started < 1


def test_read_errors_listed_in_retry_on_count_as_not_yet():
    attempts = []

    def read():
        attempts.append(1)
        if len(attempts) < 3:
            raise ConnectionError("refused")
        return 1

    assert (
        poll_assertion(
            read,
            AssertionOperator["=="],
            1,
            "answer",
            timeout=5,
            interval=0.01,
            retry_on=(ConnectionError,),
        )
        == 1
    )
    with pytest.raises(AssertionError, match="last read failed: ConnectionError: refused"):
        wait_until(
            lambda: (_ for _ in ()).throw(ConnectionError("refused")),
            what="server up",
            timeout=0.05,
            interval=0.01,
            retry_on=(ConnectionError,),
        )


def test_other_read_errors_propagate_at_once():
    with pytest.raises(KeyError):
        wait_until(lambda: {}["x"], what="x", timeout=30)


def test_wait_until_returns_the_value_that_satisfied_the_predicate():
    read = counter([[], [1], [1, 2, 3]])
    rows = wait_until(read, lambda rows: len(rows) >= 2, what="2 rows", timeout=5, interval=0.01)
    assert rows == [1, 2, 3]


def test_wait_until_failure_names_the_wait():
    with pytest.raises(TimeoutError) as failure:
        wait_until(
            counter([[1]]),
            lambda rows: len(rows) >= 2,
            what="2 waterfall rows of task t1",
            timeout=0.05,
            interval=0.01,
            describe=lambda rows: f"{len(rows)} rows",
            error=TimeoutError,
        )
    assert "for 2 waterfall rows of task t1; last seen: 1 rows" in str(failure.value)


def test_zero_timeout_reads_once_and_negative_is_refused():
    read = counter([False])
    with pytest.raises(AssertionError, match=r"timeout 0 s, 1 read\)"):
        wait_until(read, what="flag", timeout=0)
    assert len(read.calls) == 1
    with pytest.raises(ValueError, match="must not be negative"):
        wait_until(read, what="flag", timeout=-1)


class Conn:
    def __init__(self, name, fail=False):
        self.name, self.fail, self.closed = name, fail, False

    def close(self):
        self.closed = True
        if self.fail:
            raise OSError(f"{self.name} stuck")


def test_registry_register_switch_and_current():
    registry = ConnectionRegistry[Conn]("Focus", "call 'Connect To Focus Server'")
    with pytest.raises(RuntimeError, match="No Focus connection: call 'Connect To Focus Server'"):
        _ = registry.current
    a, b = Conn("a"), Conn("b")
    registry.register(a, "a")
    registry.register(b, "b")
    assert registry.current is b
    assert registry.switch("a") == "b"
    assert registry.current is a and registry.get("b") is b
    assert registry.aliases == list(registry) == ["a", "b"]
    assert "a" in registry and len(registry) == 2
    with pytest.raises(RuntimeError, match=r"No Focus connection 'c'; open: \['a', 'b'\]"):
        registry.switch("c")


def test_registry_reusing_an_alias_closes_the_old_connection():
    registry = ConnectionRegistry[Conn]("MongoDB", "call 'Connect To MongoDB'", error=KeyError)
    old = Conn("old")
    registry.register(old, "db")
    registry.register(Conn("new"), "db")
    assert old.closed and registry.current.name == "new" and len(registry) == 1


def test_registry_close_one_falls_back_to_the_latest():
    registry = ConnectionRegistry[Conn]("Kubernetes", "call 'Connect To Kubernetes'")
    for name in "abc":
        registry.register(Conn(name), name)
    registry.switch("c")
    registry.close()
    assert registry.current_alias == "b"
    registry.close("a")
    assert registry.aliases == ["b"]


def test_registry_close_all_closes_every_one_even_when_one_fails():
    closer_calls = []
    registry = ConnectionRegistry[Conn](
        "RabbitMQ",
        "call 'Connect To RabbitMQ'",
        close=lambda c: (closer_calls.append(c), c.close()),
    )
    good, bad = Conn("good"), Conn("bad", fail=True)
    registry.register(good, "good")
    registry.register(bad, "bad")
    failures = registry.close_all(raise_errors=False)
    assert good.closed and bad.closed and len(closer_calls) == 2
    assert failures == ["bad: OSError: bad stuck"]
    assert not registry and registry.current_alias is None
    registry.register(Conn("bad", fail=True), "bad")
    with pytest.raises(RuntimeError, match="Closed every RabbitMQ connection, but closing failed"):
        registry.close_all()
    assert not registry
