"""The twin's Kubernetes API: the part of the REST API that the official client and kubectl use.

Served by aiohttp inside the supervisor's event loop, over HTTPS with a bearer token.
Reads come from the :class:`~twin.kube.store.Store`; writes go to the supervisor
through the :class:`Cluster` protocol. Every error is a JSON ``Status``.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from typing import Any, Protocol

from aiohttp import web

from twin.kube import discovery, selectors, tables
from twin.kube.objects import API_VERSIONS
from twin.kube.podlog import PodLog
from twin.kube.store import Store, TooOld

BOOKMARK_INTERVAL_S = 2.0
DEFAULT_WATCH_TIMEOUT_S = 1800
_PREFIX = r"{prefix:api/v1|apis/apps/v1|apis/batch/v1}"
_PUBLIC = {"/version", "/healthz", "/livez", "/readyz"}


class ApiError(Exception):
    """Becomes a ``Status`` answer."""

    def __init__(self, code: int, reason: str, message: str, details: dict | None = None) -> None:
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details


class Cluster(Protocol):
    """What the API server asks of the supervisor."""

    store: Store
    namespace: str

    def delete_pod(self, name: str, grace: float | None) -> bool: ...
    def scale(self, kind: str, name: str, replicas: int) -> bool: ...
    def create_job(self, body: dict) -> str: ...
    def delete_job(self, name: str, propagation: str | None) -> bool: ...
    def create_service(self, body: dict) -> str: ...
    def delete_service(self, name: str) -> bool: ...
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


@web.middleware
async def _errors(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as error:
        return _json(status(error.code, error.reason, error.message, error.details), error.code)
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
        prefix = request.match_info["prefix"]
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
        if group not in ("apps", "batch"):
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return _json(discovery.resource_list(group))

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
    async def create(self, request: web.Request) -> web.Response:
        resource = self._resource(request)
        body = await _body(request)
        namespace = request.match_info["ns"]
        if body.get("metadata", {}).get("namespace", namespace) != namespace:
            raise ApiError(400, "BadRequest", "the namespace of the object does not match the URL")
        if namespace != self.cluster.namespace:
            raise ApiError(404, "NotFound", f'namespaces "{namespace}" not found')
        if resource.kind == "Job":
            name = self.cluster.create_job(body)
        elif resource.kind == "Service":
            name = self.cluster.create_service(body)
        else:
            raise ApiError(
                405, "MethodNotAllowed", f"create is not supported for {resource.plural}"
            )
        return _json(self.store.get(resource.kind, name), 201)

    async def delete(self, request: web.Request) -> web.Response:
        resource, obj = self._get_object(request)
        options = await _body(request, required=False)
        name = obj["metadata"]["name"]
        grace = options.get("gracePeriodSeconds", _int_param(request, "gracePeriodSeconds"))
        propagation = options.get("propagationPolicy", request.query.get("propagationPolicy"))
        if resource.kind == "Pod":
            self.cluster.delete_pod(name, None if grace is None else float(grace))
            return _json(self.store.get("Pod", name) or obj)
        if resource.kind == "Job":
            self.cluster.delete_job(name, propagation)
            details = {
                "name": name,
                "group": "batch",
                "kind": "jobs",
                "uid": obj["metadata"]["uid"],
            }
            return _json(status(200, "", "", details) | {"status": "Success"})
        if resource.kind == "Service":
            self.cluster.delete_service(name)
            return _json(obj)
        raise ApiError(405, "MethodNotAllowed", f"delete is not supported for {resource.plural}")

    async def scale_get(self, request: web.Request) -> web.Response:
        resource, obj = self._get_object(request)
        return _json(_scale(resource, obj))

    async def scale_set(self, request: web.Request) -> web.Response:
        resource, obj = self._get_object(request)
        body = await _body(request)
        replicas = body.get("spec", {}).get("replicas")
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            raise ApiError(
                422,
                "Invalid",
                f"spec.replicas: Invalid value: {replicas!r}: must be an integer >= 0",
            )
        self.cluster.scale(resource.kind, obj["metadata"]["name"], replicas)
        return _json(_scale(resource, self.store.get(resource.kind, obj["metadata"]["name"])))

    async def patch(self, request: web.Request) -> web.Response:
        resource, obj = self._get_object(request)
        if resource.kind not in ("Deployment", "StatefulSet"):
            raise ApiError(405, "MethodNotAllowed", f"patch is not supported for {resource.plural}")
        return await self.scale_set(request)

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
        lines = log.select(
            run, _int_param(request, "tailLines"), _int_param(request, "sinceSeconds")
        )
        if not go_bool(request.query.get("follow")) or previous:
            text = "".join(line.render(stamps) for line in lines)
            return web.Response(text=text, content_type="text/plain")
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        await response.prepare(request)
        last = lines[-1].seq if lines else log.next_seq - 1
        try:
            for line in lines:
                await response.write(line.render(stamps).encode())
            while True:
                fresh = await log.wait_after(last, run, timeout=1.0)
                for line in fresh:
                    await response.write(line.render(stamps).encode())
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


async def _body(request: web.Request, required: bool = True) -> dict:
    if "protobuf" in request.content_type:
        raise ApiError(
            415, "UnsupportedMediaType", f"the body of type {request.content_type} is unsupported"
        )
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
    route = app.router
    route.add_get("/version", api.version)
    for path in ("/healthz", "/livez", "/readyz"):
        route.add_get(path, api.healthz)
    route.add_get("/api", api.api)
    route.add_get("/apis", api.apis)
    route.add_get("/api/v1", api.core_resources)
    route.add_get("/apis/{group}/v1", api.group_resources)
    named = f"/{_PREFIX}/namespaces/{{ns}}/{{plural}}/{{name}}"
    route.add_get(f"/{_PREFIX}/{{plural}}", api.collection)
    route.add_get(f"/{_PREFIX}/{{plural}}/{{name}}", api.item)
    route.add_get(f"/{_PREFIX}/namespaces/{{ns}}/{{plural}}", api.collection)
    route.add_post(f"/{_PREFIX}/namespaces/{{ns}}/{{plural}}", api.create)
    route.add_get(named, api.item)
    route.add_delete(named, api.delete)
    route.add_patch(named, api.patch)
    route.add_get("/api/v1/namespaces/{ns}/pods/{name}/log", api.logs)
    route.add_get(f"{named}/scale", api.scale_get)
    route.add_patch(f"{named}/scale", api.scale_set)
    route.add_put(f"{named}/scale", api.scale_set)
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
