"""The twin's Kubernetes API: the part of the REST API that the official client and kubectl use.

Served by aiohttp inside the supervisor's event loop, over HTTPS with a bearer token.
This module holds the route table, the reads (discovery, OpenAPI, objects, access
reviews) and the middlewares; watches, logs and writes have modules of their own. Reads
come from the :class:`~twin.kube.store.Store`; writes go to the supervisor through the
:class:`~twin.kube.handling.Cluster` protocol. Every error is a JSON ``Status``.
"""

from __future__ import annotations

import json
import ssl
from typing import Any

from aiohttp import web

from twin.kube import discovery, openapi, selectors, tables
from twin.kube import patch as patching
from twin.kube.handling import (
    ApiError,
    Cluster,
    Handlers,
    api_version,
    go_bool,
    in_namespace,
    json_answer,
    read_body,
    status,
)
from twin.kube.logs import pod_log
from twin.kube.update import UpdateError
from twin.kube.watch import watch
from twin.kube.writes import Writes

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


@web.middleware
async def _errors(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as error:
        return json_answer(
            status(error.code, error.reason, error.message, error.details), error.code
        )
    except UpdateError as error:
        return json_answer(status(error.code, error.reason, str(error)), error.code)
    except patching.PatchError as error:
        reason = {400: "BadRequest", 415: "UnsupportedMediaType"}.get(error.code, "Invalid")
        return json_answer(status(error.code, reason, str(error)), error.code)
    except selectors.SelectorError as error:
        return json_answer(status(400, "BadRequest", str(error)), 400)
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, ValueError) as error:
        return json_answer(status(400, "BadRequest", f"malformed request: {error}"), 400)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        reason = {404: "NotFound", 405: "MethodNotAllowed"}.get(error.status, "BadRequest")
        message = "the server could not find the requested resource"
        if error.status != 404:
            message = error.reason
        return json_answer(status(error.status, reason, message), error.status)


