"""The twin's Kubernetes API: the part of the REST API that the official client and kubectl use.

Served by aiohttp inside the supervisor's event loop, over HTTPS with a bearer token.
Reads come from the :class:`~twin.kube.store.Store`; writes go to the supervisor
through the :class:`Cluster` protocol. Every error is a JSON ``Status``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import ssl
import time
from typing import Any, Protocol

import yaml
from aiohttp import web

from twin.kube import discovery, openapi, protobuf, selectors, tables
from twin.kube import patch as patching
from twin.kube.objects import API_VERSIONS
from twin.kube.podlog import PodLog
from twin.kube.store import Store, TooOld
from twin.kube.update import UpdateError

BOOKMARK_INTERVAL_S = 2.0
DEFAULT_WATCH_TIMEOUT_S = 1800
_PREFIX = r"{prefix:api/v1|apis/apps/v1|apis/batch/v1}"
_PUBLIC = {
    "/version",
    "/healthz",
    "/livez",
    "/readyz",
    "/version/",
    "/healthz/",
    "/livez/",
    "/readyz/",
}
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


def _int_param(request: web.Request, name: str) -> int | None:
    value = request.query.get(name)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise ApiError(400, "BadRequest", f"{name}: invalid integer {value!r}") from None


def _json(body: dict, code: int = 200) -> web.Response:
    return web.json_response(body, status=code)


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


@web.middleware
async def _errors(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as error:
        return _json(status(error.code, error.reason, error.message, error.details), error.code)
    except UpdateError as error:
        return _json(status(error.code, error.reason, str(error)), error.code)
    except patching.PatchError as error:
        reason = {400: "BadRequest", 415: "UnsupportedMediaType"}.get(error.code, "Invalid")
        return _json(status(error.code, reason, str(error)), error.code)
    except selectors.SelectorError as error:
        return _json(status(400, "BadRequest", str(error)), 400)
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, ValueError) as error:
        return _json(status(400, "BadRequest", f"malformed request: {error}"), 400)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        reason = {404: "NotFound", 405: "MethodNotAllowed"}.get(error.status, "BadRequest")
        message = "the server could not find the requested resource"
        if error.status != 404:
            message = error.reason
        return _json(status(error.status, reason, message), error.status)


def _auth(token: str) -> Any:
    expected = f"Bearer {token}"

    @web.middleware
    async def check(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path not in _PUBLIC and request.headers.get("Authorization") != expected:
            return _json(status(401, "Unauthorized", "Unauthorized"), 401)
        return await handler(request)

    return check


class Api:
    """Request handlers over one cluster."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.store = cluster.store

    # ------------------------------------------------------------- helpers
    def _resource(self, request: web.Request) -> discovery.Resource:
        prefix = request.match_info.get("prefix", "api/v1")
        group = "" if prefix == "api/v1" else prefix.split("/")[1]
        resource = discovery.by_plural(group, request.match_info["plural"])
        if resource is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return resource

    def _matching(self, resource: discovery.Resource, request: web.Request) -> list[dict]:
        namespace = request.match_info.get("ns")
        labels = selectors.parse_labels(request.query.get("labelSelector", ""))
        fields = selectors.parse_fields(request.query.get("fieldSelector", ""))
        return [
            obj
            for obj in self.store.list(resource.kind)
            if _in_namespace(obj, namespace) and selectors.matches(obj, labels, fields)
        ]

    def _get_object(self, request: web.Request) -> tuple[discovery.Resource, dict]:
        resource = self._resource(request)
        name = request.match_info["name"]
        obj = self.store.get(resource.kind, name)
        if obj is None or not _in_namespace(obj, request.match_info.get("ns")):
            raise not_found(resource.plural, resource.group, name)
        return resource, obj

    def _answer(self, request: web.Request, kind: str, objects: list[dict], single: bool) -> dict:
        if tables.wants_table(request.headers.get("Accept", "")):
            return tables.to_table(
                kind, objects, str(self.store.rv), request.query.get("includeObject", "Metadata")
            )
        if single:
            return objects[0]
        return {
            "kind": f"{kind}List",
            "apiVersion": objects[0]["apiVersion"] if objects else _api_version(kind),
            "metadata": {"resourceVersion": str(self.store.rv)},
            "items": objects,
        }

    # ----------------------------------------------------------- discovery
    async def version(self, _: web.Request) -> web.Response:
        return _json(discovery.version())

    async def api(self, _: web.Request) -> web.Response:
        return _json(discovery.core_versions())

    async def apis(self, _: web.Request) -> web.Response:
        return _json(discovery.groups())

    async def core_resources(self, _: web.Request) -> web.Response:
        return _json(discovery.resource_list(""))

    async def group_resources(self, request: web.Request) -> web.Response:
        group = request.match_info["group"]
        if group not in discovery.GROUPS:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return _json(discovery.resource_list(group))

    async def openapi_v2(self, request: web.Request) -> web.Response:
        accept = request.headers.get("Accept", "")
        if "protobuf" in accept and "json" not in accept and "*/*" not in accept:
            raise ApiError(406, "NotAcceptable", "the twin serves /openapi/v2 as JSON only")
        return web.Response(body=openapi.v2(), content_type="application/json")

    async def openapi_v3_index(self, _: web.Request) -> web.Response:
        return _json(openapi.v3_index())

    async def openapi_v3(self, request: web.Request) -> web.Response:
        group_version = request.match_info["gv"].strip("/")
        if group_version not in openapi.SERVED:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return web.Response(body=openapi.v3(group_version), content_type="application/json")

    async def healthz(self, _: web.Request) -> web.Response:
        return web.Response(text="ok")

    # ----------------------------------------------------------- reads
    async def collection(self, request: web.Request) -> web.StreamResponse:
        resource = self._resource(request)
        if go_bool(request.query.get("watch")):
            return await self._watch(request, resource)
        objects = self._matching(resource, request)
        return _json(self._answer(request, resource.kind, objects, single=False))

    async def item(self, request: web.Request) -> web.Response:
        resource, obj = self._get_object(request)
        return _json(self._answer(request, resource.kind, [obj], single=True))

    # ----------------------------------------------------------- watch
    async def _watch(
        self, request: web.Request, resource: discovery.Resource
    ) -> web.StreamResponse:
        requested = request.query.get("resourceVersion", "")
        try:
            since = None if requested in ("", "0") else int(requested)
        except ValueError:
            raise ApiError(400, "BadRequest", f"invalid resourceVersion {requested!r}") from None
        timeout = _int_param(request, "timeoutSeconds") or DEFAULT_WATCH_TIMEOUT_S
        bookmarks = go_bool(request.query.get("allowWatchBookmarks"))
        as_table = tables.wants_table(request.headers.get("Accept", ""))
        labels = selectors.parse_labels(request.query.get("labelSelector", ""))
        fields = selectors.parse_fields(request.query.get("fieldSelector", ""))
        namespace = request.match_info.get("ns")
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        try:
            backlog, queue = self.store.subscribe(since)
        except TooOld as error:
            await response.prepare(request)
            gone = status(410, "Expired", str(error))
            await response.write(_line({"type": "ERROR", "object": gone}))
            await response.write_eof()
            return response
        try:
            initial = [] if since is not None else self.store.list(resource.kind)
            await response.prepare(request)

            def wanted(obj: dict) -> bool:
                return _in_namespace(obj, namespace) and selectors.matches(obj, labels, fields)

            async def send(kind_of_event: str, obj: dict) -> None:
                if as_table:
                    obj = tables.to_table(
                        resource.kind, [obj], obj["metadata"]["resourceVersion"], "Object"
                    )
                await response.write(_line({"type": kind_of_event, "object": obj}))

            for obj in initial:
                if wanted(obj):
                    await send("ADDED", obj)
            for event in backlog:
                if event.kind == resource.kind and wanted(event.object):
                    await send(event.type, event.object)
            deadline = time.monotonic() + timeout
            while (left := deadline - time.monotonic()) > 0:
                try:
                    event = await asyncio.wait_for(queue.get(), min(left, BOOKMARK_INTERVAL_S))
                except TimeoutError:
                    if bookmarks and time.monotonic() < deadline:
                        await response.write(_line(_bookmark(resource.kind, self.store.rv)))
                    continue
                if event is None:  # the server is shutting down
                    break
                if event.kind == resource.kind and wanted(event.object):
                    await send(event.type, event.object)
            await response.write_eof()
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self.store.unsubscribe(queue)
        return response

    # ----------------------------------------------------------- writes
    def _check_namespace(self, request: web.Request, body: dict) -> None:
        namespace = request.match_info["ns"]
        if (body.get("metadata") or {}).get("namespace") not in (None, "", namespace):
            raise ApiError(
                400,
                "BadRequest",
                "the namespace of the provided object does not match the namespace sent on "
                "the request",
            )
        if namespace != self.cluster.namespace:
            raise ApiError(404, "NotFound", f'namespaces "{namespace}" not found')

    async def create(self, request: web.Request) -> web.Response:
        resource = self._resource(request)
        body = await _body(request)
        self._check_namespace(request, body)
        _check_kind(resource, body)
        check_fields(request, resource.kind, body)
        created = self.cluster.create(resource.kind, body, dry_run(request))
        return _json(created, 201)

    async def delete(self, request: web.Request) -> web.Response:
        resource, obj = self._get_object(request)
        options = await _body(request, required=False)
        grace = options.get("gracePeriodSeconds", _int_param(request, "gracePeriodSeconds"))
        propagation = options.get("propagationPolicy", request.query.get("propagationPolicy"))
        asked = options.get("dryRun") or []
        if asked and asked != ["All"]:
            raise ApiError(400, "BadRequest", f"dryRun: Unsupported value: {asked!r}")
        answer = self.cluster.delete(
            resource.kind,
            obj,
            None if grace is None else float(grace),
            propagation,
            dry_run(request) or bool(asked),
        )
        return _json(answer)

    async def scale_get(self, request: web.Request) -> web.Response:
        resource, obj = self._get_object(request)
        return _json(_scale(resource, obj))

    async def scale_set(self, request: web.Request) -> web.Response:
        resource, obj = self._get_object(request)
        current = _scale(resource, obj)
        if request.method == "PATCH":
            body = patching.apply(request.content_type, current, await _patch_body(request))
        else:
            body = await _body(request)
        replicas = body.get("spec", {}).get("replicas")
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            raise ApiError(
                422,
                "Invalid",
                f"spec.replicas: Invalid value: {replicas!r}: must be an integer >= 0",
            )
        name = obj["metadata"]["name"]
        if dry_run(request):
            return _json(current | {"spec": {"replicas": replicas}})
        self.cluster.scale(resource.kind, name, replicas, False)
        return _json(_scale(resource, self.store.get(resource.kind, name)))

    async def patch(self, request: web.Request) -> web.Response:
        resource = self._resource(request)
        content_type = request.content_type
        if content_type == patching.APPLY:
            return await self._server_side_apply(request, resource)
        _, obj = self._get_object(request)
        body = await _patch_body(request)
        if content_type != patching.JSON_PATCH and isinstance(body, dict):
            check_fields(request, resource.kind, body)
        new = patching.apply(content_type, obj, body)
        return _json(self.cluster.update(resource.kind, obj, new, dry_run(request)))

    async def _server_side_apply(
        self, request: web.Request, resource: discovery.Resource
    ) -> web.Response:
        """Server-side apply, without field ownership: the applied fields win."""
        if not request.query.get("fieldManager"):
            raise ApiError(
                422,
                "Invalid",
                'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: '
                "is required for apply patch",
            )
        applied = await _patch_body(request)
        if not isinstance(applied, dict):
            raise ApiError(400, "BadRequest", "the applied configuration is not an object")
        _check_kind(resource, applied)
        check_fields(request, resource.kind, applied)
        name = request.match_info["name"]
        if (applied.get("metadata") or {}).get("name", name) != name:
            raise ApiError(
                400, "BadRequest", "the name of the object does not match the name on the URL"
            )
        obj = self.store.get(resource.kind, name)
        if obj is None or not _in_namespace(obj, request.match_info.get("ns")):
            if "ns" in request.match_info:
                self._check_namespace(request, applied)
            created = self.cluster.create(resource.kind, applied, dry_run(request))
            return _json(created, 201)
        new = patching.apply(patching.APPLY, obj, applied)
        return _json(self.cluster.update(resource.kind, obj, new, dry_run(request)))

    async def replace(self, request: web.Request) -> web.Response:
        resource, obj = self._get_object(request)
        body = await _body(request)
        _check_kind(resource, body)
        if (body.get("metadata") or {}).get("name") != obj["metadata"]["name"]:
            raise ApiError(
                400, "BadRequest", "the name of the object does not match the name on the URL"
            )
        if resource.namespaced:
            self._check_namespace(request, body)
        check_fields(request, resource.kind, body)
        return _json(self.cluster.update(resource.kind, obj, body, dry_run(request)))

    async def status_write(self, request: web.Request) -> web.Response:
        resource, _ = self._get_object(request)
        raise ApiError(
            405,
            "MethodNotAllowed",
            f"the twin derives the status of {resource.plural} from its processes; "
            "it cannot be written",
        )

    async def exec_refused(self, request: web.Request) -> web.Response:
        self._get_object(request)
        raise ApiError(
            403,
            "Forbidden",
            "the twin does not exec into pods: its pods are processes on this host, and its "
            "API runs no command a client sends",
        )

    async def access_review(self, request: web.Request) -> web.Response:
        """SelfSubjectAccessReview (``kubectl auth can-i``): allowed where the twin serves it."""
        body = await _body(request)
        attributes = (body.get("spec") or {}).get("resourceAttributes")
        allowed, reason = False, ""
        if attributes:
            group = attributes.get("group", "")
            plural = attributes.get("resource", "")
            sub = attributes.get("subresource", "")
            verb = attributes.get("verb", "")
            found = discovery.by_plural(group, plural)
            if found is None:
                reason = f"the twin does not serve {plural}{'.' + group if group else ''}"
            else:
                verbs = discovery.verbs(found, sub)
                allowed = verb in verbs or verb == "*" and bool(verbs)
                reason = (
                    "the twin's token may do what the twin serves"
                    if allowed
                    else f"the twin does not serve {verb} on {plural}{'/' + sub if sub else ''}"
                )
        else:
            reason = "the twin serves no non-resource writes"
            path = ((body.get("spec") or {}).get("nonResourceAttributes") or {}).get("path", "")
            allowed = path.rstrip("/") in {p.rstrip("/") for p in _PUBLIC} | {"/api", "/apis"}
        answer = {
            "kind": "SelfSubjectAccessReview",
            "apiVersion": "authorization.k8s.io/v1",
            "metadata": {"creationTimestamp": None},
            "spec": body.get("spec") or {},
            "status": {"allowed": allowed, **({"reason": reason} if reason else {})},
        }
        return _json(answer, 201)

    # ----------------------------------------------------------- logs
    async def logs(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        found = self.cluster.pod_log(name)
        if found is None or request.match_info["ns"] != self.cluster.namespace:
            raise not_found("pods", "", name)
        log, container = found
        asked = request.query.get("container")
        if asked and asked != container:
            raise ApiError(400, "BadRequest", f"container {asked} is not valid for pod {name}")
        previous = go_bool(request.query.get("previous"))
        run = log.run - 1 if previous else log.run
        if previous and run < 0:
            raise ApiError(
                400,
                "BadRequest",
                f'previous terminated container "{container}" in pod "{name}" not found',
            )
        stamps = go_bool(request.query.get("timestamps"))
        since = _int_param(request, "sinceSeconds")
        since_time = request.query.get("sinceTime")
        if since_time:
            try:
                moment = dt.datetime.fromisoformat(since_time.replace("Z", "+00:00"))
            except ValueError:
                raise ApiError(
                    400, "BadRequest", f"sinceTime: {since_time!r} is not an RFC 3339 time"
                ) from None
            since = max(int(time.time() - moment.timestamp()), 0)
        lines = log.select(run, _int_param(request, "tailLines"), since)
        limit = _int_param(request, "limitBytes")
        if limit is not None and limit <= 0:
            raise ApiError(400, "BadRequest", "limitBytes: Invalid value: must be greater than 0")
        if not go_bool(request.query.get("follow")) or previous:
            data = "".join(line.render(stamps) for line in lines).encode()
            if limit is not None:
                data = data[:limit]
            return web.Response(body=data, content_type="text/plain")
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        await response.prepare(request)
        last = lines[-1].seq if lines else log.next_seq - 1
        budget = limit if limit is not None else -1

        async def write(chunk: bytes) -> bool:
            nonlocal budget
            if budget == 0:
                return False
            if budget > 0:
                chunk = chunk[:budget]
                budget -= len(chunk)
            await response.write(chunk)
            return budget != 0

        try:
            going = True
            for line in lines:
                going = going and await write(line.render(stamps).encode())
            while going:
                fresh = await log.wait_after(last, run, timeout=1.0)
                for line in fresh:
                    going = going and await write(line.render(stamps).encode())
                    last = line.seq
                if not fresh and not log.is_open(run):
                    break
            await response.write_eof()
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        return response


def _in_namespace(obj: dict, namespace: str | None) -> bool:
    return namespace is None or obj["metadata"].get("namespace", namespace) == namespace


def _api_version(kind: str) -> str:
    return API_VERSIONS.get(kind, "v1")


def _line(event: dict) -> bytes:
    return (json.dumps(event, separators=(",", ":")) + "\n").encode()


def _bookmark(kind: str, rv: int) -> dict:
    return {
        "type": "BOOKMARK",
        "object": {
            "kind": kind,
            "apiVersion": _api_version(kind),
            "metadata": {"resourceVersion": str(rv)},
        },
    }


def _scale(resource: discovery.Resource, obj: dict) -> dict:
    meta = obj["metadata"]
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": meta["name"],
            "namespace": meta["namespace"],
            "uid": meta["uid"],
            "resourceVersion": meta["resourceVersion"],
            "creationTimestamp": meta["creationTimestamp"],
        },
        "spec": {"replicas": obj["spec"]["replicas"]},
        "status": {"replicas": obj["status"]["replicas"], "selector": f"app={meta['name']}"},
    }


