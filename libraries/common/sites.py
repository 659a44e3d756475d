"""Site ids: the environment's real one, and the test's own (``Use A Test Site``).

A test's alerts carry a site id of its own (``<SITE_ID>.<suffix>``), set by the resource
keyword ``Use A Test Site`` as ``${TEST_SITE_ID}``; teardowns delete by it. Nothing a test
publishes or deletes may name the environment's real site, which is other people's data.
"""

from __future__ import annotations

from typing import Any

from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError

from contract import constants
from libraries import run_environment

TEST_SITE_VARIABLE = "${TEST_SITE_ID}"


def real_site_id() -> str:
    """The environment's own site id (its variable file's ``SITE_ID``), not a test's."""
    environment = run_environment.active()
    if environment is not None:
        return environment.text("SITE_ID", constants.SITE_ID)
    return constants.SITE_ID


def current_test_site() -> str | None:
    """The running test's (or suite's) own site id, None when none was set up (or outside
    Robot). The real site is never a test site, whatever a variable says."""
    try:
        value = BuiltIn().get_variable_value(TEST_SITE_VARIABLE)
    except RobotNotRunningError:
        return None
    if value is None or str(value) in ("", real_site_id()):
        return None
    return str(value)


class RealSiteRefused(RuntimeError):
    """An alert was about to be published under the environment's real site id."""

    ROBOT_SUPPRESS_NAME = True


def require_test_site(site_id: Any, action: str) -> None:
    """Refuse ``action`` when ``site_id`` is the environment's real site: a test's alerts
    carry a test site id (`Use A Test Site`), which its teardown deletes by."""
    real = real_site_id()
    if str(site_id) == real:
        raise RealSiteRefused(
            f"Refused to {action} under the environment's real site id {real!r}: alerts of "
            "a test carry a test site id, which its teardown deletes. Give the test one with "
            "'Use A Test Site' (resources/fixtures/alerts.resource) or pass siteId=<test site>."
        )
