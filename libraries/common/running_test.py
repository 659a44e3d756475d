"""The name of what is running now, for records that must say which test made something
(the task ledger): ``Suite.Sub.Test``, or ``Suite.Sub (suite setup or teardown)``.

Reads Robot Framework's built-in variables; outside a Robot run the name is empty.
"""

from __future__ import annotations


def running_test() -> str:
    """The long name of the running test, or of the suite in its setup or teardown."""
    from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError

    try:
        builtin = BuiltIn()
        suite = builtin.get_variable_value("${SUITE NAME}")
        test = builtin.get_variable_value("${TEST NAME}")
    except RobotNotRunningError:
        return ""
    if not suite:
        return ""
    return f"{suite}.{test}" if test else f"{suite} (suite setup or teardown)"
