"""The effect guard's listener: refused tests run nothing, not even their setup.

The ``Environment`` library (:mod:`libraries.environment`) registers it with itself,
so every suite that imports ``resources/common.resource`` has it. The rules are in
:mod:`libraries.safety`; the environment's policy comes from
:mod:`libraries.run_environment`.
"""

from __future__ import annotations

from typing import Any

from robot.api import logger
from robot.running.context import EXECUTION_CONTEXTS

from libraries import run_environment, safety

# Robot Framework runs nothing of a test with this tag: no setup, body or teardown.
SKIP_TAG = "robot:skip"


class ProductionGuard:
    """Marks the tests whose effect (``own-data``, ``shared``, ``disruptive``) the run's
    policy rules out before anything of them runs, and reports them skipped with the
    reason."""

    ROBOT_LISTENER_API_VERSION = 3

    def __init__(self) -> None:
        self._refused: dict[int, str] = {}  # id(test data) -> why it does not run

    def refused(self, test: Any) -> bool:
        """True when ``test`` (running model) was marked not to run."""
        return id(test) in self._refused

    def start_suite(self, data: Any, result: Any) -> None:
        """``robot:skip`` makes Robot Framework run nothing of the test (no setup, body or
        teardown) and, when every test of a suite is marked, not the suite's setup or
        teardown either. The first suite that sees the library (the root one, before its
        setup) marks every test below it whose effect the policy rules out.
        """
        if EXECUTION_CONTEXTS.current is None or EXECUTION_CONTEXTS.current.dry_run:
            return
        policy = run_environment.current_policy()
        marked: dict[str, int] = {}
        for test in data.all_tests:
            if id(test) in self._refused:
                continue
            effect = safety.effect_of_tags(test.tags)
            if policy.allows(effect):
                continue
            test.tags.add(SKIP_TAG)
            self._refused[id(test)] = (
                f"'{effect}' test not run on '{run_environment.current_name()}' "
                f"({policy.row}'s policy: {policy.missing[effect]} is not set): no setup, "
                f"body or teardown ran. Set {policy.missing[effect]} to allow it."
            )
            marked[effect] = marked.get(effect, 0) + 1
        for effect, count in marked.items():
            logger.console(
                f"Effect guard: {count} '{effect}' test(s) of '{data.full_name}' will not run "
                f"({policy.missing[effect]} is not set)"
            )

    def end_test(self, data: Any, result: Any) -> None:
        message = self._refused.get(id(data))
        if message is not None:
            result.tags.remove(SKIP_TAG)
            result.message = message
