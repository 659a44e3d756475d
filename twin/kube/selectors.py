"""Label and field selectors, as the API server parses them (the common subset)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_SPLIT = re.compile(r",(?![^()]*\))")
_SET = re.compile(r"^\s*([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")
_EQ = re.compile(r"^\s*(!?)([\w./-]+)\s*(?:(==|=|!=)\s*([\w./-]*))?\s*$")


@dataclass(frozen=True)
class Requirement:
    key: str
    op: str  # =, !=, in, notin, exists, !exists
    values: tuple[str, ...] = ()

    def holds(self, value: str | None) -> bool:
        if self.op == "exists":
            return value is not None
        if self.op == "!exists":
            return value is None
        if self.op in ("=", "in"):
            return value in self.values
        return value not in self.values


class SelectorError(ValueError):
    """The selector does not parse."""


def parse_labels(text: str) -> list[Requirement]:
    requirements = []
    for part in filter(None, (p.strip() for p in _SPLIT.split(text))):
        if match := _SET.match(part):
            values = tuple(v.strip() for v in match.group(3).split(",") if v.strip())
            requirements.append(Requirement(match.group(1), match.group(2), values))
        elif match := _EQ.match(part):
            negated, key, op, value = match.groups()
            if op:
                requirements.append(Requirement(key, "!=" if op == "!=" else "=", (value,)))
            else:
                requirements.append(Requirement(key, "!exists" if negated else "exists"))
        else:
            raise SelectorError(f"unable to parse requirement: {part!r}")
    return requirements


def parse_fields(text: str) -> list[Requirement]:
    requirements = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        match = re.match(r"^([\w.]+)\s*(==|=|!=)\s*(.*)$", part)
        if not match:
            raise SelectorError(f"invalid field selector: {part!r}")
        key, op, value = match.groups()
        requirements.append(Requirement(key, "!=" if op == "!=" else "=", (value,)))
    return requirements


def _field(obj: dict, path: str) -> str | None:
    value: object = obj
    for step in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(step)
    return None if value is None else str(value)


def matches(obj: dict, labels: list[Requirement], fields: list[Requirement]) -> bool:
    own = obj.get("metadata", {}).get("labels") or {}
    return all(r.holds(own.get(r.key)) for r in labels) and all(
        r.holds(_field(obj, r.key) or "") for r in fields
    )
