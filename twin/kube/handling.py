"""What every handler of the twin's Kubernetes API shares: the :class:`Cluster` it serves,
reading a request (bodies, query parameters, the resource of the URL) and answering with a
JSON ``Status`` (:class:`ApiError`).
"""

from __future__ import annotations

import json
from typing import Any, Protocol

import yaml
from aiohttp import web

from twin.kube import discovery, openapi, protobuf
from twin.kube import patch as patching
from twin.kube.objects import API_VERSIONS
from twin.kube.podlog import PodLog
from twin.kube.store import Store

_PROTOBUF_HELP = (
    "the twin's Kubernetes API decodes {type} only for Jobs, Deployments and access "
    "reviews; send JSON: kubectl create job NAME --image=IMAGE --dry-run=client -o yaml "
    "| kubectl create -f -"
)


class ApiError(Exception):
    """Becomes a ``Status`` answer."""

    def __init__(self, code: int, reason: str, message: str, details: dict | None = None) -> None:
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details


class Cluster(Protocol):
    """What the API server asks of the supervisor."""

    store: Store
    namespace: str

    def create(self, kind: str, body: dict, dry_run: bool) -> dict: ...
    def delete(
        self, kind: str, obj: dict, grace: float | None, propagation: str | None, dry_run: bool
    ) -> dict: ...
    def scale(self, kind: str, name: str, replicas: int, dry_run: bool) -> bool: ...
    def update(self, kind: str, old: dict, new: dict, dry_run: bool) -> dict: ...
    def pod_log(self, name: str) -> tuple[PodLog, str] | None: ...


def status(code: int, reason: str, message: str, details: dict | None = None) -> dict:
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure" if code >= 400 else "Success",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details:
        body["details"] = details
    return body


def not_found(plural: str, group: str, name: str) -> ApiError:
    return ApiError(
        404,
        "NotFound",
        f'{plural}{"." + group if group else ""} "{name}" not found',
        {"name": name, "group": group, "kind": plural},
    )


def go_bool(value: str | None) -> bool:
    """Go's strconv.ParseBool: 1, t, T, TRUE, true, True (and the false forms)."""
    if value is None or value == "":
        return False
    if value in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if value in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    raise ApiError(400, "BadRequest", f"invalid boolean value {value!r}")


def int_param(request: web.Request, name: str) -> int | None:
    value = request.query.get(name)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise ApiError(400, "BadRequest", f"{name}: invalid integer {value!r}") from None


def json_answer(body: dict, code: int = 200) -> web.Response:
    return web.json_response(body, status=code)


def in_namespace(obj: dict, namespace: str | None) -> bool:
    return namespace is None or obj["metadata"].get("namespace", namespace) == namespace


def api_version(kind: str) -> str:
    return API_VERSIONS.get(kind, "v1")


def check_fields(request: web.Request, kind: str, body: dict) -> None:
    """``fieldValidation=Strict`` (what kubectl sends): unknown fields are a 400, as upstream."""
    if request.query.get("fieldValidation") != "Strict":
        return
    definition = openapi.definition_of(kind)
    unknown = openapi.unknown_fields(definition, body) if definition else []
    if unknown:
        version = (body.get("apiVersion") or "v1").split("/")[-1]
        fields = ", ".join(f'unknown field "{path}"' for path in unknown)
        raise ApiError(
            400,
            "BadRequest",
            f'{kind} in version "{version}" cannot be handled as a {kind}: '
            f"strict decoding error: {fields}",
        )


def dry_run(request: web.Request) -> bool:
    """``dryRun=All``: validate and answer as if done, change nothing."""
    values = request.query.getall("dryRun", [])
    for value in values:
        if value != "All":
            raise ApiError(
                400, "BadRequest", f'dryRun: Unsupported value: "{value}": supported values: "All"'
            )
    return bool(values)


def check_kind(resource: discovery.Resource, body: dict) -> None:
    kind, version = body.get("kind"), body.get("apiVersion")
    expected = f"{resource.group}/v1" if resource.group else "v1"
    if (kind and kind != resource.kind) or (version and version != expected):
        raise ApiError(
            400,
            "BadRequest",
            f"the API version in the data ({version}) and kind ({kind}) do not match "
            f"{expected} {resource.kind} of the URL",
        )


async def read_patch(request: web.Request) -> Any:
    if "protobuf" in request.content_type:
        raise ApiError(
            415, "UnsupportedMediaType", _PROTOBUF_HELP.format(type=request.content_type)
        )
    raw = await request.read()
    if not raw:
        raise ApiError(400, "BadRequest", "the patch is empty")
    try:
        if request.content_type == patching.APPLY:
            return yaml.safe_load(raw)
        return json.loads(raw)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        raise ApiError(400, "BadRequest", f"the patch is not valid JSON or YAML: {error}") from None


async def read_body(request: web.Request, required: bool = True) -> dict:
    if "protobuf" in request.content_type:
        try:
            return protobuf.decode(await request.read())
        except protobuf.ProtobufError as error:
            raise ApiError(
                415,
                "UnsupportedMediaType",
                f"{error}: " + _PROTOBUF_HELP.format(type=request.content_type),
            ) from None
    raw = await request.read()
    if not raw:
        if required:
            raise ApiError(400, "BadRequest", "the request body is empty")
        return {}
    try:
        body = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ApiError(400, "BadRequest", f"the request body is not JSON: {error}") from None
    if not isinstance(body, dict):
        raise ApiError(400, "BadRequest", "the request body is not a JSON object")
    return body


class Handlers:
    """Base of the request handlers over one cluster: the resource and object of a URL."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.store = cluster.store

    def _resource(self, request: web.Request) -> discovery.Resource:
        prefix = request.match_info.get("prefix", "api/v1")
        group = "" if prefix == "api/v1" else prefix.split("/")[1]
        resource = discovery.by_plural(group, request.match_info["plural"])
        if resource is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return resource

    def _get_object(self, request: web.Request) -> tuple[discovery.Resource, dict]:
        resource = self._resource(request)
        name = request.match_info["name"]
        obj = self.store.get(resource.kind, name)
        if obj is None or not in_namespace(obj, request.match_info.get("ns")):
            raise not_found(resource.plural, resource.group, name)
        return resource, obj
