"""Manifests for the KubeLibrary suite (plain dicts, as the dynamic client takes them)."""

from __future__ import annotations


def job_body(name: str, python: str, text: str) -> dict:
    """A Job of image twin/python:3 whose container ``worker`` prints ``text``."""
    command = [python, "-c", f"print({text!r}, flush=True)"]
    container = {"name": "worker", "image": "twin/python:3", "command": command}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {
            "backoffLimit": 0,
            "template": {"spec": {"restartPolicy": "Never", "containers": [container]}},
        },
    }


def service_body(name: str, port: int) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"ports": [{"port": port}]},
    }


def labels_patch(**labels: str | None) -> dict:
    """A merge patch of metadata.labels (None removes a label)."""
    return {"metadata": {"labels": labels}}


def with_labels(live: object, **labels: str) -> dict:
    """The live object (a dynamic-client ResourceInstance) as a dict, with these labels."""
    body = live.to_dict()
    body["metadata"]["labels"] = dict(labels)
    return body
