"""An OpenAPI 3.1 document rendered as 3.0.3, for diff tools that read 3.0 only.

Only what the Focus Server's document uses: ``type: [X, "null"]`` -> ``type: X,
nullable: true``; ``anyOf``/``oneOf`` with a ``{"type": "null"}`` member -> the other
member(s), nullable; ``const`` -> a one-value ``enum``; numeric ``exclusiveMinimum``/
``exclusiveMaximum`` -> the 3.0 boolean form; ``examples`` dropped; ``if``/``then``/
``else`` kept as ``x-`` extensions (so changes inside them are not judged). Both
documents of a comparison go through the same rendering.
"""

from __future__ import annotations

import copy
from typing import Any


def _schema(node: Any) -> Any:
    if isinstance(node, list):
        return [_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _schema(value) for key, value in node.items()}
    kind = node.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        if len(kinds) < len(kind):
            node["nullable"] = True
        if len(kinds) == 1:
            node["type"] = kinds[0]
        elif kinds:
            node.pop("type")
            node["anyOf"] = [{"type": k} for k in kinds]
        else:
            node.pop("type")
    for combinator in ("anyOf", "oneOf"):
        members = node.get(combinator)
        if isinstance(members, list) and any(m == {"type": "null"} for m in members):
            rest = [m for m in members if m != {"type": "null"}]
            node.pop(combinator)
            node["nullable"] = True
            if len(rest) == 1:
                node.update(rest[0])
            elif rest:
                node[combinator] = rest
    if "const" in node:
        node["enum"] = [node.pop("const")]
    for bound, plain in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(node.get(bound), int | float) and not isinstance(node.get(bound), bool):
            node[plain] = node.pop(bound)
            node[bound] = True
    node.pop("examples", None)
    # 3.0 has no conditionals: kept as vendor extensions (the diff tool does not read them).
    for conditional in ("if", "then", "else"):
        if conditional in node and isinstance(node[conditional], dict):
            node[f"x-{conditional}"] = node.pop(conditional)
    return node


def to_openapi30(document: dict[str, Any]) -> dict[str, Any]:
    """A 3.0.3 rendering of a 3.1 ``document`` (a copy)."""
    converted = _schema(copy.deepcopy(document))
    converted["openapi"] = "3.0.3"
    converted.pop("jsonSchemaDialect", None)
    converted.pop("webhooks", None)
    returned: dict[str, Any] = converted
    return returned
