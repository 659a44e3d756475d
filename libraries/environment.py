"""Environment: choose the environment, start the twin on demand, guard live systems.

The launcher: it resolves the run's environment once (:mod:`libraries.run_environment`),
starts the twin for ``local`` (through ``twin.control``, imported only then), registers
the production guard (:mod:`libraries.guard`) and holds the cross-process locks
(:mod:`libraries.common.locks`).

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

import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from robot.api import logger
from robot.api.deco import keyword, library
from robot.api.types import Secret
from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError
from robot.result import TestSuite as ResultSuite
from robot.running.context import EXECUTION_CONTEXTS

from libraries import run_environment, safety
from libraries.common.locks import LockManager
from libraries.common.paths import results_dir
from libraries.common.suite_files import run_alone_message
from libraries.guard import ProductionGuard
from libraries.redaction import Redaction
from libraries.run_environment import RunEnvironment

SYSTEM_LOCK = "system"


class UnknownUserMissing(RuntimeError):
    """Failed-login tests off the twin have no user that does not exist."""

    ROBOT_SUPPRESS_NAME = True


def user_for_failed_logins(environment: RunEnvironment, real_user: str) -> str:
    """``real_user`` on the twin with loopback endpoints only; else the environment's
    ``FOCUS_UNKNOWN_USER`` (see `Get User For Failed Logins`)."""
    if environment.is_twin and environment.loopback:
        return real_user
    unknown = environment.text("FOCUS_UNKNOWN_USER")
    if not unknown or unknown == real_user:
        raise UnknownUserMissing(
            "FOCUS_UNKNOWN_USER is empty or names a real account: failed-login tests on "
            f"'{environment.name}' need a user that does not exist (unset it for a random name)"
        )
    return unknown


class EnvironmentFailure(RuntimeError):
    """Stops the whole run: nothing can be tested against a wrong environment."""

    ROBOT_EXIT_ON_FAILURE = True
    ROBOT_SUPPRESS_NAME = True


def _twin_errors() -> tuple[type[Exception], ...]:
    """The twin's one-line errors, once the twin was imported (only ever for ``local``)."""
    control = sys.modules.get("twin.control")
    return (control.TwinError, control.TwinNotRunning) if control else ()


