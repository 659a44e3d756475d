"""Reads the assertion timeout in force, and times a getter that never holds."""

import time
from datetime import timedelta

from assertionengine import AssertionOperator
from robot.api.deco import keyword

from libraries.common import polling


@keyword
def timeout_should_be(expected: timedelta) -> None:
    actual = polling.assertion_timeout()
    if actual != expected:
        raise AssertionError(f"assertion timeout is {actual}, expected {expected}")


@keyword
def getter_should_poll_for(seconds: float) -> None:
    started = time.monotonic()
    try:
        polling.poll_assertion(lambda: "a", AssertionOperator["=="], "b", interval=0.1)
    except AssertionError as error:
        waited = time.monotonic() - started
        if not seconds <= waited < seconds + 1.5:
            raise AssertionError(f"polled {waited:.2f} s, expected about {seconds} s") from None
        if f"timeout {seconds:g} s" not in str(error):
            raise AssertionError(f"failure does not name the timeout: {error}") from None
        return
    raise AssertionError("the getter passed although the value never matched")
