"""Environment: choose the environment, start the twin on demand, guard live systems.

= Environments =

The environment is chosen with ``-v ENV:<name>`` (or ``FOCUS_ENV``); the default is
``local``, the twin. ``Prepare Test Environment`` loads ``variables/<name>.py`` and
sets its variables (``${FOCUS_BASE_URL}``, ``${MONGO_PASSWORD}``, ...) globally.
Passwords and tokens are ``Secret`` values: logs show ``<secret>``.

With ``local`` the twin starts on demand, once per run, also under pabot, and is
leased to the run: it stops by itself when the run ends, however it ends. A twin
already started with ``python -m twin up`` is used and left running.

= Live systems =

Tests tagged ``destructive`` (they delete pods, scale, flood, fill or load) do not
run on an environment marked production unless ``ALLOW_DESTRUCTIVE=1`` is set:
they are reported skipped, and nothing of them runs, neither setup, nor body, nor
teardown. A suite whose tests are all refused so runs no suite setup or teardown.
Keywords that act destructively carry the keyword tag ``destructive`` and refuse on
production unless the running test is tagged ``destructive`` and allowed (see
`Destructive Action Should Be Allowed`).

= Parallel runs =

``Hold Lock`` is a reader/writer lock across processes (pabot): tests that use a
shared resource hold it ``shared``; a test that needs the resource alone (an
outage, filling the capacity) holds it ``exclusive`` and waits until no other
test holds it. Locks are released when the test (or suite) that took them ends.

Every test holds the ``system`` lock automatically: shared, or exclusive when it
is tagged ``destructive``. So under pabot a destructive test runs alone, and no
test ever sees an outage that it did not cause.
"""

from __future__ import annotations

import fcntl
import importlib
import os
import re
import time
from datetime import timedelta
from pathlib import Path
from typing import Literal

from robot.api import logger
from robot.api.deco import keyword, library
from robot.libraries.BuiltIn import BuiltIn
from robot.result import TestSuite as ResultSuite
from robot.running.context import EXECUTION_CONTEXTS

from libraries import safety
from libraries.common.polling import wait_until
from twin import control
from variables import environments

_LOCK_POLL_S = 0.05
# Locks of an environment without a twin directory: one directory per environment.
LOCKS_ROOT = Path(__file__).resolve().parents[1] / "results" / "locks"
SYSTEM_LOCK = "system"
# Robot Framework runs nothing of a test with this tag: no setup, body or teardown.
_SKIP_TAG = "robot:skip"


class EnvironmentFailure(RuntimeError):
    """Stops the whole run: nothing can be tested against a wrong environment."""

    ROBOT_EXIT_ON_FAILURE = True
    ROBOT_SUPPRESS_NAME = True


class _HeldLock:
    def __init__(self, handle, turnstile, scope: str) -> None:
        self.handle = handle
        self.turnstile = turnstile
        self.scope = scope

    def release(self) -> None:
        for item in (self.handle, self.turnstile):
            if item is not None:
                fcntl.flock(item, fcntl.LOCK_UN)
                item.close()