@library(scope="GLOBAL")
class Environment:
    """Environment selection, the twin's lifecycle, the destructive-test guard and locks.

    %TOC%
    """

    ROBOT_LISTENER_API_VERSION = 3

    def __init__(self) -> None:
        self._guard = ProductionGuard()
        # Listeners in this order: the run's environment is chosen before the guard decides;
        # the redactor masks every message Robot writes (libraries/common/redact.py).
        self.ROBOT_LIBRARY_LISTENER = [self, self._guard, Redaction()]
        self._begun = False
        self._locks = LockManager(self._lock_dir)

    # ----------------------------------------------------------------- environment

    def _begin(self) -> None:
        """The run starts: the environment it asks for (``-v ENV:<name>``, else ``FOCUS_ENV``);
        once per library instance, that is once per run (the library is GLOBAL)."""
        if self._begun:
            return
        try:
            requested = BuiltIn().get_variable_value(f"${{{run_environment.ROBOT_VARIABLE}}}")
        except RobotNotRunningError:
            requested = None
        run_environment.begin(requested)
        self._begun = True

    @keyword
    def prepare_test_environment(self) -> str:
        """Validates the environment, starts the twin when needed, sets the variables.

        Idempotent: the first call in a process does the work, later calls return
        at once. Returns the environment's name. An unknown environment or a
        missing variable stops the run with one line saying what to fix.

        | `Prepare Test Environment` |
        | Should Be Equal | ${ENV_NAME} | local |
        """
        alone = run_alone_message()
        if alone is not None:
            logger.error(alone)
            raise EnvironmentFailure(alone)
        self._begin()
        environment = run_environment.active()
        if environment is None:
            expected: tuple[type[Exception], ...] = (
                run_environment.EnvironmentError_,
                *_twin_errors(),
            )
            try:
                environment = run_environment.resolve_environment(
                    run_environment.current_name(), before_loading=self._before_loading
                )
            except expected as error:
                logger.error(str(error))
                raise EnvironmentFailure(str(error)) from None
            run_environment.activate(environment)
            plaintext = environment.value("PLAINTEXT_ENDPOINTS") or []
            if plaintext:
                logger.warn(
                    f"Environment '{environment.name}' runs without TLS "
                    f"(ALLOW_PLAINTEXT={environment.name}): {'; '.join(plaintext)}. "
                    "Passwords and data cross the network in plain text: a lab only."
                )
            self._announce(environment)
            builtin = BuiltIn()
            for name, value in environment.variables.items():
                builtin.set_global_variable(f"${{{name}}}", value)
            # The policy may be stricter than the name's (a non-loopback endpoint, a variable
            # file marking production): the guard marks again what may not run.
            self._guard.remark(environment.policy)
        return environment.name

    @staticmethod
    def _announce(environment: RunEnvironment) -> None:
        """The run's header: the console, log.html's top-suite metadata, and the log."""
        header = environment.header()
        logger.console(header)
        logger.info(header)
        try:
            BuiltIn().set_suite_metadata("Environment", header, top=True)
        except RobotNotRunningError:  # pragma: no cover - only ever called in a run
            pass
        if environment.policy.why:
            logger.warn(
                f"Environment '{environment.name}' runs with {environment.policy.row}'s "
                f"policy: {environment.policy.why}"
            )
        for old in environment.policy.deprecated:
            logger.warn(
                f"{old} is deprecated: set ALLOW_DISRUPTIVE={environment.policy.row} instead "
                "(the value names the environment it allows)"
            )

    def _before_loading(self, name: str) -> None:
        if name == run_environment.LOCAL:
            self._ensure_twin()

    def _ensure_twin(self) -> None:
        from twin import control

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
    def get_secret_values(self) -> list[Secret]:
        """Returns the Secret objects of the loaded environment (for the leak checks).

        The values stay wrapped: logging the list shows ``<secret>`` only.
        """
        self.prepare_test_environment()
        return run_environment.current().secrets()

    @keyword
    def get_user_for_failed_logins(self, real_user: str) -> str:
        """The user name a negative login test sends with a wrong password or key.

        On the twin (``local``, every endpoint loopback) it is ``real_user``: a wrong
        password for a real account is the stronger check, and nobody else uses the twin.
        Anywhere else it is ``${FOCUS_UNKNOWN_USER}`` (the variable ``FOCUS_UNKNOWN_USER``,
        else a random name): failed logins with a real account, repeated by pabot, can lock
        it or trip fail2ban for everyone; a user that does not exist has nothing to lock.

        | ${user} = | `Get User For Failed Logins` | ${FOCUS_USER} |
        | Token Request Should Be Unauthorized | ${user} | wrong-password |

        Returns a user name, e.g. ``tester`` on the twin, ``no-such-user-3fa9c2d1e0b4`` on
        staging.
        """
        self.prepare_test_environment()
        return user_for_failed_logins(run_environment.current(), real_user)

    # ----------------------------------------------------------------------- locks

    def _lock_dir(self) -> Path:
        """Locks belong to the system under test: the twin's directory, or one per environment."""
        environment: RunEnvironment | None = run_environment.active()
        twin_dir = environment.value("TWIN_DIR") if environment else None
        if twin_dir:
            path = Path(twin_dir) / "locks"
        else:
            # No twin directory: one per environment, under results/locks/.
            path = results_dir() / "locks" / (environment.name if environment else "none")
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
        if self._locks.holds(name):
            return
        if scope == "auto":
            scope = "test" if BuiltIn().get_variable_value("${TEST NAME}") else "suite"
        if self._locks.hold(name, mode, timeout.total_seconds(), scope):
            logger.info(f"Holding lock '{name}' ({mode})")

    @keyword
    def release_lock(self, name: str) -> None:
        """Releases a lock before the end of the test (rarely needed)."""
        self._locks.release(name)

    @keyword
    def close_kubernetes_api_port(self) -> None:
        """Closes the local twin's Kubernetes API port; the worker node still reaches the API
        (the SSH fallback tests). Local twin only. Tag the test ``destructive`` and reopen
        the port in its teardown.

        | `Close Kubernetes API Port` |
        | [Teardown] | `Reopen Kubernetes API Port` |
        """
        self._twin_only("Closing the Kubernetes API port")
        from twin import control

        control.set_kube_api_port(False)
        logger.info("The twin's Kubernetes API port is closed")

    @keyword
    def reopen_kubernetes_api_port(self) -> None:
        """Reopens the local twin's Kubernetes API port (use in the teardown).

        | [Teardown] | `Reopen Kubernetes API Port` |
        """
        self._twin_only("Reopening the Kubernetes API port")
        from twin import control

        control.set_kube_api_port(True)
        logger.info("The twin's Kubernetes API port is open again")

    @staticmethod
    def _twin_only(what: str) -> None:
        environment = run_environment.active()
        if environment is None or not environment.is_twin:
            raise AssertionError(
                f"{what} works on the local twin only, not on "
                f"'{run_environment.current_name()}': run this test locally"
            )

    # -------------------------------------------------------------------- guard

    @keyword
    def effect_should_be_allowed(
        self, effect: Literal["own-data", "shared", "disruptive"], action: str
    ) -> None:
        """Fails, before anything is done, when ``action`` of class ``effect`` must not run.

        The first step of every resource keyword that changes state (which also carries
        ``[Tags]    <effect>``). It fails when the environment's policy rules ``effect``
        out (``variables/policy.py``: ``shared`` on production needs
        ``ALLOW_SHARED=production``, ``disruptive`` on staging and production needs
        ``ALLOW_DISRUPTIVE=<env>``), or, off the twin, when the running test is tagged with
        a weaker effect. On the twin it passes.

        | `Effect Should Be Allowed` | shared | publish an alert under the real site |
        | `Effect Should Be Allowed` | disruptive | fill every capacity slot |
        """
        safety.refuse(effect, action)

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

    # -------------------------------------------------------------------- listener

    def start_suite(self, data: Any, result: Any) -> None:
        """The first suite that sees the library starts the run: its environment is chosen
        here, before the guard (the next listener) marks what must not run."""
        if EXECUTION_CONTEXTS.current is not None:
            self._begin()

    def start_test(self, data: Any, result: Any) -> None:
        if EXECUTION_CONTEXTS.current is None or EXECUTION_CONTEXTS.current.dry_run:
            return
        if self._guard.refused(data):
            return
        destructive = safety.is_destructive(data.tags)
        # Every test shares the system; a destructive one has it alone (see `Hold Lock`).
        self.hold_lock(
            SYSTEM_LOCK,
            "exclusive" if destructive else "shared",
            timeout=timedelta(minutes=15),
            scope="test",
        )

    def end_test(self, data: Any, result: Any) -> None:
        self._locks.release_scope("test")

    def end_suite(self, data: Any, result: Any) -> None:
        self._locks.release_scope("suite")

    @staticmethod
    def _suite_fixture(result: Any) -> bool:
        return result.type in ("SETUP", "TEARDOWN") and isinstance(result.parent, ResultSuite)

    def start_keyword(self, data: Any, result: Any) -> None:
        """A suite setup or teardown holds the ``system`` lock shared while it runs.

        So under pabot it never meets another process's outage (a destructive test holds
        the lock exclusively); it is released when the setup or teardown ends, never
        held across the suite (a destructive test of this process would wait on it).
        Before the environment is prepared the lock's place is unknown: the top suite's
        setup takes it itself, after `Prepare Test Environment`.
        """
        if not self._suite_fixture(result) or run_environment.active() is None:
            return
        context = EXECUTION_CONTEXTS.current
        if context is None or context.dry_run or self._locks.holds(SYSTEM_LOCK):
            return
        self.hold_lock(SYSTEM_LOCK, "shared", timeout=timedelta(minutes=15), scope="fixture")

    def end_keyword(self, data: Any, result: Any) -> None:
        if self._suite_fixture(result):
            self._locks.release_scope("fixture")

    def close(self) -> None:
        self._locks.release_all()
