"""The writes of the twin's Kubernetes API: create, delete, patch (server-side apply too),
replace, scale; and the refusals (status, exec). Each goes to the supervisor through the
:class:`~twin.kube.handling.Cluster` protocol."""

from __future__ import annotations

from aiohttp import web

from twin.kube import discovery
from twin.kube import patch as patching
from twin.kube.handling import (
    ApiError,
    Handlers,
    check_fields,
    check_kind,
    dry_run,
    in_namespace,
    int_param,
    json_answer,
    read_body,
    read_patch,
)


class Writes(Handlers):
    """Handlers of the requests that change objects."""

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
        body = await read_body(request)
        self._check_namespace(request, body)
        check_kind(resource, body)
        check_fields(request, resource.kind, body)
        created = self.cluster.create(resource.kind, body, dry_run(request))
        return json_answer(created, 201)

    async def delete(self, request: web.Request) -> web.Response:
        resource, obj = self._get_object(request)
        options = await read_body(request, required=False)
        grace = options.get("gracePeriodSeconds", int_param(request, "gracePeriodSeconds"))
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
        return json_answer(answer)

    async def scale_get(self, request: web.Request) -> web.Response:
        resource, obj = self._get_object(request)
        return json_answer(_scale(resource, obj))

    async def scale_set(self, request: web.Request) -> web.Response:
        resource, obj = self._get_object(request)
        current = _scale(resource, obj)
        if request.method == "PATCH":
            body = patching.apply(request.content_type, current, await read_patch(request))
        else:
            body = await read_body(request)
        replicas = body.get("spec", {}).get("replicas")
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            raise ApiError(
                422,
                "Invalid",
                f"spec.replicas: Invalid value: {replicas!r}: must be an integer >= 0",
            )
        name = obj["metadata"]["name"]
        if dry_run(request):
            return json_answer(current | {"spec": {"replicas": replicas}})
        self.cluster.scale(resource.kind, name, replicas, False)
        return json_answer(_scale(resource, self.store.written(resource.kind, name)))

    async def patch(self, request: web.Request) -> web.Response:
        resource = self._resource(request)
        content_type = request.content_type
        if content_type == patching.APPLY:
            return await self._server_side_apply(request, resource)
        _, obj = self._get_object(request)
        body = await read_patch(request)
        if content_type != patching.JSON_PATCH and isinstance(body, dict):
            check_fields(request, resource.kind, body)
        new = patching.apply(content_type, obj, body)
        return json_answer(self.cluster.update(resource.kind, obj, new, dry_run(request)))

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
        applied = await read_patch(request)
        if not isinstance(applied, dict):
            raise ApiError(400, "BadRequest", "the applied configuration is not an object")
        check_kind(resource, applied)
        check_fields(request, resource.kind, applied)
        name = request.match_info["name"]
        if (applied.get("metadata") or {}).get("name", name) != name:
            raise ApiError(
                400, "BadRequest", "the name of the object does not match the name on the URL"
            )
        obj = self.store.get(resource.kind, name)
        if obj is None or not in_namespace(obj, request.match_info.get("ns")):
            if "ns" in request.match_info:
                self._check_namespace(request, applied)
            created = self.cluster.create(resource.kind, applied, dry_run(request))
            return json_answer(created, 201)
        new = patching.apply(patching.APPLY, obj, applied)
        return json_answer(self.cluster.update(resource.kind, obj, new, dry_run(request)))

    async def replace(self, request: web.Request) -> web.Response:
        resource, obj = self._get_object(request)
        body = await read_body(request)
        check_kind(resource, body)
        if (body.get("metadata") or {}).get("name") != obj["metadata"]["name"]:
            raise ApiError(
                400, "BadRequest", "the name of the object does not match the name on the URL"
            )
        if resource.namespaced:
            self._check_namespace(request, body)
        check_fields(request, resource.kind, body)
        return json_answer(self.cluster.update(resource.kind, obj, body, dry_run(request)))

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
