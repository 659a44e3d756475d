"""System constants of the Focus stack, shared by the twin, the libraries and the suites.

One module, imported by `twin/` and the suite, and usable as a Robot Framework
variable file (`Variables    contract.constants`). The numbers come from
`usersettings.new_production_client.json` (see `shared/focus-contract.md`).
"""

from __future__ import annotations

from typing import Any, Literal, get_args

# usersettings.new_production_client.json
SENSORS_RANGE = 2222
FREQUENCY_MIN = 0
FREQUENCY_MAX = 1000
MAX_WINDOWS = 30

# Pulse repetition rate of the twin (Hz); Nyquist = PRR / 2 = FREQUENCY_MAX.
PRR = 2000

# Fibre geometry of the twin: 2222 channels, 10 m apart.
CHANNEL_SPACING_M = 10
FIBRE_LENGTH_M = SENSORS_RANGE * CHANNEL_SPACING_M

# Default test values from the seeds.
DEFAULT_CHANNEL_MIN = 11
DEFAULT_CHANNEL_MAX = 109
DEFAULT_NFFT = 1024

TIME_STATUSES = ("Live", "Historic")
VIEW_TYPES = ("MultiChannel", "SingleChannel", "Waterfall", "ROI")
# The Literal types let the typed models (libraries/focus_api/models.py) name the same values.
TaskStatus = Literal["waiting", "running", "completed", "failed", "stopped"]
TASK_STATUSES: tuple[TaskStatus, ...] = get_args(TaskStatus)
ACTIVE_TASK_STATUSES = ("waiting", "running")

# NFFT: a power of two in a range that depends on the view type.
NFFT_RANGES = {
    "SingleChannel": (128, 65536),
    "MultiChannel": (128, 4096),
    "Waterfall": (128, 4096),
    "ROI": (128, 4096),
}

# Alerts (contract section 3).
AlertClass = Literal[103, 104]
AlertSeverity = Literal[1, 2, 3]
ALERT_CLASSES: dict[AlertClass, str] = {103: "SC", 104: "SD"}
ALERT_SEVERITIES: dict[AlertSeverity, str] = {1: "low", 2: "medium", 3: "high"}
if set(ALERT_CLASSES) != set(get_args(AlertClass)) or set(ALERT_SEVERITIES) != set(
    get_args(AlertSeverity)
):
    raise AssertionError("ALERT_CLASSES / ALERT_SEVERITIES and their Literal types differ")
ALERT_EXCHANGE = "prisma"
ALERT_ROUTING_KEY = "Algorithm.AlertReport"
ALERT_REJECTED_QUEUE = "prisma.alerts.rejected"
# (decided) The consumer publishes each rejection to the alert exchange with this routing key,
# and the rejected queue is bound to it there: a test reads rejections from a private queue
# bound beside the real one, never from the real queue (which others read).
ALERT_REJECTED_EXCHANGE = ALERT_EXCHANGE
ALERT_REJECTED_ROUTING_KEY = "prisma.alerts.rejected"
ALERT_CONSUMER_QUEUE = "focus-server.alerts"
SITE_ID = "prisma-210-1000"

# Kubernetes (contract section 1).
K8S_NAMESPACE = "panda"
FOCUS_SERVER_WORKLOAD = "panda-panda-focus-server"
MONGODB_WORKLOAD = "mongodb"
RABBITMQ_WORKLOAD = "rabbitmq-panda"
SEGY_RECORDER_WORKLOAD = "segy-recorder"
# Hosts, not pods (contract section 1): the worker node, reached through the jump host.
SSH_JUMP_WORKLOAD = "jump-host"
SSH_WORKER_WORKLOAD = "worker-node"
GRPC_JOB_PREFIX = "focus-server-grpc-"
GRPC_SERVICE_PREFIX = "grpc-service-"

# MongoDB (contract section 4).
MONGO_DATABASE = "prisma"
MONGO_AUTH_SOURCE = "prisma"
MONGO_USER = "prisma"

# Limits.
MAX_BODY_BYTES = 1024 * 1024
# A JSON body nested deeper than this answers 400 (contract section 2, decided).
MAX_JSON_DEPTH = 64
TASK_RUNNING_TIMEOUT_S = 30
HEALTH_DEGRADED_WITHIN_S = 2


def is_power_of_two(value: int) -> bool:
    return value > 0 and value & (value - 1) == 0


def nfft_range(view_type: str) -> tuple[int, int]:
    return NFFT_RANGES.get(view_type, NFFT_RANGES["MultiChannel"])


def powers_of_two(low: int, high: int) -> list[int]:
    values, value = [], 1
    while value <= high:
        if value >= low:
            values.append(value)
        value *= 2
    return values


def get_variables() -> dict[str, Any]:
    """Expose the constants to Robot Framework with their Python names."""
    return {
        name: value
        for name, value in globals().items()
        if name.isupper() and not name.startswith("_")
    }
