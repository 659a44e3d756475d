"""MongoDB server error codes and the exception that carries them back to the client."""

from __future__ import annotations

from typing import Any

BAD_VALUE = 2
ILLEGAL_OPERATION = 20
DOCUMENT_TOO_LARGE = 17419
FAILED_TO_PARSE = 9
UNAUTHORIZED = 13
AUTHENTICATION_FAILED = 18
NAMESPACE_NOT_FOUND = 26
INDEX_NOT_FOUND = 27
CURSOR_NOT_FOUND = 43
NAMESPACE_EXISTS = 48
COMMAND_NOT_FOUND = 59
INVALID_NAMESPACE = 73
DOCUMENT_VALIDATION_FAILURE = 121
COMMAND_NOT_SUPPORTED = 115
UNKNOWN_ERROR = 8
DUPLICATE_KEY = 11000

CODE_NAMES = {
    BAD_VALUE: "BadValue",
    ILLEGAL_OPERATION: "IllegalOperation",
    FAILED_TO_PARSE: "FailedToParse",
    UNAUTHORIZED: "Unauthorized",
    AUTHENTICATION_FAILED: "AuthenticationFailed",
    NAMESPACE_NOT_FOUND: "NamespaceNotFound",
    INDEX_NOT_FOUND: "IndexNotFound",
    CURSOR_NOT_FOUND: "CursorNotFound",
    NAMESPACE_EXISTS: "NamespaceExists",
    COMMAND_NOT_FOUND: "CommandNotFound",
    INVALID_NAMESPACE: "InvalidNamespace",
    DOCUMENT_VALIDATION_FAILURE: "DocumentValidationFailure",
    COMMAND_NOT_SUPPORTED: "CommandNotSupported",
    UNKNOWN_ERROR: "UnknownError",
    DUPLICATE_KEY: "DuplicateKey",
}

# What a standalone mongod answers to a transaction (the stand-in, like the real
# deployment it stands in for, is not a replica set member).
TRANSACTIONS_REFUSED = "Transaction numbers are only allowed on a replica set member or mongos"


class CommandError(Exception):
    """A command failed: answered as ``{ok: 0, code, codeName, errmsg}``."""

    def __init__(self, code: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra

    def reply(self) -> dict[str, Any]:
        """The command reply document for this error."""
        return {
            "ok": 0.0,
            "errmsg": self.message,
            "code": self.code,
            "codeName": CODE_NAMES.get(self.code, "UnknownError"),
            **self.extra,
        }


def write_error(index: int, code: int, message: str, **extra: Any) -> dict[str, Any]:
    """One entry of a write command's ``writeErrors`` array."""
    return {"index": index, "code": code, "errmsg": message, **extra}
