"""A stand-in destructive keyword for tests/test_production_guard.py: it touches a file."""

from pathlib import Path

from robot.api.deco import keyword, library

from libraries.safety import disruptive


@library(scope="GLOBAL")
class GuardProbe:
    @disruptive("wreck the system")
    @keyword
    def wreck_something(self, marker: str) -> None:
        """Creates ``marker`` (what a real destructive keyword would do to the system)."""
        Path(marker).touch()
