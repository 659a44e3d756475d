"""OpenAPI v2 and v3 for the kinds the twin serves, derived from upstream's definitions.

The definitions are Kubernetes v1.33's, as PyPI's ``kubernetes-validate`` ships them
(``kubernetes-json-schema/v1.33.0-local/_definitions.json``, generated from upstream's
OpenAPI). This module takes the closure of the served kinds, turns the JSON-schema
spellings back into OpenAPI (``$ref`` targets, nullable types, int-or-string) and serves:

- ``/openapi/v2``: ``definitions`` (JSON; kubectl asks for protobuf and is answered 406,
  so it uses v3);
- ``/openapi/v3`` (the index) and ``/openapi/v3/<group-version>``: ``components.schemas``
  plus each served path with its operations, their ``x-kubernetes-group-version-kind``
  and the ``fieldValidation`` parameter. kubectl then leaves validation of ``create -f``
  and ``apply -f`` to the server (:func:`unknown_fields`, strict as upstream's), and
  ``kubectl explain`` reads the schemas.
"""

from __future__ import annotations

import functools
import hashlib
import json
from importlib import resources
from typing import Any

KUBERNETES_VERSION = "v1.33.0"
_V2_REF = "#/definitions/"
_V3_REF = "#/components/schemas/"
_DEFS_REF = "#/$defs/"
_META = "io.k8s.apimachinery.pkg.apis.meta.v1."
INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"

# group-version -> [(kind, definition, plural, namespaced, verbs)]
SERVED = {
    "api/v1": [
        ("Pod", "io.k8s.api.core.v1.Pod", "pods", True),
        ("Service", "io.k8s.api.core.v1.Service", "services", True),
        ("Event", "io.k8s.api.core.v1.Event", "events", True),
        ("Namespace", "io.k8s.api.core.v1.Namespace", "namespaces", False),
        ("Node", "io.k8s.api.core.v1.Node", "nodes", False),
    ],
    "apis/apps/v1": [
        ("Deployment", "io.k8s.api.apps.v1.Deployment", "deployments", True),
        ("StatefulSet", "io.k8s.api.apps.v1.StatefulSet", "statefulsets", True),
    ],
    "apis/batch/v1": [("Job", "io.k8s.api.batch.v1.Job", "jobs", True)],
    "apis/authorization.k8s.io/v1": [
        (
            "SelfSubjectAccessReview",
            "io.k8s.api.authorization.v1.SelfSubjectAccessReview",
            "selfsubjectaccessreviews",
            False,
        )
    ],
}
_EXTRA = (
    f"{_META}Status",
    f"{_META}DeleteOptions",
    f"{_META}Patch",
    "io.k8s.api.autoscaling.v1.Scale",
)


@functools.cache
def _upstream() -> dict[str, Any]:
    path = (
        resources.files("kubernetes_validate")
        / "kubernetes-json-schema"
        / f"{KUBERNETES_VERSION}-local"
        / "_definitions.json"
    )
    return json.loads(path.read_text())["$defs"]


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_DEFS_REF):
            found.add(ref[len(_DEFS_REF) :])
        for value in node.values():
            found |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _refs(value)
    return found


@functools.cache
def _closure() -> tuple[str, ...]:
    upstream = _upstream()
    todo = [d for kinds in SERVED.values() for _, d, _, _ in kinds] + list(_EXTRA)
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen or name not in upstream:
            continue
        seen.add(name)
        todo.extend(_refs(upstream[name]) - seen)
    return tuple(sorted(seen))


