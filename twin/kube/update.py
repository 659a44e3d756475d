"""Updates (PUT, PATCH, server-side apply): what changed, whether the twin can do it.

The twin's objects mirror its processes, so an update is turned into a :class:`Change`:
metadata (labels, annotations) every kind keeps; a Deployment's or StatefulSet's
``spec.replicas`` (a scale), its pod template's annotations (``kubectl rollout
restart``) and container images (``kubectl set image``). Any other change of ``spec``
is refused with a 422 that names the field, never silently dropped. ``status`` is
ignored, as the API server ignores it outside the ``/status`` subresource.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

WORKLOADS = ("Deployment", "StatefulSet")
_SERVER_META = {
    "resourceVersion",
    "managedFields",
    "generation",
    "uid",
    "creationTimestamp",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "ownerReferences",
    "generateName",
    "finalizers",
}


class UpdateError(ValueError):
    """Answered as a 422 Invalid (or ``code``) Status."""

    def __init__(self, message: str, code: int = 422, reason: str = "Invalid") -> None:
        super().__init__(message)
        self.code, self.reason = code, reason


@dataclass
class Change:
    overlay: dict = field(default_factory=dict)
    replicas: int | None = None
    template_changed: bool = False


def _first_difference(old: Any, new: Any, path: str) -> str | None:
    """The first path where ``new`` sets something ``old`` does not have (absent keys: kept)."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key, value in new.items():
            found = _first_difference(old.get(key), value, f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return path
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            found = _first_difference(a, b, f"{path}[{index}]")
            if found:
                return found
        return None
    if old != new and not (old is None and new in ({}, [], "", None)):
        return path
    return None


def _containers(spec: dict) -> list[dict]:
    return ((spec.get("template") or {}).get("spec") or {}).get("containers") or []


def plan(kind: str, old: dict, new: dict) -> Change:
    """The change from ``old`` to ``new``; :class:`UpdateError` for what the twin cannot do."""
    if not isinstance(new.get("metadata"), dict):
        raise UpdateError("metadata: Required value")
    old_meta, new_meta = old["metadata"], new["metadata"]
    if new.get("kind", kind) != kind:
        raise UpdateError(
            f"kind: Invalid value: {new.get('kind')!r}: must be {kind}", 400, "BadRequest"
        )
    for key in ("name", "namespace"):
        if new_meta.get(key, old_meta.get(key)) != old_meta.get(key):
            raise UpdateError(
                f"metadata.{key}: Invalid value: {new_meta.get(key)!r}: field is immutable",
                400 if key == "namespace" else 422,
                "BadRequest" if key == "namespace" else "Invalid",
            )
    asked = new_meta.get("resourceVersion")
    if asked and asked != old_meta.get("resourceVersion"):
        raise UpdateError(
            f'Operation cannot be fulfilled on {kind.lower()}s "{old_meta["name"]}": the object '
            "has been modified; please apply your changes to the latest version and try again",
            409,
            "Conflict",
        )
    for key, value in new_meta.items():
        if key in _SERVER_META or key in ("labels", "annotations", "name", "namespace"):
            continue
        if value != old_meta.get(key):
            raise UpdateError(f"metadata.{key}: Forbidden: the twin does not keep this field")
    change = Change()
    for key in ("labels", "annotations"):
        value = new_meta.get(key) or {}
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise UpdateError(f"metadata.{key}: Invalid value: must be a map of strings")
        if value != (old_meta.get(key) or {}):
            change.overlay[key] = dict(value)
    old_spec = old.get("spec") or {}
    new_spec = copy.deepcopy(new.get("spec") or {})
    if kind in WORKLOADS:
        _workload_change(old_spec, new_spec, change)
    where = _first_difference(old_spec, new_spec, "spec")
    if where:
        can = "labels, annotations" + (
            ", spec.replicas, pod template annotations and container images"
            if kind in WORKLOADS
            else ""
        )
        immutable = " field is immutable;" if kind in ("Job", "Pod") else ""
        raise UpdateError(
            f"{kind} {old_meta['name']!r} is invalid: {where}: Forbidden:{immutable} the twin "
            f"can change only {can} of a {kind}"
        )
    return change


def _workload_change(old_spec: dict, new_spec: dict, change: Change) -> None:
    """Take replicas, template annotations and images out of ``new_spec`` into ``change``."""
    replicas = new_spec.pop("replicas", old_spec.get("replicas"))
    if replicas is None:  # upstream defaults a missing spec.replicas to 1
        replicas = 1
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        raise UpdateError(f"spec.replicas: Invalid value: {replicas!r}: must be an integer >= 0")
    if replicas != old_spec.get("replicas"):
        change.replicas = replicas
    template = new_spec.get("template") or {}
    annotations = (template.get("metadata") or {}).pop("annotations", None) or {}
    if annotations != ((old_spec.get("template") or {}).get("metadata") or {}).get(
        "annotations", {}
    ):
        change.overlay["template_annotations"] = dict(annotations)
        change.template_changed = True
    old_images = {c.get("name"): c.get("image") for c in _containers(old_spec)}
    images = {}
    for container in _containers(new_spec):
        name = container.get("name")
        if name not in old_images:
            raise UpdateError(
                f"spec.template.spec.containers: Forbidden: the twin cannot add container {name!r}"
            )
        image = container.pop("image", old_images[name])
        if not isinstance(image, str) or not image:
            raise UpdateError(f"spec.template.spec.containers[{name}].image: Required value")
        if image != old_images[name]:
            images[name] = image
            container["image"] = old_images[name]
        else:
            container["image"] = image
    if images:
        change.overlay["images"] = images
        change.template_changed = True


def dress(obj: dict, overlay: dict) -> None:
    """Apply what clients changed (``overlay``) to a freshly built object, in place."""
    meta = obj["metadata"]
    for key in ("labels", "annotations"):
        if key in overlay:
            if overlay[key]:
                meta[key] = dict(overlay[key])
            else:
                meta.pop(key, None)
    spec = obj.get("spec") or {}
    template = spec.get("template")
    if template is None:
        return
    if "template_annotations" in overlay:
        template.setdefault("metadata", {})["annotations"] = dict(overlay["template_annotations"])
    for container in _containers(spec):
        image = (overlay.get("images") or {}).get(container.get("name"))
        if image:
            container["image"] = image


def preview(old: dict, new: dict, change: Change) -> dict:
    """The object as it would be after ``change`` (dry run): nothing is stored."""
    result = copy.deepcopy(old)
    dress(result, change.overlay)
    if change.replicas is not None:
        result["spec"]["replicas"] = change.replicas
    if change.template_changed or change.replicas is not None:
        result["metadata"]["generation"] = int(result["metadata"].get("generation", 1)) + 1
    return result
