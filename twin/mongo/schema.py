"""Collection validators: the ``$jsonSchema`` subset MongoDB users need, plus query operators.

A validator is a query document; ``$jsonSchema`` is one of its top-level operators and
the other clauses are plain filters (checked with mongomock's filter engine).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from typing import Any

from bson import Binary, Decimal128, Int64, MaxKey, MinKey, ObjectId, Regex, Timestamp
from mongomock.filtering import filter_applies

_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


def _is_int32(value: Any) -> bool:
    return (
        isinstance(value, int)
        and not isinstance(value, (bool, Int64))
        and _INT32_MIN <= value <= _INT32_MAX
    )


def _is_long(value: Any) -> bool:
    return isinstance(value, Int64) or (
        isinstance(value, int) and not isinstance(value, bool) and not _is_int32(value)
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal128)) and not isinstance(value, bool)


BSON_TYPES: dict[str, Any] = {
    "double": lambda v: isinstance(v, float),
    "string": lambda v: isinstance(v, str),
    "object": lambda v: isinstance(v, Mapping),
    "array": lambda v: isinstance(v, list),
    "binData": lambda v: isinstance(v, (bytes, Binary)),
    "objectId": lambda v: isinstance(v, ObjectId),
    "bool": lambda v: isinstance(v, bool),
    "date": lambda v: isinstance(v, datetime.datetime),
    "null": lambda v: v is None,
    "regex": lambda v: isinstance(v, (Regex, re.Pattern)),
    "int": _is_int32,
    "long": _is_long,
    "decimal": lambda v: isinstance(v, Decimal128),
    "timestamp": lambda v: isinstance(v, Timestamp),
    "minKey": lambda v: isinstance(v, MinKey),
    "maxKey": lambda v: isinstance(v, MaxKey),
    "number": _is_number,
}
# JSON Schema "type" keywords, as MongoDB maps them.
JSON_TYPES: dict[str, Any] = {
    "object": BSON_TYPES["object"],
    "array": BSON_TYPES["array"],
    "number": _is_number,
    "boolean": BSON_TYPES["bool"],
    "string": BSON_TYPES["string"],
    "null": BSON_TYPES["null"],
}


def _type_ok(value: Any, wanted: str | list[str], table: dict[str, Any]) -> bool:
    names = [wanted] if isinstance(wanted, str) else list(wanted)
    return any(table.get(name, lambda _v: False)(value) for name in names)


def _numeric(value: Any) -> float | None:
    if isinstance(value, Decimal128):
        return float(value.to_decimal())
    return float(value) if _is_number(value) else None


def _check_number(value: Any, schema: Mapping[str, Any], path: str) -> list[str]:
    number = _numeric(value)
    if number is None:
        return []
    errors = []
    if "minimum" in schema:
        low = float(schema["minimum"])
        exclusive = schema.get("exclusiveMinimum") is True
        if number < low or (exclusive and number == low):
            errors.append(f"{path}: {value!r} is below the minimum {schema['minimum']!r}")
    if "maximum" in schema:
        high = float(schema["maximum"])
        exclusive = schema.get("exclusiveMaximum") is True
        if number > high or (exclusive and number == high):
            errors.append(f"{path}: {value!r} is above the maximum {schema['maximum']!r}")
    return errors


def _check_string(value: Any, schema: Mapping[str, Any], path: str) -> list[str]:
    if not isinstance(value, str):
        return []
    errors = []
    if "minLength" in schema and len(value) < schema["minLength"]:
        errors.append(f"{path}: shorter than minLength {schema['minLength']}")
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        errors.append(f"{path}: longer than maxLength {schema['maxLength']}")
    if "pattern" in schema and not re.search(schema["pattern"], value):
        errors.append(f"{path}: does not match pattern {schema['pattern']!r}")
    return errors


def _check_array(value: Any, schema: Mapping[str, Any], path: str) -> list[str]:
    if not isinstance(value, list):
        return []
    errors = []
    if "minItems" in schema and len(value) < schema["minItems"]:
        errors.append(f"{path}: fewer than minItems {schema['minItems']}")
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        errors.append(f"{path}: more than maxItems {schema['maxItems']}")
    items = schema.get("items")
    if isinstance(items, Mapping):
        for index, item in enumerate(value):
            errors += schema_errors(item, items, f"{path}.{index}")
    elif isinstance(items, list):
        for index, (item, item_schema) in enumerate(zip(value, items, strict=False)):
            errors += schema_errors(item, item_schema, f"{path}.{index}")
    if schema.get("uniqueItems") and len({repr(item) for item in value}) != len(value):
        errors.append(f"{path}: items are not unique")
    return errors


def _check_object(value: Any, schema: Mapping[str, Any], path: str) -> list[str]:
    if not isinstance(value, Mapping):
        return []
    errors = [
        f"{path}.{name}: required property is missing".lstrip(".")
        for name in schema.get("required", [])
        if name not in value
    ]
    properties: Mapping[str, Any] = schema.get("properties", {})
    for name, sub_schema in properties.items():
        if name in value:
            errors += schema_errors(value[name], sub_schema, f"{path}.{name}".lstrip("."))
    additional = schema.get("additionalProperties", True)
    extra = [name for name in value if name not in properties]
    if additional is False and extra:
        errors.append(f"{path or 'document'}: additional properties not allowed: {extra}")
    elif isinstance(additional, Mapping):
        for name in extra:
            errors += schema_errors(value[name], additional, f"{path}.{name}".lstrip("."))
    if "minProperties" in schema and len(value) < schema["minProperties"]:
        errors.append(f"{path or 'document'}: fewer than minProperties")
    if "maxProperties" in schema and len(value) > schema["maxProperties"]:
        errors.append(f"{path or 'document'}: more than maxProperties")
    return errors


def _check_combinators(value: Any, schema: Mapping[str, Any], path: str) -> list[str]:
    errors = []
    for sub_schema in schema.get("allOf", []):
        errors += schema_errors(value, sub_schema, path)
    if "anyOf" in schema and all(schema_errors(value, s, path) for s in schema["anyOf"]):
        errors.append(f"{path or 'document'}: matches none of anyOf")
    if "oneOf" in schema:
        matching = sum(not schema_errors(value, s, path) for s in schema["oneOf"])
        if matching != 1:
            errors.append(f"{path or 'document'}: matches {matching} of oneOf, not exactly 1")
    if "not" in schema and not schema_errors(value, schema["not"], path):
        errors.append(f"{path or 'document'}: matches the 'not' schema")
    return errors


def schema_errors(value: Any, schema: Mapping[str, Any], path: str = "") -> list[str]:
    """Every way ``value`` breaks ``schema`` (empty when it conforms)."""
    where = path or "document"
    if "bsonType" in schema and not _type_ok(value, schema["bsonType"], BSON_TYPES):
        return [f"{where}: expected bsonType {schema['bsonType']!r}, got {type(value).__name__}"]
    if "type" in schema and not _type_ok(value, schema["type"], JSON_TYPES):
        return [f"{where}: expected type {schema['type']!r}, got {type(value).__name__}"]
    errors = []
    if "enum" in schema and value not in list(schema["enum"]):
        errors.append(f"{where}: {value!r} is not one of {list(schema['enum'])!r}")
    for check in (_check_number, _check_string, _check_array, _check_object, _check_combinators):
        errors += check(value, schema, path)
    return errors


def validator_errors(document: Mapping[str, Any], validator: Mapping[str, Any]) -> list[str]:
    """Why ``document`` fails the collection ``validator`` (empty when it passes)."""
    errors = []
    if "$jsonSchema" in validator:
        errors += schema_errors(document, validator["$jsonSchema"])
    rest = {key: value for key, value in validator.items() if key != "$jsonSchema"}
    if rest and not filter_applies(rest, document):
        errors.append(f"document does not match the validator query {rest!r}")
    return errors
