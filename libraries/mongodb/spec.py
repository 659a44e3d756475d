"""The expected MongoDB layout (indexes, validators) read from a YAML spec file.

The default spec is ``variables/mongodb_spec.yaml`` (contract §4); a real deployment
swaps in its own file. A value written ``{constant: NAME}`` is taken from
``contract/constants.py`` (a tuple becomes a list, a dict its list of keys), so the
spec never re-types the system's numbers.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from contract import constants
from libraries.mongodb.client import IndexInfo, IndexKeys

DEFAULT_SPEC = Path(__file__).resolve().parents[2] / "variables" / "mongodb_spec.yaml"


@dataclass(frozen=True)
class IndexSpec:
    """An index the spec requires: its key pattern and whether it must be unique."""

    keys: IndexKeys
    unique: bool

    def describe(self) -> str:
        pattern = ", ".join(f"{key}: {direction}" for key, direction in self.keys)
        return f"{{{pattern}}}{' unique' if self.unique else ''}"

    def satisfied_by(self, index: IndexInfo) -> bool:
        return index.keys == self.keys and (index.unique or not self.unique)


@dataclass(frozen=True)
class CollectionSpec:
    name: str
    indexes: tuple[IndexSpec, ...]
    schema: dict[str, Any]


def _resolve(value: Any) -> Any:
    """Replace every ``{constant: NAME}`` by the constant's value, recursively."""
    if isinstance(value, Mapping):
        if set(value) == {"constant"}:
            constant = getattr(constants, str(value["constant"]))
            return list(constant) if isinstance(constant, (tuple, dict)) else constant
        return {key: _resolve(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve(item) for item in value]
    return value


def index_keys(keys: Mapping[str, Any] | str | list[str]) -> IndexKeys:
    """A key pattern from ``{a: 1, b: -1}``, ``"a, b:-1"`` or ``["a", "b:-1"]``."""
    if isinstance(keys, Mapping):
        return tuple((str(key), int(direction)) for key, direction in keys.items())
    parts = keys.split(",") if isinstance(keys, str) else list(keys)
    pattern = []
    for part in (str(item).strip() for item in parts):
        name, _, direction = part.partition(":")
        pattern.append((name.strip(), int(direction) if direction.strip() else 1))
    return tuple(pattern)


def load_spec(path: str | Path = DEFAULT_SPEC) -> dict[str, CollectionSpec]:
    """The collections of the spec file, by name."""
    data = _resolve(yaml.safe_load(Path(path).read_text()))
    return {
        name: CollectionSpec(
            name=name,
            indexes=tuple(
                IndexSpec(index_keys(index["keys"]), bool(index.get("unique", False)))
                for index in body.get("indexes", [])
            ),
            schema=body.get("schema", {}),
        )
        for name, body in data["collections"].items()
    }


def missing_indexes(spec: CollectionSpec, actual: list[IndexInfo]) -> list[IndexSpec]:
    """The spec's indexes that no actual index satisfies."""
    return [wanted for wanted in spec.indexes if not any(wanted.satisfied_by(i) for i in actual)]


def _types(schema: Mapping[str, Any]) -> set[str]:
    wanted = schema.get("bsonType", [])
    return {wanted} if isinstance(wanted, str) else set(wanted)


def schema_differences(expected: Mapping[str, Any], validator: Mapping[str, Any]) -> list[str]:
    """How the collection's ``$jsonSchema`` validator falls short of the spec's schema.

    Each field the spec requires must be required; each field the spec types must be
    declared with the same ``bsonType`` set and ``enum``.
    """
    actual = validator.get("$jsonSchema")
    if not isinstance(actual, Mapping):
        return ["the collection has no $jsonSchema validator"]
    problems = [
        f"field '{name}' is not required by the validator"
        for name in expected.get("required", [])
        if name not in actual.get("required", [])
    ]
    actual_properties = actual.get("properties", {})
    for name, wanted in expected.get("properties", {}).items():
        found = actual_properties.get(name)
        if found is None:
            problems.append(f"field '{name}' is not declared by the validator")
            continue
        if _types(wanted) != _types(found):
            problems.append(
                f"field '{name}': bsonType {sorted(_types(found))}, spec {sorted(_types(wanted))}"
            )
        if "enum" in wanted and sorted(map(str, found.get("enum", []))) != sorted(
            map(str, wanted["enum"])
        ):
            problems.append(f"field '{name}': enum {found.get('enum')}, spec {wanted['enum']}")
    return problems


_BSON_CHECKS: dict[str, Any] = {
    "string": lambda v: isinstance(v, str),
    "object": lambda v: isinstance(v, Mapping),
    "array": lambda v: isinstance(v, list),
    "bool": lambda v: isinstance(v, bool),
    "date": lambda v: isinstance(v, datetime.datetime),
    "null": lambda v: v is None,
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool) and -(2**31) <= v < 2**31,
    "long": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "double": lambda v: isinstance(v, float),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "objectId": lambda v: type(v).__name__ == "ObjectId",
}


def document_errors(document: Any, schema: Mapping[str, Any], path: str = "") -> list[str]:
    """Why a stored document breaks the spec schema (bsonType, required, properties,
    enum, minimum, maximum): the data-quality view, for documents older than a validator."""
    where = path or "document"
    types = _types(schema)
    if types and not any(_BSON_CHECKS.get(name, lambda _v: False)(document) for name in types):
        return [f"{where}: {type(document).__name__} is not {sorted(types)}"]
    errors = []
    if "enum" in schema and document not in schema["enum"]:
        errors.append(f"{where}: {document!r} is not one of {schema['enum']}")
    if isinstance(document, (int, float)) and not isinstance(document, bool):
        if "minimum" in schema and document < schema["minimum"]:
            errors.append(f"{where}: {document} is below {schema['minimum']}")
        if "maximum" in schema and document > schema["maximum"]:
            errors.append(f"{where}: {document} is above {schema['maximum']}")
    if isinstance(document, Mapping):
        prefix = f"{path}." if path else ""
        errors += [
            f"{prefix}{name}: missing"
            for name in schema.get("required", [])
            if name not in document
        ]
        for name, sub_schema in schema.get("properties", {}).items():
            if name in document:
                errors += document_errors(document[name], sub_schema, f"{prefix}{name}")
    return errors
