"""Assertions: the assertion timeout that every polling getter of the suite shares."""

from __future__ import annotations

from datetime import timedelta
from enum import Enum
from typing import Any

from robot.api import logger
from robot.api.deco import keyword, library
from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError

from libraries.common import polling

__all__ = ["Assertions", "Scope"]


class Scope(Enum):
    """How long a setting lasts: the whole run, the current suite, or the current test."""

    Global = "Global"
    Suite = "Suite"
    Test = "Test"


@library(scope="GLOBAL", auto_keywords=False, listener="SELF")
class Assertions:
    """The assertion timeout shared by every getter that asserts (as Browser's
    ``Set Retry Assertions For``).

    = Getters that wait =

    Getters read a value that changes over time: a health status, a task status, a
    document count, a queue depth, a pod phase, a restart count, an alert. Called
    without an assertion operator they return the value at once. Called with one,
    they read and assert again until the assertion holds or their ``timeout``
    passes, as Browser's getters do:

    | ${status} = | `Get Task Status` | ${task} |
    | `Get Task Status` | ${task} | ``==`` | running |
    | `Get Task Status` | ${task} | ``==`` | running | timeout=60s |

    A getter given no ``timeout`` waits for the assertion timeout of this process:
    10 seconds until `Set Assertion Timeout` changes it. A failure says what was
    awaited, the last value read (or the last error) and for how long:

    | Waited 10.0 s (timeout 10 s, 41 reads) for Task 3f2a status == 'running'; |
    | last seen: 'waiting': Task 3f2a status 'waiting' should be 'running' |

    Under pabot each process has its own setting.

    = Operators =

    The operators are AssertionEngine's: ``==``, ``!=``, ``<``, ``<=``, ``>``,
    ``>=``, ``contains``, ``not contains``, ``starts``, ``ends``, ``matches``,
    ``validate`` and ``then``. In a test they are written as they are
    (``Get Pod Phase    ${pod}    ==    Running``).
    """

    ROBOT_LISTENER_API_VERSION = 3

    def __init__(self) -> None:
        """The library takes no arguments."""
        self._global = polling.assertion_timeout()
        self._suites: list[tuple[str, timedelta | None]] = []  # running suites, innermost last
        self._test: timedelta | None = None

    @keyword
    def set_assertion_timeout(self, timeout: timedelta, scope: Scope = Scope.Suite) -> timedelta:
        """Sets how long getters given no ``timeout`` retry their assertion; returns the
        previous value.

        ``scope`` is how long the setting lasts: ``Global`` (the rest of the run),
        ``Suite`` (default: until the current suite ends, its child suites included)
        or ``Test`` (until the current test ends; outside a test it acts as ``Suite``).
        A narrower setting in force wins over a wider one until it ends. ``0`` makes
        every getter read and assert once.

        | `Set Assertion Timeout` | 30s |
        | ${previous} = | `Set Assertion Timeout` | 2 min | scope=Test |
        | `Set Assertion Timeout` | 0 | scope=Global |

        Returns the previous timeout, e.g. ``0:00:10`` (a ``timedelta`` of 10 seconds).
        """
        if timeout < timedelta(0):
            raise ValueError(f"the assertion timeout must not be negative, got {timeout}")
        previous = polling.assertion_timeout()
        suite, in_test = _running()
        if scope is Scope.Test and in_test:
            self._test = timeout
        elif scope is not Scope.Global and suite is not None:
            if not self._suites or self._suites[-1][0] != suite:
                self._suites.append((suite, None))  # imported after this suite started
            self._suites[-1] = (suite, timeout)
        else:
            self._global = timeout
        self._apply()
        logger.info(
            f"Assertion timeout set to {timeout.total_seconds():g} s ({scope.value}); "
            f"in force now: {polling.assertion_timeout().total_seconds():g} s, "
            f"was {previous.total_seconds():g} s"
        )
        return previous

    @keyword
    def get_assertion_timeout(self) -> timedelta:
        """The timeout getters use when given none (see `Set Assertion Timeout`).

        | ${timeout} = | `Get Assertion Timeout` |

        Returns, e.g., ``0:00:10`` (a ``timedelta`` of 10 seconds).
        """
        return polling.assertion_timeout()

    def _apply(self) -> None:
        """The narrowest setting in force becomes this process's assertion timeout."""
        in_force = self._test
        for _, value in reversed(self._suites):
            if in_force is not None:
                break
            in_force = value
        polling.set_assertion_timeout(self._global if in_force is None else in_force)

    # -- listener: scoped settings end with their suite or test ---------------------
    def start_suite(self, data: Any, result: Any) -> None:
        self._suites.append((result.full_name, None))

    def end_suite(self, data: Any, result: Any) -> None:
        if self._suites and self._suites[-1][0] == result.full_name:
            self._suites.pop()
        self._apply()

    def end_test(self, data: Any, result: Any) -> None:
        self._test = None
        self._apply()


def _running() -> tuple[str | None, bool]:
    """The running suite's full name (None outside Robot) and whether a test runs."""
    try:
        variables = BuiltIn().get_variables()
    except RobotNotRunningError:
        return None, False
    return str(variables["${SUITE NAME}"]), variables.get("${TEST NAME}") is not None