def _check_kind(resource: discovery.Resource, body: dict) -> None:
    kind, version = body.get("kind"), body.get("apiVersion")
    expected = f"{resource.group}/v1" if resource.group else "v1"
    if (kind and kind != resource.kind) or (version and version != expected):
        raise ApiError(
            400,
            "BadRequest",
            f"the API version in the data ({version}) and kind ({kind}) do not match "
            f"{expected} {resource.kind} of the URL",
        )


async def _patch_body(request: web.Request) -> Any:
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


async def _body(request: web.Request, required: bool = True) -> dict:
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


def build_app(cluster: Cluster, token: str) -> web.Application:
    api = Api(cluster)
    app = web.Application(middlewares=[_errors, _auth(token)])
    router = app.router

    def route(method: str, path: str, handler: Any) -> None:
        """Every path with and without a trailing slash, as the API server serves them."""
        router.add_route(method, path, handler)
        router.add_route(method, f"{path}/", handler)

    route("GET", "/version", api.version)
    for path in ("/healthz", "/livez", "/readyz"):
        route("GET", path, api.healthz)
    route("GET", "/openapi/v2", api.openapi_v2)
    route("GET", "/openapi/v3", api.openapi_v3_index)
    router.add_route("GET", "/openapi/v3/{gv:.+}", api.openapi_v3)
    route("GET", "/api", api.api)
    route("GET", "/apis", api.apis)
    route("GET", "/api/v1", api.core_resources)
    route("GET", "/apis/{group}/v1", api.group_resources)
    route(
        "POST",
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        api.access_review,
    )
    cluster_named = f"/{_PREFIX}/{{plural}}/{{name}}"
    named = f"/{_PREFIX}/namespaces/{{ns}}/{{plural}}/{{name}}"
    route("GET", f"/{_PREFIX}/{{plural}}", api.collection)
    route("GET", cluster_named, api.item)
    route("PATCH", cluster_named, api.patch)
    route("PUT", cluster_named, api.replace)
    route("GET", f"/{_PREFIX}/namespaces/{{ns}}/{{plural}}", api.collection)
    route("POST", f"/{_PREFIX}/namespaces/{{ns}}/{{plural}}", api.create)
    route("GET", named, api.item)
    route("DELETE", named, api.delete)
    route("PATCH", named, api.patch)
    route("PUT", named, api.replace)
    route("GET", "/api/v1/namespaces/{ns}/pods/{name}/log", api.logs)
    route("GET", f"{named}/status", api.item)
    route("GET", "/api/v1/namespaces/{ns}/{plural:pods}/{name}/exec", api.exec_refused)
    route("POST", "/api/v1/namespaces/{ns}/{plural:pods}/{name}/exec", api.exec_refused)
    route("PATCH", f"{named}/status", api.status_write)
    route("PUT", f"{named}/status", api.status_write)
    route("GET", f"{named}/scale", api.scale_get)
    route("PATCH", f"{named}/scale", api.scale_set)
    route("PUT", f"{named}/scale", api.scale_set)
    return app


async def serve(cluster: Cluster, token: str, port: int, cert: str, key: str) -> web.AppRunner:
    """Start serving on 127.0.0.1:``port`` over TLS; returns the runner to clean up."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    runner = web.AppRunner(build_app(cluster, token), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, ssl_context=context, shutdown_timeout=1.0)
    await site.start()
    return runner
