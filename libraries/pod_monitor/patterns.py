"""Error patterns: named regular expressions from ``variables/pod_error_patterns.yaml``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

DEFAULT_PATTERNS = Path(__file__).resolve().parents[2] / "variables" / "pod_error_patterns.yaml"


class PatternFileError(ValueError):
    """The patterns file is missing or malformed; the message says which entry and why."""


@dataclass(frozen=True)
class Pattern:
    name: str
    regex: str
    ignore_case: bool = False


class PatternSet:
    """Matches a line against every pattern at once (one alternation, one scan per line)."""

    def __init__(self, patterns: list[Pattern]) -> None:
        if not patterns:
            raise PatternFileError("no error patterns: the patterns file lists none")
        self.patterns = patterns
        parts = []
        for index, pattern in enumerate(patterns):
            flags = "(?i:" if pattern.ignore_case else "(?:"
            parts.append(f"(?P<p{index}>{flags}{pattern.regex}))")
        self._combined = re.compile("|".join(parts))

    @property
    def names(self) -> list[str]:
        return [pattern.name for pattern in self.patterns]

    def match(self, line: str) -> str | None:
        """The name of the first pattern that matches ``line``, or ``None``."""
        found = self._combined.search(line)
        if found is None or found.lastgroup is None:  # every alternative is a named group
            return None
        return self.patterns[int(found.lastgroup[1:])].name


def load_patterns(path: str | Path | None = None) -> PatternSet:
    """Read and compile the patterns file; every problem is one :class:`PatternFileError`."""
    path = Path(path) if path else DEFAULT_PATTERNS
    try:
        document = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise PatternFileError(f"pod error patterns file {path} does not exist") from None
    except yaml.YAMLError as error:
        raise PatternFileError(f"pod error patterns file {path} is not YAML: {error}") from None
    entries = document.get("patterns") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise PatternFileError(f"{path}: expected a top-level 'patterns:' list")
    patterns = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not entry.get("name") or not entry.get("regex"):
            raise PatternFileError(f"{path}: pattern {number} needs a 'name' and a 'regex'")
        try:
            re.compile(entry["regex"])
        except re.error as error:
            raise PatternFileError(
                f"{path}: pattern '{entry['name']}' is not a valid regular expression: {error}"
            ) from None
        patterns.append(
            Pattern(str(entry["name"]), str(entry["regex"]), bool(entry.get("ignore_case")))
        )
    return PatternSet(patterns)
