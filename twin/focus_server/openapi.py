"""The served OpenAPI document (contract section 2, decided): the bearer scheme, every
status code each operation can answer with the error body, the validation rules (enums,
ranges, the allowed NFFT values) and the links configure -> metadata/ack/waterfall/delete
that schemathesis' stateful phase follows.

Cross-field rules JSON Schema cannot state (``min <= max``, SingleChannel ``min == max``,
``overlap < nfft``, ``startTime < endTime <= now``) are in each schema's description.
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from contract import constants

ERROR = {"$ref": "#/components/schemas/Error"}
NFFT_VALUES = [2**power for power in range(7, 17)]  # 128 .. 65536
_MESSAGES = {
    400: "Bad request: malformed JSON, nested deeper than 64 levels, or a validation rule broken",
    401: "Missing, malformed, forged or expired bearer token (or wrong credentials)",
    404: "Unknown task, alert, route, or no recording covers the range",
    409: "The task has finished",
    413: "Body larger than 1 MiB",
    415: "Body not sent as Content-Type: application/json",
    429: "Rate limit of this token exceeded; see Retry-After",
    503: "Capacity (MaxWindows) exhausted or MongoDB unavailable; see Retry-After",
}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "string"}}}
_RANGE_DOC = "min <= max"
_INT_RANGE = {
    "type": "object",
    "required": ["min", "max"],
    "additionalProperties": False,
    "description": f"Channels, {_RANGE_DOC}",
    "properties": {
        "min": {"type": "integer", "minimum": 1, "maximum": constants.SENSORS_RANGE},
        "max": {"type": "integer", "minimum": 1, "maximum": constants.SENSORS_RANGE},
    },
}
_FREQUENCY_RANGE = {
    "type": "object",
    "required": ["min", "max"],
    "additionalProperties": False,
    "description": "Hz, min < max",
    "properties": {
        "min": {
            "type": "number",
            "minimum": constants.FREQUENCY_MIN,
            "maximum": constants.FREQUENCY_MAX,
        },
        "max": {
            "type": "number",
            "minimum": constants.FREQUENCY_MIN,
            "maximum": constants.FREQUENCY_MAX,
        },
    },
}
EXAMPLE_CONFIGURE = {
    "timeStatus": "Live",
    "viewType": "MultiChannel",
    "nfft": 1024,
    "overlap": 512,
    "channels": {"min": 11, "max": 109},
    "frequencyRange": {"min": 0, "max": 500},
    "startTime": None,
    "endTime": None,
}
CONFIGURE = {
    "type": "object",
    "required": ["timeStatus", "viewType", "nfft", "channels", "frequencyRange"],
    "additionalProperties": False,
    # What JSON Schema can say of the cross-field rules: Live takes no times, Historic
    # needs both; only SingleChannel goes beyond nfft 4096.
    "allOf": [
        {
            "if": {"properties": {"timeStatus": {"const": "Live"}}},
            "then": {"properties": {"startTime": {"type": "null"}, "endTime": {"type": "null"}}},
            "else": {
                "required": ["startTime", "endTime"],
                "properties": {
                    "startTime": {"type": "string", "format": "date-time"},
                    "endTime": {"type": "string", "format": "date-time"},
                },
            },
        },
        {
            "if": {"properties": {"viewType": {"not": {"const": "SingleChannel"}}}},
            "then": {
                "properties": {
                    "nfft": {"enum": NFFT_VALUES[:6]},
                    "overlap": {"maximum": NFFT_VALUES[5] - 1},
                }
            },
        },
    ],
    "description": (
        "A task. Cross-field rules: nfft <= 4096 except SingleChannel (<= 65536); SingleChannel "
        "needs channels.min == channels.max; 0 <= overlap < nfft; Live takes no startTime/endTime; "
        "Historic needs startTime < endTime <= now, covered by a recording (else 404)."
    ),
    "properties": {
        "timeStatus": {"type": "string", "enum": list(constants.TIME_STATUSES)},
        "viewType": {"type": "string", "enum": list(constants.VIEW_TYPES)},
        "nfft": {"type": "integer", "enum": NFFT_VALUES},
        "overlap": {
            "type": ["integer", "null"],
            "minimum": 0,
            "maximum": NFFT_VALUES[-1] - 1,
            "description": "samples; null or absent: nfft / 2",
        },
        "channels": _INT_RANGE,
        "frequencyRange": _FREQUENCY_RANGE,
        "startTime": {"type": ["string", "null"], "format": "date-time"},
        "endTime": {"type": ["string", "null"], "format": "date-time"},
    },
}
ROI = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "description": "New channels and/or frequencyRange of a running task (same rules as configure)",
    "properties": {
        "channels": {**_INT_RANGE, "type": ["object", "null"]},
        "frequencyRange": {**_FREQUENCY_RANGE, "type": ["object", "null"]},
    },
}
TOKEN_REQUEST = {
    "type": "object",
    "required": ["username", "password"],
    "additionalProperties": False,
    "properties": {
        "username": {"type": "string"},
        "password": {"type": "string", "format": "password"},
        "expires_in": {"type": "number", "minimum": 1},
    },
}
STREAM = {
    "type": "object",
    "required": ["host", "port"],
    "properties": {"host": {"type": ["string", "null"]}, "port": {"type": ["integer", "null"]}},
}
STATUS = {"type": "string", "enum": ["waiting", "running", "completed", "failed", "stopped"]}
SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "field"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "field": {"type": ["string", "null"]},
                },
            }
        },
    },
    "Token": {
        "type": "object",
        "required": ["access_token", "token_type", "expires_in"],
        "properties": {
            "access_token": {"type": "string"},
            "token_type": {"type": "string", "enum": ["bearer"]},
            "expires_in": {"type": "number"},
        },
    },
    "Health": {
        "type": "object",
        "required": ["status", "version", "dependencies"],
        "properties": {
            "status": {"type": "string", "enum": ["ok", "degraded"]},
            "version": {"type": "string"},
            "dependencies": {
                "type": "object",
                "required": ["mongodb", "rabbitmq"],
                "properties": {"mongodb": {"type": "string"}, "rabbitmq": {"type": "string"}},
            },
        },
    },
    "Channels": {
        "type": "object",
        "required": ["lowest_channel", "highest_channel", "channels"],
        "properties": {
            "lowest_channel": {"type": "integer"},
            "highest_channel": {"type": "integer"},
            "channels": {"type": "array", "items": {"type": "integer"}},
        },
    },
    "Configure": CONFIGURE,
    "Roi": ROI,
    "TokenRequest": TOKEN_REQUEST,
    "Task": {
        "type": "object",
        "required": ["task_id", "status", "stream"],
        "properties": {"task_id": {"type": "string"}, "status": STATUS, "stream": STREAM},
    },
    "Ack": {
        "type": "object",
        "required": ["task_id", "status", "updated_at"],
        "properties": {
            "task_id": {"type": "string"},
            "status": STATUS,
            "updated_at": {"type": "string", "format": "date-time"},
        },
    },
    "Stopped": {
        "type": "object",
        "required": ["task_id", "status"],
        "properties": {"task_id": {"type": "string"}, "status": {"enum": ["stopped"]}},
    },
    "Metadata": {
        "type": "object",
        "required": [
            "task_id",
            "timeStatus",
            "viewType",
            "nfft",
            "overlap",
            "channels",
            "channel_count",
            "frequencyRange",
            "prr",
            "frequency_resolution",
            "frequency_bins",
            "time_resolution",
            "stream",
            "status",
            "created_at",
        ],
        "properties": {
            "task_id": {"type": "string"},
            "timeStatus": {"type": "string", "enum": list(constants.TIME_STATUSES)},
            "viewType": {"type": "string", "enum": list(constants.VIEW_TYPES)},
            "nfft": {"type": "integer"},
            "overlap": {"type": "integer"},
            "channels": {"type": "object", "required": ["min", "max"]},
            "channel_count": {"type": "integer", "minimum": 1},
            "frequencyRange": {"type": "object", "required": ["min", "max"]},
            "prr": {"type": "number"},
            "frequency_resolution": {"type": "number"},
            "frequency_bins": {"type": "integer"},
            "time_resolution": {"type": "number"},
            "stream": STREAM,
            "status": STATUS,
            "created_at": {"type": "string"},
            "startTime": {"type": ["string", "null"]},
            "endTime": {"type": ["string", "null"]},
        },
    },
    "Waterfall": {
        "type": "object",
        "required": ["task_id", "rows"],
        "properties": {
            "task_id": {"type": "string"},
            "rows": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["timestamp", "values"],
                    "properties": {
                        "timestamp": {"type": "string"},
                        "values": {"type": "array", "items": {"type": "number"}},
                    },
                },
            },
        },
    },
}
_TASK = {"name": "task_id", "in": "path", "required": True, "schema": {"type": "string"}}
# (method, path) -> operationId, success schema, body schema, error statuses.
_PROTECTED = (401, 429)
_DB = (503,)
OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("post", "/auth/token"): {
        "id": "issueToken",
        "ok": "Token",
        "body": "TokenRequest",
        "errors": (400, 401, 413, 415),
        "public": True,
    },
    ("get", "/health"): {"id": "getHealth", "ok": "Health", "errors": (), "public": True},
    ("get", "/channels"): {"id": "getChannels", "ok": "Channels", "errors": _PROTECTED},
    ("post", "/configure"): {
        "id": "configureTask",
        "ok": "Task",
        "body": "Configure",
        "errors": (400, *_PROTECTED, 404, 413, 415, *_DB),
    },
    ("get", "/metadata/{task_id}"): {
        "id": "getTaskMetadata",
        "ok": "Metadata",
        "errors": (*_PROTECTED, 404, *_DB),
    },
    ("get", "/task/{task_id}/metadata"): {
        "id": "getTaskMetadataByTask",
        "ok": "Metadata",
        "errors": (*_PROTECTED, 404, *_DB),
    },
    ("get", "/ack/{task_id}"): {
        "id": "getTaskStatus",
        "ok": "Ack",
        "errors": (*_PROTECTED, 404, *_DB),
    },
    ("get", "/waterfall/{task_id}"): {
        "id": "getWaterfall",
        "ok": "Waterfall",
        "errors": (400, *_PROTECTED, 404, *_DB),
    },
    ("post", "/config_task/{task_id}"): {
        "id": "reconfigureTask",
        "ok": "Metadata",
        "body": "Roi",
        "errors": (400, *_PROTECTED, 404, 409, 413, 415, *_DB),
    },
    ("delete", "/task/{task_id}"): {
        "id": "deleteTask",
        "ok": "Stopped",
        "errors": (*_PROTECTED, 404, *_DB),
    },
    ("get", "/alerts"): {"id": "listAlerts", "errors": (400, *_PROTECTED, *_DB)},
    ("post", "/alerts/{alert_id}/ack"): {
        "id": "acknowledgeAlert",
        "errors": (*_PROTECTED, 404, *_DB),
    },
    ("get", "/recordings"): {"id": "listRecordings", "errors": (400, *_PROTECTED, *_DB)},
    ("get", "/tasks"): {"id": "listTasks", "errors": (*_PROTECTED, *_DB)},
}


# Query parameters the generated document leaves as plain strings/integers.
_PARAMETERS = {
    "since": {"type": "string", "format": "date-time"},
    "start": {"type": "string", "format": "date-time"},
    "end": {"type": "string", "format": "date-time"},
    "classId": {"type": "integer", "enum": sorted(constants.ALERT_CLASSES)},
    "severity": {"type": "integer", "enum": sorted(constants.ALERT_SEVERITIES)},
}


def _links(prefix: str) -> dict:
    task_id = {"task_id": "$response.body#/task_id"}
    targets = {
        "GetMetadata": "getTaskMetadata",
        "GetMetadataByTask": "getTaskMetadataByTask",
        "GetStatus": "getTaskStatus",
        "GetWaterfall": "getWaterfall",
        "Reconfigure": "reconfigureTask",
        "Delete": "deleteTask",
    }
    return {name: {"operationId": op, "parameters": task_id} for name, op in targets.items()}


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def _response(status: int, ok: str | None) -> dict:
    if status == 200:
        schema = {"$ref": f"#/components/schemas/{ok}"} if ok else {"type": "object"}
        return {"description": "Success", "content": _json(schema)}
    answer: dict[str, Any] = {"description": _MESSAGES[status], "content": _json(ERROR)}
    if status in (429, 503):
        answer["headers"] = copy.deepcopy(_RETRY_AFTER)
    return answer


def enrich(document: dict, prefix: str) -> dict:
    """Rewrite FastAPI's generated document per contract section 2 (in place)."""
    components = document.setdefault("components", {})
    components["securitySchemes"] = {"bearerAuth": {"type": "http", "scheme": "bearer"}}
    schemas = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    schemas.update(copy.deepcopy(SCHEMAS))
    for path, item in document.get("paths", {}).items():
        short = path.removeprefix(prefix)
        for method, operation in item.items():
            spec = OPERATIONS.get((method, short))
            operation.get("responses", {}).pop("422", None)
            if spec is None:
                continue
            operation["operationId"] = spec["id"]
            responses = {"200": _response(200, spec.get("ok"))}
            for status in spec["errors"]:
                responses[str(status)] = _response(status, None)
            if short == "/health":
                responses["503"] = {
                    "description": "A dependency is down (status degraded), within 2 s",
                    "content": _json({"$ref": "#/components/schemas/Health"}),
                }
            if spec["id"] == "configureTask":
                responses["200"]["links"] = _links(prefix)
            operation["responses"] = responses
            if not spec.get("public"):
                operation["security"] = [{"bearerAuth": []}]
            if "body" in spec:
                content = _json({"$ref": f"#/components/schemas/{spec['body']}"})
                if spec["body"] == "Configure":
                    content["application/json"]["example"] = copy.deepcopy(EXAMPLE_CONFIGURE)
                operation["requestBody"] = {"required": True, "content": content}
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "path" and parameter["name"] == "task_id":
                    parameter.update(copy.deepcopy(_TASK))
                if parameter.get("in") == "query" and parameter["name"] in _PARAMETERS:
                    parameter["schema"] = copy.deepcopy(_PARAMETERS[parameter["name"]])
                    if parameter["name"] in ("since", "start", "end"):
                        parameter["description"] = "ISO-8601 UTC timestamp (Z)"
    return document


def install(app: FastAPI, prefix: str) -> None:
    """Serve the enriched document at the application's ``openapi_url``."""

    def build() -> dict:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description="Focus Server REST API (contract section 2)",
                routes=app.routes,
            )
            app.openapi_schema = enrich(document, prefix)
        return app.openapi_schema

    app.openapi = build  # type: ignore[method-assign]
