"""The production guard: nothing destructive runs on production unless explicitly allowed.

Two layers, both keyed on the ``destructive`` tag:

1. The guard listener (:mod:`libraries.guard`, registered by the ``Environment``
   library) marks every test tagged ``destructive`` to be skipped on an environment
   marked production,
   before anything of it runs: Robot Framework then runs neither its setup, nor its
   body, nor its teardown, and a suite whose tests are all skipped that way runs no
   suite setup or teardown either.
2. Defence in depth: keywords that delete, scale, fill, flood or load carry the
   keyword tag ``destructive`` (the :func:`destructive` decorator, or ``[Tags]`` on a
   resource keyword) and refuse to act on production unless the running test is tagged
   ``destructive`` and ``ALLOW_DESTRUCTIVE=1`` is set. Outside a test (a suite setup or
   teardown), ``ALLOW_DESTRUCTIVE=1`` alone allows them.

Whether the environment is production comes from the run's policy
(:func:`libraries.run_environment.current_policy`), resolved once per run.

``scripts/checks/check_destructive.py`` checks statically (a dry run) that every test that
calls a ``destructive`` keyword is tagged ``destructive`` itself.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError

from libraries import run_environment

DESTRUCTIVE_TAG = "destructive"
ALLOW_VARIABLE = "ALLOW_DESTRUCTIVE"
PRODUCTION = run_environment.PRODUCTION

F = TypeVar("F", bound=Callable[..., Any])


class DestructiveActionRefused(RuntimeError):
    """A destructive keyword was called where it must not act."""

    ROBOT_SUPPRESS_NAME = True


def is_destructive(tags: Iterable[Any]) -> bool:
    """True when ``tags`` hold ``destructive`` (case and spaces ignored, as Robot does)."""
    return any(str(tag).replace(" ", "").lower() == DESTRUCTIVE_TAG for tag in tags)


def destructive_allowed() -> bool:
    """True when the user allowed destructive tests explicitly (``ALLOW_DESTRUCTIVE=1``)."""
    return os.environ.get(ALLOW_VARIABLE, "").strip() == "1"


def _robot_variable(name: str) -> Any:
    """A variable of the running test (its name, its tags): Robot context, not environment."""
    try:
        return BuiltIn().get_variable_value(name)
    except RobotNotRunningError:
        return None


def environment_name() -> str:
    """The environment of this run (see :func:`libraries.run_environment.environment_name`)."""
    return run_environment.current_name()


def is_production() -> bool:
    """True on an environment marked production (by name or by ``IS_PRODUCTION`` in its
    variable file): when in doubt, the guard treats the system as production."""
    return run_environment.current_policy().production


def refusal(tags: Iterable[Any] | None) -> str | None:
    """Why a destructive action must not run now, or None when it may.

    ``tags`` are the running test's tags, None outside a test.
    """
    if not is_production():
        return None
    if not destructive_allowed():
        return f"{ALLOW_VARIABLE}=1 is not set"
    if tags is not None and not is_destructive(tags):
        return "the running test is not tagged 'destructive'"
    return None


def running_test_tags() -> list[str] | None:
    """The running test's tags (also in its setup and teardown); None outside a test."""
    if _robot_variable("${TEST NAME}") is None:
        return None
    return list(_robot_variable("@{TEST TAGS}") or [])


def refuse_on_production(action: str) -> None:
    """Fails, before anything is done, when ``action`` must not run here (see module doc)."""
    reason = refusal(running_test_tags())
    if reason:
        raise DestructiveActionRefused(
            f"Refused to {action} on '{environment_name()}', an environment marked "
            f"production: {reason}. Destructive actions run there only in tests tagged "
            f"'{DESTRUCTIVE_TAG}' with {ALLOW_VARIABLE}=1."
        )


def destructive(action: str) -> Callable[[F], F]:
    """Marks a keyword destructive: keyword tag ``destructive``, refused on production.

    Put it above ``@keyword``::

        @destructive("scale a workload")
        @keyword
        def scale_deployment(self, name: str, replicas: int) -> float: ...
    """

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            refuse_on_production(action)
            return function(*args, **kwargs)

        tags = list(getattr(function, "robot_tags", None) or [])
        if not is_destructive(tags):
            tags.append(DESTRUCTIVE_TAG)
        guarded.robot_tags = tags  # type: ignore[attr-defined]
        guarded.destructive_action = action  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]

    return decorate
