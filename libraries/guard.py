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
from libraries.run_environment import Policy

# Robot Framework runs nothing of a test with this tag: no setup, body or teardown.
SKIP_TAG = "robot:skip"


class ProductionGuard:
    """Marks the tests whose effect (``own-data``, ``shared``, ``disruptive``) the run's
    policy rules out before anything of them runs, and reports them skipped with the
    reason."""

    ROBOT_LISTENER_API_VERSION = 3

    def __init__(self) -> None:
        self._refused: dict[int, str] = {}  # id(test data) -> why it does not run
        self._started: set[int] = set()
        self._root: Any = None

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
        if self._root is None:
            self._root = data
            self._warn_deprecated(data)
        self._mark(data, run_environment.current_policy())

    def remark(self, policy: Policy) -> None:
        """The environment is resolved (the root suite's setup): its policy may be stricter
        than its name's; marks what that policy rules out among the tests not started yet."""
        if self._root is not None:
            self._mark(self._root, policy)

    def _mark(self, suite: Any, policy: Policy) -> None:
        marked: dict[str, int] = {}
        for test in suite.all_tests:
            if id(test) in self._refused or id(test) in self._started:
                continue
            effect = safety.effect_of_tags(test.tags)
            if policy.allows(effect):
                continue
            test.tags.add(SKIP_TAG)
            row = f"{policy.row}'s policy" + (f", {policy.why}" if policy.why else "")
            self._refused[id(test)] = (
                f"'{effect}' test not run on '{run_environment.current_name()}' ({row}: "
                f"{policy.missing[effect]} is not set): no setup, body or teardown ran. "
                f"Set {policy.missing[effect]} to allow it."
            )
            marked[effect] = marked.get(effect, 0) + 1
        for effect, count in marked.items():
            logger.console(
                f"Effect guard: {count} '{effect}' test(s) of '{suite.full_name}' will not run "
                f"({policy.missing[effect]} is not set)"
            )

    @staticmethod
    def _warn_deprecated(suite: Any) -> None:
        old = [test for test in suite.all_tests if safety.deprecated_tags(test.tags)]
        if old:
            logger.warn(
                f"{len(old)} test(s) are tagged 'destructive', which is deprecated: tag them "
                f"'disruptive' (e.g. '{old[0].full_name}')"
            )

    def start_test(self, data: Any, result: Any) -> None:
        self._started.add(id(data))

    def end_test(self, data: Any, result: Any) -> None:
        message = self._refused.get(id(data))
        if message is not None:
            result.tags.remove(SKIP_TAG)
            result.message = message
