"""Effects: every keyword that changes state says what it changes, and refuses where the
environment's policy rules it out.

= Effect classes =

Weakest first (the table of what runs where is ``variables/policy.py``):

- ``read-only``: changes nothing. No tag, no decorator.
- ``own-data``: creates only test-scoped things (a test site id, a test-named queue, the
  test's own tasks) and removes them, also when the test fails.
- ``shared``: changes what others see: publishes to a live exchange, stops a task by any id,
  inserts into a live collection, logs in with a wrong password, runs a command on a node,
  sends hostile input.
- ``disruptive``: outages, floods, capacity fills, load. ``destructive`` is its deprecated
  name (tag and decorator), kept for one release with a deprecation warning.

= Declaring an effect =

A library keyword: the decorator, above ``@keyword``::

    from libraries.safety import own_data, shared, disruptive

    @shared("publish a raw message to any exchange")
    @keyword
    def publish_raw_message(self, exchange: str, routing_key: str, body: str) -> None: ...

It adds the keyword tag (``shared``) and, before the keyword does anything, refuses
(:class:`EffectRefused`, one line) when the policy rules the effect out, or when the
environment is not the twin and the running test is tagged with a weaker effect.
``@effect("shared", "...")`` is the same as ``@shared("...")``.

A resource keyword: ``[Tags]    shared`` and, as its first step,
``Effect Should Be Allowed    shared    publish an alert`` (``Environment`` library).

A test: the tag of the strongest effect it reaches (``own-data``, ``shared`` or
``disruptive``; none for read-only). ``make lint`` (``scripts/checks/check_effects.py``)
checks both: every keyword that reaches a write declares an effect at least as strong as
what it reaches, and every test carries the tag of the strongest keyword it reaches.

= Two layers =

1. The guard listener (:mod:`libraries.guard`) skips, before anything of them runs, the tests
   whose effect the policy rules out: no setup, body or teardown.
2. Defence in depth: the keywords refuse at run time (above).

The policy comes from :func:`libraries.run_environment.current_policy`, resolved once per run.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError

from libraries import run_environment
from libraries.common.effects import cleans_up, no_effect
from variables import policy as table

__all__ = [
    "DISRUPTIVE",
    "OWN_DATA",
    "READ_ONLY",
    "SHARED",
    "EffectRefused",
    "cleans_up",
    "disruptive",
    "effect",
    "no_effect",
    "own_data",
    "refuse",
    "refusal",
    "shared",
]

READ_ONLY = table.READ_ONLY
OWN_DATA = table.OWN_DATA
SHARED = table.SHARED
DISRUPTIVE = table.DISRUPTIVE
EFFECTS = table.EFFECTS
EFFECT_TAGS = (OWN_DATA, SHARED, DISRUPTIVE)

# Deprecated: the tag and the allowance of the first guard (use DISRUPTIVE, ALLOW_DISRUPTIVE).
DESTRUCTIVE_TAG = "destructive"
ALLOW_VARIABLE = "ALLOW_DESTRUCTIVE"
PRODUCTION = run_environment.PRODUCTION

F = TypeVar("F", bound=Callable[..., Any])


class EffectRefused(RuntimeError):
    """A keyword was called where its effect must not happen."""

    ROBOT_SUPPRESS_NAME = True


DestructiveActionRefused = EffectRefused  # the old name


def _normal(tag: Any) -> str:
    """A tag as Robot compares it (case and spaces ignored), with ``_`` read as ``-``."""
    return str(tag).replace(" ", "").replace("_", "-").lower()


def effect_name(value: Any) -> str:
    """The effect class ``value`` names (``Shared``, ``own_data``, ``destructive``...);
    ValueError for anything else."""
    name = _normal(value)
    name = table.DEPRECATED_TAGS.get(name, name)
    if name not in EFFECTS:
        raise ValueError(f"'{value}' is not an effect class: use one of {', '.join(EFFECTS)}")
    return name


def rank(effect: str) -> int:
    """0 for read-only up to 3 for disruptive."""
    return EFFECTS.index(effect_name(effect))


def effect_of_tags(tags: Iterable[Any]) -> str:
    """The strongest effect class among ``tags`` (``destructive`` counts as disruptive);
    ``read-only`` when none is there."""
    found = READ_ONLY
    for tag in tags:
        name = table.DEPRECATED_TAGS.get(_normal(tag), _normal(tag))
        if name in EFFECT_TAGS and EFFECTS.index(name) > EFFECTS.index(found):
            found = name
    return found


def deprecated_tags(tags: Iterable[Any]) -> list[str]:
    """The deprecated effect tags among ``tags`` (``destructive``)."""
    return [str(tag) for tag in tags if _normal(tag) in table.DEPRECATED_TAGS]


def is_destructive(tags: Iterable[Any]) -> bool:
    """True when ``tags`` make a disruptive test or keyword (``disruptive`` or the old
    ``destructive``)."""
    return effect_of_tags(tags) == DISRUPTIVE


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
    """True when the production row of the policy applies (by name, by ``IS_PRODUCTION`` in
    the variable file): when in doubt, the guard treats the system as production."""
    return run_environment.current_policy().production


def refusal(tags: Iterable[Any] | None, effect: str = DISRUPTIVE) -> str | None:
    """Why an action of class ``effect`` must not run now, or None when it may.

    ``tags`` are the running test's tags, None outside a test (a suite setup or teardown:
    then only the policy counts).
    """
    effect = effect_name(effect)
    policy = run_environment.current_policy()
    if not policy.allows(effect):
        return f"{policy.missing[effect]} is not set"
    if tags is not None and policy.restricted:
        tagged = effect_of_tags(tags)
        if rank(tagged) < rank(effect):
            what = f"tagged '{tagged}'" if tagged != READ_ONLY else "not tagged with an effect"
            return f"the running test is {what}, and this action is '{effect}'"
    return None


def running_test_tags() -> list[str] | None:
    """The running test's tags (also in its setup and teardown); None outside a test."""
    if _robot_variable("${TEST NAME}") is None:
        return None
    return list(_robot_variable("@{TEST TAGS}") or [])


