"""Sanity: one check of every service of the environment before anything is tested."""

from __future__ import annotations

import time

from robot.api import logger
from robot.api.deco import keyword, library
from robot.output import LOGGER

from libraries import run_environment
from libraries.sanity.checks import DEADLINE_S, Target, check_all, table, target_from

__all__ = ["Sanity"]


class SanityFailure(RuntimeError):
    """Stops the whole run: the environment cannot be tested."""

    ROBOT_EXIT_ON_FAILURE = True
    ROBOT_SUPPRESS_NAME = True


@library(scope="GLOBAL")
class Sanity:
    """The pre-run sanity check (the seeds' ``sanity_checker``).

    = Usage =

    The top suite's setup (``robot/__init__.robot``) calls `Check Environment Services`
    after `Prepare Test Environment`, which resolved the environment it checks. Every
    service is checked at once, in parallel: the Focus API and its token, MongoDB with
    authentication, RabbitMQ over AMQP and its management API, the Kubernetes API and the
    namespace, and SSH (jump host and worker node) where ``SSH_HOST`` is set. Each check
    has a short timeout and the whole check a deadline, so an unreachable environment is
    reported within seconds.

    On any failure the run stops at once with one table on the console:

    | Environment 'staging' is not ready: 5 of 5 services failed the sanity check (0.4 s).
    | +-------------------+------------------------+--------------------+----------------------+
    | | service           | address                | what failed        | how to fix           |
    | +-------------------+------------------------+--------------------+----------------------+
    | | MongoDB (auth)    | 127.0.0.1:9/prisma     | connection refused | check the host and   |
    | |                   |                        |                    | port in MONGO_URI    |

    Secrets are never part of it.
    """

    @keyword
    def check_environment_services(self, deadline: float = DEADLINE_S) -> None:
        """Checks every service of the environment at once; stops the run with one table
        (service, address, what failed, how to fix) when any fails.

        | `Prepare Test Environment` |
        | `Check Environment Services` |
        """
        target = self._target()
        started = time.monotonic()
        outcomes = check_all(target, deadline)
        seconds = time.monotonic() - started
        summary = ", ".join(f"{o.service} {'ok' if o.ok else 'FAILED'}" for o in outcomes)
        logger.info(f"Sanity check of '{target.env_name}' in {seconds:.1f} s: {summary}")
        if all(outcome.ok for outcome in outcomes):
            return
        text = table(outcomes, target.env_name, seconds)
        logger.error(text)
        # The table is the whole story: no line per test that cannot run after it.
        LOGGER.unregister_console_logger()
        failed = sum(1 for outcome in outcomes if not outcome.ok)
        raise SanityFailure(
            f"Sanity check: {failed} service{'s' if failed != 1 else ''} of environment "
            f"'{target.env_name}' not ready (table above); nothing was tested"
        )

    @staticmethod
    def _target() -> Target:
        environment = run_environment.current()
        return target_from(environment.name, environment.variables)
