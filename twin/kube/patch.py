"""The three PATCH formats of the Kubernetes API, applied to plain dicts.

- JSON merge patch (RFC 7386, ``application/merge-patch+json``): objects merge, ``null``
  deletes a key, lists are replaced.
- Strategic merge patch (``application/strategic-merge-patch+json``): as a merge patch,
  but the lists upstream marks with a patch merge key (``containers`` by ``name``,
  ``ports`` by ``containerPort`` ...) merge element by element, and the directives
  kubectl sends (``$patch``, ``$setElementOrder/...``, ``$retainKeys``,
  ``$deleteFromPrimitiveList/...``) are honoured.
- JSON patch (RFC 6902, ``application/json-patch+json``): add, remove, replace, move,
  copy and test on JSON pointers.

Every failure raises :class:`PatchError`, which the server answers as a ``Status``.
"""

from __future__ import annotations

import copy
from typing import Any

MERGE = "application/merge-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"
APPLY = "application/apply-patch+yaml"

# Upstream's x-kubernetes-patch-merge-key for the lists of the kinds the twin serves.
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "imagePullSecrets": "name",
    "ports": "containerPort",  # a Service's ports merge by "port": see _merge_key
    "conditions": "type",
    "tolerations": "key",
    "hostAliases": "ip",
    "ownerReferences": "uid",
    "finalizers": None,  # a set of strings: merged, not replaced
}


class PatchError(ValueError):
    """The patch cannot be applied (answered 422, or 400 for a malformed patch)."""

    def __init__(self, message: str, code: int = 422) -> None:
        super().__init__(message)
        self.code = code


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _merge_key(field: str, items: list) -> str | None:
    if (
        field == "ports"
        and items
        and isinstance(items[0], dict)
        and "containerPort" not in items[0]
    ):
        return "port"  # a Service's ports
    return MERGE_KEYS.get(field, "")