def refuse(effect: str, action: str) -> None:
    """Fails, before anything is done, when ``action`` (of class ``effect``) must not run here."""
    effect = effect_name(effect)
    reason = refusal(running_test_tags(), effect)
    if reason:
        policy = run_environment.current_policy()
        row = "" if policy.row == environment_name() else f" (with {policy.row}'s policy)"
        raise EffectRefused(
            f"Refused to {action} on '{environment_name()}'{row}: {reason}. A '{effect}' "
            f"action runs there only in a test tagged '{effect}'"
            + (f" with {policy.missing[effect]}." if effect in policy.missing else ".")
        )


def refuse_on_production(action: str) -> None:
    """The first guard's check, kept for callers: :func:`refuse` with ``disruptive``."""
    refuse(DISRUPTIVE, action)


def effect(kind: str, action: str) -> Callable[[F], F]:
    """Declares a library keyword's effect: keyword tag ``kind``, refused where ruled out.

    Put it above ``@keyword``::

        @effect("shared", "stop a task by any id")
        @keyword
        def stop_task(self, task_id: str) -> None: ...

    ``action`` completes "Refused to ..." in the refusal message.
    """
    kind = effect_name(kind)
    if kind == READ_ONLY:
        raise ValueError("read-only keywords need no effect declaration")

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            refuse(kind, action)
            return function(*args, **kwargs)

        tags = [
            tag
            for tag in getattr(function, "robot_tags", None) or []
            if effect_of_tags([tag]) == READ_ONLY
        ]
        tags.append(kind)
        guarded.robot_tags = tags  # type: ignore[attr-defined]
        guarded.robot_effect = kind  # type: ignore[attr-defined]
        guarded.effect_action = action  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]

    return decorate


def own_data(action: str) -> Callable[[F], F]:
    """``@effect("own-data", action)``: creates test-scoped things and removes them."""
    return effect(OWN_DATA, action)


def shared(action: str) -> Callable[[F], F]:
    """``@effect("shared", action)``: changes what others see."""
    return effect(SHARED, action)


def disruptive(action: str) -> Callable[[F], F]:
    """``@effect("disruptive", action)``: outages, floods, capacity fills, load."""
    return effect(DISRUPTIVE, action)


def destructive(action: str) -> Callable[[F], F]:
    """Deprecated name of :func:`disruptive` (kept for one release)."""
    return effect(DISRUPTIVE, action)
