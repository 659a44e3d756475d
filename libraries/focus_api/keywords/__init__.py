"""FocusApi keyword components (one per topic), composed by ``FocusApi``."""