def strategic_merge_patch(target: Any, patch: Any) -> Any:
    """Strategic merge patch for the lists the twin's kinds carry."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if patch.get("$patch") == "delete":
        return None
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    retain = patch.get("$retainKeys")
    for key, value in patch.items():
        if key.startswith("$setElementOrder/") or key in ("$retainKeys", "$patch"):
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            field = key.split("/", 1)[1]
            result[field] = [item for item in result.get(field) or [] if item not in value]
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, list):
            result[key] = _merge_list(key, result.get(key), value)
        else:
            result[key] = strategic_merge_patch(result.get(key), value)
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain}
    for key, value in patch.items():
        if key.startswith("$setElementOrder/") and isinstance(
            result.get(key.split("/", 1)[1]), list
        ):
            result[key.split("/", 1)[1]] = _ordered(key.split("/", 1)[1], result, value)
    return result


def _ordered(field: str, result: dict, order: list) -> list:
    items = result[field]
    key = _merge_key(field, items)
    if not key:
        return items
    position = {str(entry.get(key)): i for i, entry in enumerate(order) if isinstance(entry, dict)}
    return sorted(
        items,
        key=lambda item: (
            position.get(str(item.get(key)), len(position)) if isinstance(item, dict) else 0
        ),
    )


def _merge_list(field: str, current: Any, patch: list) -> list:
    key = _merge_key(field, patch or (current or []))
    if key is None:  # a set of primitives
        merged = list(current or [])
        merged.extend(item for item in patch if item not in merged)
        return merged
    if not key or not isinstance(current, list):
        if any(isinstance(item, dict) and item.get("$patch") == "replace" for item in patch):
            return [item for item in patch if not (isinstance(item, dict) and "$patch" in item)]
        return [
            item
            for item in copy.deepcopy(patch)
            if not isinstance(item, dict) or "$patch" not in item
        ]
    if any(isinstance(item, dict) and item.get("$patch") == "replace" for item in patch):
        return [
            item
            for item in copy.deepcopy(patch)
            if not (isinstance(item, dict) and "$patch" in item)
        ]
    merged = copy.deepcopy(current)
    for item in patch:
        if not isinstance(item, dict) or key not in item:
            raise PatchError(f"{field}: every element of a strategic merge patch needs {key!r}")
        index = next(
            (
                i
                for i, old in enumerate(merged)
                if isinstance(old, dict) and old.get(key) == item[key]
            ),
            None,
        )
        if item.get("$patch") == "delete":
            if index is not None:
                merged.pop(index)
        elif index is None:
            merged.append(strategic_merge_patch({}, item))
        else:
            merged[index] = strategic_merge_patch(merged[index], item)
    return merged


# ---------------------------------------------------------------- RFC 6902


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f"json patch: path {path!r} must start with '/'", 400)
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def _parent(doc: Any, parts: list[str], path: str) -> tuple[Any, str]:
    node = doc
    for part in parts[:-1]:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise PatchError(f"json patch: path {path!r} does not exist")
    return node, parts[-1]


def _get(doc: Any, path: str) -> Any:
    parts = _pointer(path)
    if not parts:
        return doc
    parent, last = _parent(doc, parts, path)
    if isinstance(parent, dict) and last in parent:
        return parent[last]
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent[int(last)]
    raise PatchError(f"json patch: path {path!r} does not exist")


def _remove(doc: Any, path: str) -> Any:
    parts = _pointer(path)
    if not parts:
        raise PatchError("json patch: cannot remove the whole document")
    parent, last = _parent(doc, parts, path)
    if isinstance(parent, dict) and last in parent:
        return parent.pop(last)
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent.pop(int(last))
    raise PatchError(f"json patch: cannot remove {path!r}: it does not exist")


def _add(doc: Any, path: str, value: Any, replace: bool = False) -> Any:
    parts = _pointer(path)
    if not parts:
        return copy.deepcopy(value)
    parent, last = _parent(doc, parts, path)
    if isinstance(parent, dict):
        if replace and last not in parent:
            raise PatchError(f"json patch: cannot replace {path!r}: it does not exist")
        parent[last] = copy.deepcopy(value)
    elif isinstance(parent, list):
        if last == "-" and not replace:
            parent.append(copy.deepcopy(value))
        elif last.isdigit() and int(last) <= len(parent) - (1 if replace else 0):
            if replace:
                parent[int(last)] = copy.deepcopy(value)
            else:
                parent.insert(int(last), copy.deepcopy(value))
        else:
            raise PatchError(f"json patch: index in {path!r} is out of range")
    else:
        raise PatchError(f"json patch: the parent of {path!r} is not an object or a list")
    return doc


def json_patch(target: Any, operations: Any) -> Any:
    """RFC 6902."""
    if not isinstance(operations, list):
        raise PatchError("json patch: the body must be a JSON array of operations", 400)
    doc = copy.deepcopy(target)
    for number, operation in enumerate(operations):
        if not isinstance(operation, dict) or "op" not in operation or "path" not in operation:
            raise PatchError(f"json patch: operation {number} needs 'op' and 'path'", 400)
        op, path = operation["op"], operation["path"]
        if op in ("add", "replace", "test") and "value" not in operation:
            raise PatchError(f"json patch: operation {number} ({op}) needs 'value'", 400)
        if op == "add":
            doc = _add(doc, path, operation["value"])
        elif op == "remove":
            _remove(doc, path)
        elif op == "replace":
            doc = _add(doc, path, operation["value"], replace=True)
        elif op in ("move", "copy"):
            if "from" not in operation:
                raise PatchError(f"json patch: operation {number} ({op}) needs 'from'", 400)
            value = (
                _remove(doc, operation["from"]) if op == "move" else _get(doc, operation["from"])
            )
            doc = _add(doc, path, value)
        elif op == "test":
            if _get(doc, path) != operation["value"]:
                raise PatchError(f"json patch: test failed at {path!r}")
        else:
            raise PatchError(f"json patch: unknown operation {op!r}", 400)
    return doc


def apply(content_type: str, target: dict, patch: Any) -> dict:
    """The patched object, by the request's content type."""
    kind = content_type.split(";")[0].strip()
    if kind == JSON_PATCH:
        result = json_patch(target, patch)
    elif kind == MERGE:
        result = merge_patch(target, patch)
    elif kind in (STRATEGIC, APPLY):
        result = strategic_merge_patch(target, patch)
    else:
        raise PatchError(
            f"the body of type {kind!r} is unsupported: use {JSON_PATCH}, {MERGE}, "
            f"{STRATEGIC} or {APPLY}",
            415,
        )
    if not isinstance(result, dict):
        raise PatchError("the patched object is not a JSON object")
    return result