def _convert(node: Any, prefix: str, v3: bool) -> Any:
    """JSON-schema spellings back to OpenAPI's."""
    if isinstance(node, list):
        return [_convert(item, prefix, v3) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref":
            out[key] = prefix + value[len(_DEFS_REF) :]
        elif key == "type" and isinstance(value, list):
            kinds = [kind for kind in value if kind != "null"]
            out[key] = kinds[0] if kinds else "object"
        elif key in ("properties", "patternProperties"):
            out[key] = {name: _convert(schema, prefix, v3) for name, schema in value.items()}
        else:
            out[key] = _convert(value, prefix, v3)
    if "$ref" in out and len(out) > 1 and v3:  # upstream's v3: siblings of a $ref via allOf
        return {"allOf": [{"$ref": out.pop("$ref")}], **out}
    return out


def _definition(name: str, prefix: str, v3: bool) -> dict:
    if name == INT_OR_STRING:
        return {
            "description": _upstream()[name].get("description", "IntOrString"),
            "type": "string",
            "format": "int-or-string",
        }
    schema = _convert(_upstream()[name], prefix, v3)
    for field in ("apiVersion", "kind"):  # no enum on these upstream
        (schema.get("properties") or {}).get(field, {}).pop("enum", None)
    return schema


@functools.cache
def v2() -> bytes:
    definitions = {name: _definition(name, _V2_REF, False) for name in _closure()}
    doc = {
        "swagger": "2.0",
        "info": {"title": "Kubernetes", "version": KUBERNETES_VERSION},
        "paths": {},
        "definitions": definitions,
    }
    return json.dumps(doc).encode()


def _gvk(group_version: str, kind: str) -> dict:
    parts = group_version.split("/")
    group = "" if parts[0] == "api" else parts[1]
    return {"group": group, "version": parts[-1], "kind": kind}


def _operation(action: str, gvk: dict, schema: str, body: bool) -> dict:
    parameters = [
        {"name": "pretty", "in": "query", "schema": {"type": "string", "uniqueItems": True}}
    ]
    if action in ("post", "put", "patch"):
        for name, description in (
            ("dryRun", "When present, indicates that modifications should not be persisted."),
            ("fieldManager", "a name associated with the actor or entity making these changes"),
            (
                "fieldValidation",
                "instructs the server on how to handle objects in the request (POST/PUT/PATCH) "
                "containing unknown or duplicate fields: Ignore, Warn or Strict",
            ),
        ):
            parameters.append(
                {
                    "name": name,
                    "in": "query",
                    "description": description,
                    "schema": {"type": "string", "uniqueItems": True},
                }
            )
    ref = {"$ref": _V3_REF + schema}
    operation: dict[str, Any] = {
        "operationId": f"{action}{gvk['kind']}",
        "parameters": parameters,
        "responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": ref}}}
        },
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": gvk,
    }
    if body:
        content = "application/json" if action != "patch" else "application/merge-patch+json"
        operation["requestBody"] = {"content": {content: {"schema": ref}}, "required": True}
    return operation


@functools.cache
def v3(group_version: str) -> bytes:
    kinds = SERVED[group_version]
    names = set(_closure())
    paths: dict[str, Any] = {}
    for kind, definition, plural, namespaced in kinds:
        gvk = _gvk(group_version, kind)
        base = (
            f"/{group_version}/namespaces/{{namespace}}/{plural}"
            if namespaced
            else (f"/{group_version}/{plural}")
        )
        if kind == "SelfSubjectAccessReview":
            paths[base] = {"post": _operation("post", gvk, definition, True)}
            continue
        paths[base] = {"post": _operation("post", gvk, definition, True)}
        paths[f"{base}/{{name}}"] = {
            "get": _operation("get", gvk, definition, False),
            "put": _operation("put", gvk, definition, True),
            "patch": _operation("patch", gvk, definition, True),
            "delete": _operation("delete", gvk, f"{_META}Status", False),
        }
    doc = {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": KUBERNETES_VERSION},
        "paths": paths,
        "components": {"schemas": {n: _definition(n, _V3_REF, True) for n in sorted(names)}},
    }
    return json.dumps(doc).encode()


def v3_index() -> dict:
    return {
        "paths": {
            group_version: {
                "serverRelativeURL": f"/openapi/v3/{group_version}?hash="
                + hashlib.sha512(v3(group_version)).hexdigest()[:32].upper()
            }
            for group_version in SERVED
        }
    }


# ------------------------------------------------------------------ strict field validation


def _resolve(schema: dict) -> dict:
    ref = schema.get("$ref")
    if ref is None and schema.get("allOf"):
        ref = schema["allOf"][0].get("$ref")
    if ref:
        return _upstream().get(ref.rsplit("/", 1)[-1], {})
    return schema


def _walk(value: Any, schema: dict, path: str, found: list[str]) -> None:
    schema = _resolve(schema)
    if isinstance(value, dict):
        properties = schema.get("properties")
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if key.startswith("$"):  # strategic merge patch directives
                continue
            where = f"{path}.{key}" if path else key
            if properties is not None and key in properties:
                _walk(item, properties[key], where, found)
            elif isinstance(extra, dict):
                _walk(item, extra, where, found)
            elif properties is not None and extra is None:
                found.append(where)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            _walk(item, schema["items"], f"{path}[{index}]", found)


def unknown_fields(kind_definition: str, body: dict) -> list[str]:
    """The paths of ``body``'s fields its kind's schema does not declare."""
    schema = _upstream().get(kind_definition)
    if schema is None:
        return []
    found: list[str] = []
    _walk(body, schema, "", found)
    return found


def definition_of(kind: str) -> str | None:
    for kinds in SERVED.values():
        for served_kind, definition, _, _ in kinds:
            if served_kind == kind:
                return definition
    return None
