"""Request bodies in Kubernetes' protobuf encoding, for the objects kubectl sends that way.

kubectl's typed clients send ``application/vnd.kubernetes.protobuf`` for imperative
commands: ``kubectl create job``, ``create deployment``, ``auth can-i``. The body is the
envelope ``k8s\\x00`` + ``runtime.Unknown`` (typeMeta, raw) whose ``raw`` is the object
in the field numbers of upstream's ``generated.proto``. This module decodes the fields
the twin uses, by those numbers (from k8s.io/api and k8s.io/apimachinery), into the JSON
form; answers stay JSON, which kubectl accepts.
"""

from __future__ import annotations

from typing import Any

MAGIC = b"k8s\x00"
CONTENT_TYPE = "application/vnd.kubernetes.protobuf"


class ProtobufError(ValueError):
    """The body cannot be decoded."""


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if at >= len(data):
            raise ProtobufError("truncated varint")
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, at
        shift += 7


def fields(data: bytes) -> list[tuple[int, Any]]:
    """(field number, value) pairs: ints for varints, bytes for length-delimited fields."""
    out: list[tuple[int, Any]] = []
    at = 0
    value: int | bytes
    while at < len(data):
        key, at = _varint(data, at)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, at = _varint(data, at)
        elif wire == 2:
            length, at = _varint(data, at)
            value, at = data[at : at + length], at + length
        elif wire == 1:
            value, at = data[at : at + 8], at + 8
        elif wire == 5:
            value, at = data[at : at + 4], at + 4
        else:
            raise ProtobufError(f"unsupported wire type {wire}")
        out.append((number, value))
    return out


# A schema: field number -> (JSON name, kind); kind is "string", "int", "bool", a nested
# schema (dict), ("list", kind) for repeated fields, or "map" for map<string, string>.
_STR, _INT, _BOOL, _MAP = "string", "int", "bool", "map"
OBJECT_META = {1: ("name", _STR), 2: ("generateName", _STR), 3: ("namespace", _STR)}
OBJECT_META |= {11: ("labels", _MAP), 12: ("annotations", _MAP)}
ENV_VAR = {1: ("name", _STR), 2: ("value", _STR)}
CONTAINER_PORT = {1: ("name", _STR), 2: ("hostPort", _INT), 3: ("containerPort", _INT)}
CONTAINER_PORT |= {4: ("protocol", _STR)}
CONTAINER = {
    1: ("name", _STR),
    2: ("image", _STR),
    3: ("command", ("list", _STR)),
    4: ("args", ("list", _STR)),
    5: ("workingDir", _STR),
    6: ("ports", ("list", CONTAINER_PORT)),
    7: ("env", ("list", ENV_VAR)),
    14: ("imagePullPolicy", _STR),
}
POD_SPEC = {
    2: ("containers", ("list", CONTAINER)),
    3: ("restartPolicy", _STR),
    4: ("terminationGracePeriodSeconds", _INT),
}
POD_TEMPLATE = {1: ("metadata", OBJECT_META), 2: ("spec", POD_SPEC)}
LABEL_SELECTOR = {1: ("matchLabels", _MAP)}
JOB_SPEC = {
    1: ("parallelism", _INT),
    2: ("completions", _INT),
    3: ("activeDeadlineSeconds", _INT),
    6: ("template", POD_TEMPLATE),
    7: ("backoffLimit", _INT),
    8: ("ttlSecondsAfterFinished", _INT),
}
DEPLOYMENT_SPEC = {1: ("replicas", _INT), 2: ("selector", LABEL_SELECTOR)}
DEPLOYMENT_SPEC |= {3: ("template", POD_TEMPLATE)}
RESOURCE_ATTRIBUTES = {
    1: ("namespace", _STR),
    2: ("verb", _STR),
    3: ("group", _STR),
    4: ("version", _STR),
    5: ("resource", _STR),
    6: ("subresource", _STR),
    7: ("name", _STR),
}
NON_RESOURCE_ATTRIBUTES = {1: ("path", _STR), 2: ("verb", _STR)}
ACCESS_REVIEW_SPEC = {
    1: ("resourceAttributes", RESOURCE_ATTRIBUTES),
    2: ("nonResourceAttributes", NON_RESOURCE_ATTRIBUTES),
}
SCHEMAS = {
    "Job": {1: ("metadata", OBJECT_META), 2: ("spec", JOB_SPEC)},
    "Deployment": {1: ("metadata", OBJECT_META), 2: ("spec", DEPLOYMENT_SPEC)},
    "SelfSubjectAccessReview": {1: ("metadata", OBJECT_META), 2: ("spec", ACCESS_REVIEW_SPEC)},
}


def _one(kind: Any, value: Any) -> Any:
    if kind == _STR:
        return value.decode()
    if kind == _INT:
        return value - (1 << 64) if value >= 1 << 63 else value
    if kind == _BOOL:
        return bool(value)
    return decode_message(value, kind)


def decode_message(data: bytes, schema: dict) -> dict:
    """A message as JSON, by ``schema`` (unknown fields are skipped)."""
    out: dict[str, Any] = {}
    for number, value in fields(data):
        if number not in schema:
            continue
        name, kind = schema[number]
        if kind == _MAP:
            entry = dict(fields(value))
            out.setdefault(name, {})[entry.get(1, b"").decode()] = entry.get(2, b"").decode()
        elif isinstance(kind, tuple):
            out.setdefault(name, []).append(_one(kind[1], value))
        else:
            out[name] = _one(kind, value)
    return out


def decode(body: bytes) -> dict:
    """A protobuf request body as the JSON object it stands for."""
    if not body.startswith(MAGIC):
        raise ProtobufError("the body does not start with the k8s protobuf magic")
    envelope = dict(fields(body[len(MAGIC) :]))
    type_meta = dict(fields(envelope.get(1, b"")))
    api_version = type_meta.get(1, b"").decode()
    kind = type_meta.get(2, b"").decode()
    schema = SCHEMAS.get(kind)
    if schema is None:
        raise ProtobufError(f"the twin decodes no protobuf {kind or 'object'}; send JSON")
    return {"apiVersion": api_version, "kind": kind, **decode_message(envelope.get(2, b""), schema)}
