"""Writes the FocusApi connection's current token to a file (never to the log)."""

from pathlib import Path

from robot.api.deco import keyword
from robot.libraries.BuiltIn import BuiltIn


@keyword
def write_the_current_token_outside_the_log(path: str) -> None:
    library = BuiltIn().get_library_instance("libraries.focus_api.FocusApi")
    Path(path).write_text(library.state.connections.current.tokens.get())
