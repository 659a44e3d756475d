"""The production guard's listener: refused tests run nothing, not even their setup.

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
    """Marks the destructive tests that must not run here before anything of them runs,
    and reports them skipped with the reason."""

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
        setup) marks every test below it.
        """
        if EXECUTION_CONTEXTS.current is None or EXECUTION_CONTEXTS.current.dry_run:
            return
        reason = safety.refusal(tags=[safety.DESTRUCTIVE_TAG])
        if reason is None:
            return
        message = (
            f"Destructive test not run on '{run_environment.current_name()}', an environment "
            f"marked production ({reason}): no setup, body or teardown ran. "
            f"Set {safety.ALLOW_VARIABLE}=1 to allow it."
        )
        marked = 0
        for test in data.all_tests:
            if id(test) not in self._refused and safety.is_destructive(test.tags):
                test.tags.add(SKIP_TAG)
                self._refused[id(test)] = message
                marked += 1
        if marked:
            logger.console(
                f"Production guard: {marked} destructive test(s) of '{data.full_name}' will "
                f"not run ({reason})"
            )

    def end_test(self, data: Any, result: Any) -> None:
        message = self._refused.get(id(data))
        if message is not None:
            result.tags.remove(SKIP_TAG)
            result.message = message
