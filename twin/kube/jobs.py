"""Jobs created through the API: validation of the body and the pod spec it runs."""

from __future__ import annotations

import copy
import re
import secrets as random_secrets
import socket
from dataclasses import dataclass

from twin.kube import defaults
from twin.workloads import Probe, WorkloadSpec

_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DEFAULT_BACKOFF_LIMIT = 6
DEFAULT_GRACE_S = 30.0
# The images the twin "has": a container with any other image is never run on this
# host; its pod stays Pending with ErrImagePull/ImagePullBackOff, as on a cluster
# whose registry does not have the image.
KNOWN_IMAGES = frozenset({"twin/focus-grpc-job:1", "twin/python:3"})


class InvalidObject(ValueError):
    """The body is not a valid object (answered 422 Invalid)."""


@dataclass
class JobRecord:
    """A Job as the supervisor keeps it: the spec it was given, and its outcome."""

    name: str
    uid: str
    created_at: str
    labels: dict
    spec: dict
    pod_spec: WorkloadSpec
    backoff_limit: int
    condition: str | None = None  # Complete or Failed
    finished_at: str | None = None

    @property
    def container(self) -> dict:
        return self.spec["template"]["spec"]["containers"][0]

    @property
    def image_known(self) -> bool:
        return self.container.get("image") in KNOWN_IMAGES


def check_name(name: object, what: str = "metadata.name") -> str:
    if not isinstance(name, str) or len(name) > 63 or not _NAME.match(name):
        raise InvalidObject(f"{what}: Invalid value: {name!r}: must be a DNS-1123 label")
    return name


def _probe(container: dict) -> Probe:
    """Readiness from the container's readinessProbe: grpc or tcpSocket port, else running."""
    readiness = container.get("readinessProbe") or {}
    if "grpc" in readiness:
        port = int(readiness["grpc"]["port"])

        def grpc_probe(endpoints: dict, secrets: dict) -> bool:
            from twin.grpc_job.protocol import check_serving

            return check_serving("127.0.0.1", port)

        return grpc_probe
    if "tcpSocket" in readiness:
        port = int(readiness["tcpSocket"]["port"])

        def tcp_probe(endpoints: dict, secrets: dict) -> bool:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.3):
                    return True
            except OSError:
                return False

        return tcp_probe
    return lambda endpoints, secrets: True


def job_from_body(body: dict, uid: str, created_at: str) -> JobRecord:
    """Validate a batch/v1 Job body; raises :class:`InvalidObject` with the field at fault."""
    metadata = body.get("metadata") or {}
    name = metadata.get("name")
    if not name and metadata.get("generateName"):
        name = metadata["generateName"] + random_secrets.token_hex(3)[:5]
    name = check_name(name)
    spec = copy.deepcopy(body.get("spec") or {})
    template = (spec.get("template") or {}).get("spec") or {}
    containers = template.get("containers") or []
    if len(containers) != 1:
        raise InvalidObject("spec.template.spec.containers: the twin runs exactly one container")
    container = containers[0]
    check_name(container.get("name"), "spec.template.spec.containers[0].name")
    image = container.get("image")
    if not isinstance(image, str) or not image.strip():
        raise InvalidObject("spec.template.spec.containers[0].image: Required value")
    command = [*(container.get("command") or []), *(container.get("args") or [])]
    if not all(isinstance(part, str) for part in command):
        raise InvalidObject("spec.template.spec.containers[0].command: must be strings")
    if image in KNOWN_IMAGES and not command:
        raise InvalidObject(
            f"spec.template.spec.containers[0].command: Required value: image {image} "
            "has no entrypoint on the twin"
        )
    policy = template.get("restartPolicy", "Never")
    if policy not in ("Never", "OnFailure"):
        raise InvalidObject(f"spec.template.spec.restartPolicy: Unsupported value: {policy!r}")
    env = tuple((str(e["name"]), str(e.get("value", ""))) for e in container.get("env") or [])
    pod_spec = WorkloadSpec(
        name=name,
        kind="Job",
        module="",
        probe=_probe(container),
        image=image,
        grace_seconds=float(template.get("terminationGracePeriodSeconds", DEFAULT_GRACE_S)),
        command=tuple(command),
        env=env,
        restart_policy="Never",
    )
    labels = dict(metadata.get("labels") or {})
    selector = {"batch.kubernetes.io/controller-uid": uid}
    pod_labels = {
        **selector,
        "batch.kubernetes.io/job-name": name,
        "controller-uid": uid,
        "job-name": name,
    }
    spec.setdefault("backoffLimit", DEFAULT_BACKOFF_LIMIT)
    spec["selector"] = {"matchLabels": selector}
    spec = defaults.job_spec(spec)
    pod_meta = spec["template"]["metadata"]
    pod_meta["labels"] = {**(pod_meta.get("labels") or {}), **pod_labels}
    labels = labels or dict(pod_meta["labels"])  # as upstream: a Job without labels gets its pods'
    return JobRecord(
        name=name,
        uid=uid,
        created_at=created_at,
        labels=labels,
        spec=spec,
        pod_spec=pod_spec,
        backoff_limit=int(spec["backoffLimit"]),
    )


def service_from_body(body: dict, uid: str, created_at: str, namespace: str) -> dict:
    """Validate a v1 Service body and complete it as the API server does."""
    metadata = dict(body.get("metadata") or {})
    check_name(metadata.get("name"))
    spec = copy.deepcopy(body.get("spec") or {})
    ports = spec.get("ports") or []
    if not ports:
        raise InvalidObject("spec.ports: Required value")
    kind = spec.setdefault("type", "ClusterIP")
    for index, port in enumerate(ports):
        if not isinstance(port.get("port"), int):
            raise InvalidObject(f"spec.ports[{index}].port: Required value")
        port.setdefault("protocol", "TCP")
        port.setdefault("targetPort", port["port"])
        if kind == "NodePort":
            port.setdefault("nodePort", port["port"])
    spec.setdefault("clusterIP", "127.0.0.1")
    spec.setdefault("clusterIPs", [spec["clusterIP"]])
    metadata.update(uid=uid, creationTimestamp=created_at, namespace=namespace)
    metadata.pop("resourceVersion", None)
    return {
        "kind": "Service",
        "apiVersion": "v1",
        "metadata": metadata,
        "spec": spec,
        "status": {"loadBalancer": {}},
    }
