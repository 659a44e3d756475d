"""The alert message of contract section 3, as a pydantic model, and an unchecked builder."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from contract import constants

DEFAULT_CLASS_ID = 104
DEFAULT_SEVERITY = 3
DEFAULT_DOF_M = 4120


def utc_now_iso() -> str:
    """Now as ISO-8601 UTC with milliseconds and a ``Z``: ``2026-11-22T08:00:00.123Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _one_of(allowed: dict[int, str], name: str) -> AfterValidator:
    def check(value: int) -> int:
        if value not in allowed:
            raise ValueError(f"{name} must be one of {sorted(allowed)}")
        return value

    return AfterValidator(check)


ClassId = Annotated[int, _one_of(constants.ALERT_CLASSES, "classId")]
Severity = Annotated[int, _one_of(constants.ALERT_SEVERITIES, "severity")]


class Alert(BaseModel):
    """A valid ``Algorithm.AlertReport`` message; defaults make a fresh SD alert."""

    model_config = ConfigDict(extra="forbid")

    alertId: str = Field(default_factory=lambda: str(uuid.uuid4()))
    classId: ClassId = DEFAULT_CLASS_ID
    severity: Severity = DEFAULT_SEVERITY
    dofM: int | float = Field(DEFAULT_DOF_M, ge=0, le=constants.FIBRE_LENGTH_M)
    alertTime: str = Field(default_factory=utc_now_iso)
    siteId: str = Field(constants.SITE_ID, min_length=1)


def build_alert(
    site_id: str = constants.SITE_ID, drop: tuple[str, ...] = (), **fields: Any
) -> dict:
    """An alert dict with fresh defaults, ``fields`` as given (not validated), ``drop`` removed.

    For invalid alerts on purpose: ``build_alert(severity=7)``, ``build_alert(drop=("dofM",))``.
    """
    alert = {
        "alertId": str(uuid.uuid4()),
        "classId": DEFAULT_CLASS_ID,
        "severity": DEFAULT_SEVERITY,
        "dofM": DEFAULT_DOF_M,
        "alertTime": utc_now_iso(),
        "siteId": site_id,
        **fields,
    }
    for name in drop:
        alert.pop(name, None)
    return alert


def valid_alert(site_id: str = constants.SITE_ID, **fields: Any) -> dict:
    """A validated alert dict (pydantic lax conversion: ``"103"`` becomes ``103``)."""
    return Alert.model_validate({"siteId": site_id, **fields}).model_dump()
