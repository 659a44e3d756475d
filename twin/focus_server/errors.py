"""The contract's error body ``{"error": {"code", "message", "field"}}`` for every failure."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pymongo.errors import PyMongoError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("focus_server")

_HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RATE_LIMITED",
    503: "SERVICE_UNAVAILABLE",
}


class ApiError(Exception):
    """A failure the API reports with the contract's error body."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers or {}


def invalid(field: str | None, message: str) -> ApiError:
    """A ``400 VALIDATION_ERROR`` about ``field``."""
    return ApiError(400, "VALIDATION_ERROR", message, field)


def not_found(what: str) -> ApiError:
    return ApiError(404, "NOT_FOUND", f"{what} not found")


def error_response(
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "field": field}}
    return JSONResponse(body, status_code=status, headers=headers)


def _field_of(location: tuple) -> str | None:
    parts = [str(part) for part in location if part not in ("body", "query", "path", "header")]
    return parts[0] if parts else None


# Starlette types every handler as taking any Exception; install() registers each one for
# its own exception class only, which the asserts state.
async def _api_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ApiError)
    return error_response(error.status, error.code, error.message, error.field, error.headers)


async def _validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    first = error.errors()[0]
    field = _field_of(tuple(first.get("loc", ())))
    return error_response(400, "VALIDATION_ERROR", f"{field}: {first.get('msg')}", field)


async def _http_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    code = _HTTP_CODES.get(error.status_code, "HTTP_ERROR")
    return error_response(error.status_code, code, str(error.detail), None, error.headers)


async def _database_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, PyMongoError)
    log.warning("MongoDB unavailable: %s", type(error).__name__)
    return error_response(
        503, "DEPENDENCY_UNAVAILABLE", "MongoDB is unavailable", None, {"Retry-After": "2"}
    )


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    request.app.state.internal_errors += 1
    log.exception("internal error on %s %s", request.method, request.url.path, exc_info=error)
    # Starlette answers this one outside the middleware stack: add the security headers here.
    headers = {"Strict-Transport-Security": "max-age=31536000; includeSubDomains"}
    headers |= {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
    return error_response(500, "INTERNAL_ERROR", "internal server error", None, headers)


def install(app: FastAPI) -> None:
    """Register every handler; ``app.state.internal_errors`` counts the 500s."""
    app.state.internal_errors = 0
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(PyMongoError, _database_error)
    app.add_exception_handler(Exception, _unexpected)