@library(scope="GLOBAL", listener="SELF")
class Environment:
    """Environment selection, the twin's lifecycle, the destructive-test guard and locks.

    %TOC%
    """

    ROBOT_LISTENER_API_VERSION = 3

    def __init__(self) -> None:
        self._variables: dict | None = None
        self._locks: dict[str, _HeldLock] = {}
        self._depth = 0
        self._refused: dict[int, str] = {}  # id(test data) -> why it does not run

    # ----------------------------------------------------------------- environment

    @keyword
    def prepare_test_environment(self) -> str:
        """Validates the environment, starts the twin when needed, sets the variables.

        Idempotent: the first call in a process does the work, later calls return
        at once. Returns the environment's name. An unknown environment or a
        missing variable stops the run with one line saying what to fix.

        | `Prepare Test Environment` |
        | Should Be Equal | ${ENV_NAME} | local |
        """
        if self._variables is None:
            try:
                self._variables = self._load()
            except (
                environments.EnvironmentError_,
                control.TwinError,
                control.TwinNotRunning,
            ) as error:
                logger.error(str(error))
                raise EnvironmentFailure(str(error)) from None
            builtin = BuiltIn()
            for name, value in self._variables.items():
                builtin.set_global_variable(f"${{{name}}}", value)
        return self._variables["ENV_NAME"]

    def _environment_name(self) -> str:
        name = BuiltIn().get_variable_value("${ENV}") or os.environ.get("FOCUS_ENV")
        name = str(name or environments.DEFAULT_ENVIRONMENT).strip().lower()
        if name not in environments.VALID_ENVIRONMENTS:
            raise environments.unknown_environment(name)
        return name

    def _load(self) -> dict:
        name = self._environment_name()
        if name == "local":
            self._ensure_twin()
        # The variable file is chosen by name, as Robot's own `Variables` does.
        variables = importlib.import_module(f"variables.{name}").get_variables()
        logger.info(f"Environment '{name}': Focus API at {variables['FOCUS_BASE_URL']}")
        return variables

    def _ensure_twin(self) -> None:
        owners = [os.getpid()]
        if BuiltIn().get_variable_value("${PABOTEXECUTIONPOOLID}") is not None:
            owners.append(os.getppid())  # the pabot process outlives each robot process
        result = control.up(owners=owners)
        verb = "started" if result.started else "joined"
        logger.info(f"Twin {verb} ({result.mode} mode) in {result.seconds:.1f}s")
        if result.started:
            logger.console(f"Local twin started in {result.seconds:.1f}s ({control.twin_dir()})")
        if result.bugs:
            bugs = control.describe_bugs(result.bugs)
            logger.warn(f"The twin runs with known bugs switched on: {bugs}")

    @keyword
    def get_secret_values(self) -> list:
        """Returns the Secret objects of the loaded environment (for the leak checks).

        The values stay wrapped: logging the list shows ``<secret>`` only.
        """
        from robot.api.types import Secret

        self.prepare_test_environment()
        return [value for value in self._variables.values() if isinstance(value, Secret)]

    # ----------------------------------------------------------------------- locks

    def _lock_dir(self) -> Path:
        """Locks belong to the system under test: the twin's directory, or one per environment."""
        variables = self._variables or {}
        if variables.get("TWIN_DIR"):
            path = Path(variables["TWIN_DIR"]) / "locks"
        else:
            path = LOCKS_ROOT / variables.get("ENV_NAME", "none")
        path.mkdir(parents=True, exist_ok=True)
        return path

    @keyword
    def hold_lock(
        self,
        name: str,
        mode: Literal["shared", "exclusive"] = "shared",
        timeout: timedelta = timedelta(minutes=5),
        scope: Literal["test", "suite", "auto", "fixture"] = "auto",
    ) -> None:
        """Holds the cross-process lock ``name`` until the current test (or suite) ends.

        ``shared`` holders run together; an ``exclusive`` holder runs alone, and
        waiting exclusive holders are served before new shared ones, so they
        cannot starve.

        | `Hold Lock` | focus-capacity | shared |
        | `Hold Lock` | focus-capacity | exclusive | timeout=10 min |
        """
        if name in self._locks:
            return
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
            raise ValueError(f"lock names are letters, digits, '.', '_' and '-': {name!r}")
        directory = self._lock_dir()
        deadline = time.monotonic() + timeout.total_seconds()
        turnstile = open(directory / f"{name}.turnstile", "w")  # noqa: SIM115
        handle = open(directory / f"{name}.lock", "w")  # noqa: SIM115
        try:
            self._flock(turnstile, fcntl.LOCK_EX, deadline, name)
            self._flock(
                handle, fcntl.LOCK_EX if mode == "exclusive" else fcntl.LOCK_SH, deadline, name
            )
        except BaseException:
            for item in (handle, turnstile):
                item.close()
            raise
        if mode == "shared":
            fcntl.flock(turnstile, fcntl.LOCK_UN)
            turnstile.close()
            turnstile = None
        if scope == "auto":
            scope = "test" if BuiltIn().get_variable_value("${TEST NAME}") else "suite"
        self._locks[name] = _HeldLock(handle, turnstile, scope)
        logger.info(f"Holding lock '{name}' ({mode})")

    @staticmethod
    def _flock(handle, operation: int, deadline: float, name: str) -> None:
        def take() -> bool:
            try:
                fcntl.flock(handle, operation | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True

        wait_until(
            take,
            what=f"lock '{name}' to be free (another test holds it)",
            timeout=max(deadline - time.monotonic(), 0.0),
            interval=_LOCK_POLL_S,
            describe=lambda _: "held by another test",
            error=TimeoutError,
        )

    @keyword
    def release_lock(self, name: str) -> None:
        """Releases a lock before the end of the test (rarely needed)."""
        held = self._locks.pop(name, None)
        if held:
            held.release()

    def _release_scope(self, scope: str) -> None:
        for name in [n for n, held in self._locks.items() if held.scope == scope]:
            self.release_lock(name)

    @keyword
    def close_kubernetes_api_port(self) -> None:
        """Closes the local twin's Kubernetes API port; the worker node still reaches the API
        (the SSH fallback tests). Local twin only. Tag the test ``destructive`` and reopen
        the port in its teardown.

        | `Close Kubernetes API Port` |
        | [Teardown] | `Reopen Kubernetes API Port` |
        """
        self._twin_only("Closing the Kubernetes API port")
        control.set_kube_api_port(False)
        logger.info("The twin's Kubernetes API port is closed")

    @keyword
    def reopen_kubernetes_api_port(self) -> None:
        """Reopens the local twin's Kubernetes API port (use in the teardown).

        | [Teardown] | `Reopen Kubernetes API Port` |
        """
        self._twin_only("Reopening the Kubernetes API port")
        control.set_kube_api_port(True)
        logger.info("The twin's Kubernetes API port is open again")

    @staticmethod
    def _twin_only(what: str) -> None:
        env = BuiltIn().get_variable_value("${ENV_NAME}")
        if env != "local":
            raise AssertionError(
                f"{what} works on the local twin only, not on '{env}': run this test locally"
            )

    # -------------------------------------------------------------------- listener

    @keyword
    def destructive_action_should_be_allowed(self, action: str) -> None:
        """Fails, before anything is done, when ``action`` must not run on this environment.

        On an environment marked production a destructive action runs only in a test
        tagged ``destructive`` with ``ALLOW_DESTRUCTIVE=1`` (outside a test, in a suite
        setup or teardown, ``ALLOW_DESTRUCTIVE=1`` alone). Elsewhere it passes. Resource
        keywords that fill, flood or load call it first and carry ``[Tags] destructive``;
        library keywords that delete or scale do the same by themselves.

        | `Destructive Action Should Be Allowed` | fill every capacity slot |
        """
        safety.refuse_on_production(action)

    def start_suite(self, data, result) -> None:
        """Marks the destructive tests that must not run here, before anything runs.

        ``robot:skip`` makes Robot Framework run nothing of the test (no setup, body or
        teardown) and, when every test of a suite is marked, not the suite's setup or
        teardown either. The first suite that sees the library (the root one, before its
        setup) marks every test below it.
        """
        if EXECUTION_CONTEXTS.current is None or EXECUTION_CONTEXTS.current.dry_run:
            return
        reason = safety.refusal(tags=["destructive"])
        if reason is None:
            return
        message = (
            f"Destructive test not run on '{safety.environment_name()}', an environment "
            f"marked production ({reason}): no setup, body or teardown ran. "
            f"Set {safety.ALLOW_VARIABLE}=1 to allow it."
        )
        marked = 0
        for test in data.all_tests:
            if id(test) not in self._refused and safety.is_destructive(test.tags):
                test.tags.add(_SKIP_TAG)
                self._refused[id(test)] = message
                marked += 1
        if marked:
            logger.console(
                f"Production guard: {marked} destructive test(s) of '{data.full_name}' will "
                f"not run ({reason})"
            )

    def start_test(self, data, result) -> None:
        if EXECUTION_CONTEXTS.current is None or EXECUTION_CONTEXTS.current.dry_run:
            return
        if id(data) in self._refused:
            return
        destructive = safety.is_destructive(data.tags)
        # Every test shares the system; a destructive one has it alone (see `Hold Lock`).
        self.hold_lock(
            SYSTEM_LOCK,
            "exclusive" if destructive else "shared",
            timeout=timedelta(minutes=15),
            scope="test",
        )

    def end_test(self, data, result) -> None:
        message = self._refused.get(id(data))
        if message is not None:
            result.tags.remove(_SKIP_TAG)
            result.message = message
        self._release_scope("test")

    def end_suite(self, data, result) -> None:
        self._release_scope("suite")

    @staticmethod
    def _suite_fixture(result) -> bool:
        return result.type in ("SETUP", "TEARDOWN") and isinstance(result.parent, ResultSuite)

    def start_keyword(self, data, result) -> None:
        """A suite setup or teardown holds the ``system`` lock shared while it runs.

        So under pabot it never meets another process's outage (a destructive test holds
        the lock exclusively); it is released when the setup or teardown ends, never
        held across the suite (a destructive test of this process would wait on it).
        Before the environment is prepared the lock's place is unknown: the top suite's
        setup takes it itself, after `Prepare Test Environment`.
        """
        if not self._suite_fixture(result) or self._variables is None:
            return
        context = EXECUTION_CONTEXTS.current
        if context is None or context.dry_run or SYSTEM_LOCK in self._locks:
            return
        self.hold_lock(SYSTEM_LOCK, "shared", timeout=timedelta(minutes=15), scope="fixture")

    def end_keyword(self, data, result) -> None:
        if self._suite_fixture(result):
            self._release_scope("fixture")

    def close(self) -> None:
        for name in list(self._locks):
            self.release_lock(name)