def _auth(token: str) -> Any:
    expected = f"Bearer {token}"

    @web.middleware
    async def check(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path not in _PUBLIC and request.headers.get("Authorization") != expected:
            return json_answer(status(401, "Unauthorized", "Unauthorized"), 401)
        return await handler(request)

    return check


class Reads(Handlers):
    """Handlers of the requests that read: discovery, OpenAPI, objects, access reviews."""

    def _matching(self, resource: discovery.Resource, request: web.Request) -> list[dict]:
        namespace = request.match_info.get("ns")
        labels = selectors.parse_labels(request.query.get("labelSelector", ""))
        fields = selectors.parse_fields(request.query.get("fieldSelector", ""))
        return [
            obj
            for obj in self.store.list(resource.kind)
            if in_namespace(obj, namespace) and selectors.matches(obj, labels, fields)
        ]

    def _answer(self, request: web.Request, kind: str, objects: list[dict], single: bool) -> dict:
        if tables.wants_table(request.headers.get("Accept", "")):
            return tables.to_table(
                kind, objects, str(self.store.rv), request.query.get("includeObject", "Metadata")
            )
        if single:
            return objects[0]
        return {
            "kind": f"{kind}List",
            "apiVersion": objects[0]["apiVersion"] if objects else api_version(kind),
            "metadata": {"resourceVersion": str(self.store.rv)},
            "items": objects,
        }

    async def version(self, _: web.Request) -> web.Response:
        return json_answer(discovery.version())

    async def api(self, _: web.Request) -> web.Response:
        return json_answer(discovery.core_versions())

    async def apis(self, _: web.Request) -> web.Response:
        return json_answer(discovery.groups())

    async def core_resources(self, _: web.Request) -> web.Response:
        return json_answer(discovery.resource_list(""))

    async def group_resources(self, request: web.Request) -> web.Response:
        group = request.match_info["group"]
        if group not in discovery.GROUPS:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return json_answer(discovery.resource_list(group))

    async def openapi_v2(self, request: web.Request) -> web.Response:
        accept = request.headers.get("Accept", "")
        if "protobuf" in accept and "json" not in accept and "*/*" not in accept:
            raise ApiError(406, "NotAcceptable", "the twin serves /openapi/v2 as JSON only")
        return web.Response(body=openapi.v2(), content_type="application/json")

    async def openapi_v3_index(self, _: web.Request) -> web.Response:
        return json_answer(openapi.v3_index())

    async def openapi_v3(self, request: web.Request) -> web.Response:
        group_version = request.match_info["gv"].strip("/")
        if group_version not in openapi.SERVED:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return web.Response(body=openapi.v3(group_version), content_type="application/json")

    async def healthz(self, _: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def collection(self, request: web.Request) -> web.StreamResponse:
        resource = self._resource(request)
        if go_bool(request.query.get("watch")):
            return await watch(request, self.store, resource)
        objects = self._matching(resource, request)
        return json_answer(self._answer(request, resource.kind, objects, single=False))

    async def item(self, request: web.Request) -> web.Response:
        resource, obj = self._get_object(request)
        return json_answer(self._answer(request, resource.kind, [obj], single=True))

    async def access_review(self, request: web.Request) -> web.Response:
        """SelfSubjectAccessReview (``kubectl auth can-i``): allowed where the twin serves it."""
        body = await read_body(request)
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
        return json_answer(answer, 201)


def build_app(cluster: Cluster, token: str) -> web.Application:
    reads, writes = Reads(cluster), Writes(cluster)

    async def logs(request: web.Request) -> web.StreamResponse:
        return await pod_log(request, cluster)

    app = web.Application(middlewares=[_errors, _auth(token)])
    router = app.router

    def route(method: str, path: str, handler: Any) -> None:
        """Every path with and without a trailing slash, as the API server serves them."""
        router.add_route(method, path, handler)
        router.add_route(method, f"{path}/", handler)

    route("GET", "/version", reads.version)
    for path in ("/healthz", "/livez", "/readyz"):
        route("GET", path, reads.healthz)
    route("GET", "/openapi/v2", reads.openapi_v2)
    route("GET", "/openapi/v3", reads.openapi_v3_index)
    router.add_route("GET", "/openapi/v3/{gv:.+}", reads.openapi_v3)
    route("GET", "/api", reads.api)
    route("GET", "/apis", reads.apis)
    route("GET", "/api/v1", reads.core_resources)
    route("GET", "/apis/{group}/v1", reads.group_resources)
    route(
        "POST",
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        reads.access_review,
    )
    cluster_named = f"/{_PREFIX}/{{plural}}/{{name}}"
    named = f"/{_PREFIX}/namespaces/{{ns}}/{{plural}}/{{name}}"
    route("GET", f"/{_PREFIX}/{{plural}}", reads.collection)
    route("GET", cluster_named, reads.item)
    route("PATCH", cluster_named, writes.patch)
    route("PUT", cluster_named, writes.replace)
    route("GET", f"/{_PREFIX}/namespaces/{{ns}}/{{plural}}", reads.collection)
    route("POST", f"/{_PREFIX}/namespaces/{{ns}}/{{plural}}", writes.create)
    route("GET", named, reads.item)
    route("DELETE", named, writes.delete)
    route("PATCH", named, writes.patch)
    route("PUT", named, writes.replace)
    route("GET", "/api/v1/namespaces/{ns}/pods/{name}/log", logs)
    route("GET", f"{named}/status", reads.item)
    route("GET", "/api/v1/namespaces/{ns}/{plural:pods}/{name}/exec", writes.exec_refused)
    route("POST", "/api/v1/namespaces/{ns}/{plural:pods}/{name}/exec", writes.exec_refused)
    route("PATCH", f"{named}/status", writes.status_write)
    route("PUT", f"{named}/status", writes.status_write)
    route("GET", f"{named}/scale", writes.scale_get)
    route("PATCH", f"{named}/scale", writes.scale_set)
    route("PUT", f"{named}/scale", writes.scale_set)
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
