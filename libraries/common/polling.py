"""One way to wait: Browser-style assertion polling and a plain predicate wait.

``poll_assertion`` is the getter pattern of the Browser library (``with_assertion_polling``
over robotframework-assertion-engine): without an operator it returns the value at once;
with one it reads and asserts until the assertion holds or the timeout passes.
``wait_until`` is the same loop for waits that are not assertions (a server answers,
a list has enough rows).

Every failure says what was waited for, the last value seen (or the last error of the
read), how many reads and how long it waited. Every wait has a timeout and reads at
least once, so a timeout of zero is a single check.

A getter given no ``timeout`` polls for the assertion timeout of this process (as
Browser's ``retry_assertions_for``): ``DEFAULT_ASSERTION_TIMEOUT`` until
``set_assertion_timeout`` changes it (the `Set Assertion Timeout` keyword of the
``Assertions`` library).

This module imports Robot Framework only inside ``poll_assertion`` (AssertionEngine
needs it), so clients without Robot imports can use ``wait_until``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from assertionengine import AssertionOperator

T = TypeVar("T")
Seconds = timedelta | float | int
DEFAULT_INTERVAL = timedelta(milliseconds=200)
DEFAULT_ASSERTION_TIMEOUT = timedelta(seconds=10)
_SHOWN = 300
_assertion_timeout: list[timedelta] = [DEFAULT_ASSERTION_TIMEOUT]  # this process's setting


def assertion_timeout(timeout: Seconds | None = None) -> timedelta:
    """``timeout`` as a ``timedelta``, or this process's assertion timeout when it is None."""
    if timeout is None:
        return _assertion_timeout[0]
    return timeout if isinstance(timeout, timedelta) else timedelta(seconds=float(timeout))


def set_assertion_timeout(timeout: Seconds) -> timedelta:
    """Make ``timeout`` the assertion timeout of this process; returns the previous one."""
    new = assertion_timeout(timeout)
    if new < timedelta(0):
        raise ValueError(f"the assertion timeout must not be negative, got {new}")
    previous, _assertion_timeout[0] = _assertion_timeout[0], new
    return previous


def seconds(value: Seconds) -> float:
    """A timeout or interval as seconds: a ``timedelta`` or a number of seconds."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def shown(value: Any, limit: int = _SHOWN) -> str:
    """``repr`` of a value, cut to ``limit`` characters for a failure message."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


class _Clock:
    """Deadline, read count and sleeping of one wait."""

    def __init__(self, timeout: Seconds, interval: Seconds) -> None:
        self.timeout = seconds(timeout)
        self.interval = max(seconds(interval), 0.0)
        if self.timeout < 0:
            raise ValueError(f"timeout must not be negative, got {self.timeout:g} s")
        self.started = time.monotonic()
        self.polls = 0

    @property
    def waited(self) -> float:
        return time.monotonic() - self.started

    def expired(self) -> bool:
        return self.waited >= self.timeout

    def sleep(self) -> None:
        time.sleep(min(self.interval, max(self.timeout - self.waited, 0.0)))

    def summary(self) -> str:
        reads = "read" if self.polls == 1 else "reads"
        return f"Waited {self.waited:.1f} s (timeout {self.timeout:g} s, {self.polls} {reads})"


def _read(
    read: Callable[[], T], retry_on: tuple[type[BaseException], ...], clock: _Clock
) -> tuple[bool, Any]:
    """One read: ``(True, value)``, or ``(False, error)`` when it raised one of ``retry_on``."""
    clock.polls += 1
    if not retry_on:
        return True, read()
    try:
        return True, read()
    except retry_on as error:
        return False, error


def _last(ok: bool, value: Any, describe: Callable[[Any], str]) -> str:
    if ok:
        return f"last seen: {describe(value)}"
    return f"last read failed: {type(value).__name__}: {value}"


def wait_until(
    read: Callable[[], T],
    until: Callable[[T], Any] = bool,
    *,
    what: str,
    timeout: Seconds,
    interval: Seconds = DEFAULT_INTERVAL,
    retry_on: tuple[type[BaseException], ...] = (),
    stop_when: Callable[[T], Any] | None = None,
    describe: Callable[[Any], str] = shown,
    error: type[Exception] = AssertionError,
) -> T:
    """Call ``read()`` until ``until(value)`` is true; return that value.

    ``what`` names the awaited state for the failure ("3 waterfall rows of task t1").
    A read raising one of ``retry_on`` counts as "not yet". ``stop_when(value)`` true
    ends the wait early (a final state that will not change). On timeout raises
    ``error`` with what was awaited, the last value (``describe``) and how long.

        rows = wait_until(lambda: api.rows(task), lambda rows: len(rows) >= 3,
                          what="3 rows of task t1", timeout=30)
    """
    clock = _Clock(timeout, interval)
    while True:
        ok, value = _read(read, retry_on, clock)
        if ok and until(value):
            return value
        stopped = ok and stop_when is not None and stop_when(value)
        if stopped or clock.expired():
            reason = "; stopped early, it will not change" if stopped else ""
            raise error(
                f"{clock.summary()} for {what}{reason}; {_last(ok, value, describe)}"
            ) from None
        clock.sleep()


def poll_assertion(
    read: Callable[[], T],
    operator: AssertionOperator | None,
    expected: Any = None,
    what: str = "value",
    message: str | None = None,
    *,
    timeout: Seconds | None = None,
    interval: Seconds = DEFAULT_INTERVAL,
    verify: Callable[..., Any] | None = None,
    retry_on: tuple[type[BaseException], ...] = (),
    stop_when: Callable[[T], Any] | None = None,
    describe: Callable[[Any], str] = shown,
    error: type[Exception] = AssertionError,
) -> Any:
    """Browser-style getter: ``read()`` at once without ``operator``; with one, retry the
    assertion until it holds or ``timeout`` passes; returns what ``verify`` returns.

    ``verify`` is an AssertionEngine verifier (default ``verify_assertion``; pass
    ``int_str_verify_assertion``, ``float_str_verify_assertion``, ``dict_verify_assertion``
    or ``list_verify_assertion`` for typed values), called as
    ``verify(value, operator, expected, what, message)``. ``message`` is the user's own
    failure text (AssertionEngine's ``{value}``/``{expected}`` placeholders work).
    ``retry_on`` and ``stop_when`` are as in `wait_until`. ``timeout=None`` is this
    process's assertion timeout (`assertion_timeout`).

        status = poll_assertion(lambda: api.status(task), operator, expected,
                                f"Task {task} status", message, timeout=timedelta(seconds=30))
    """
    if operator is None:
        return read()
    if verify is None:
        from assertionengine import verify_assertion as verify
    clock = _Clock(assertion_timeout(timeout), interval)
    while True:
        ok, value = _read(read, retry_on, clock)
        if ok:
            try:
                return verify(value, operator, expected, what, message)
            except AssertionError as failure:
                last_failure: Exception = failure
        else:
            last_failure = value
        stopped = ok and stop_when is not None and stop_when(value)
        if stopped or clock.expired():
            reason = "; stopped early, it will not change" if stopped else ""
            if message:
                raise error(f"{last_failure} ({clock.summary()}{reason})") from None
            raise error(
                f"{clock.summary()} for {what} {operator.name} {shown(expected)}{reason}; "
                f"{_last(ok, value, describe)}: {last_failure}"
            ) from None
        clock.sleep()
