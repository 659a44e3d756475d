"""LiveViewPage: typed keywords for what the liveView page knows, over the Browser library."""

from libraries.ui.library import LiveViewPage

__all__ = ["LiveViewPage"]
