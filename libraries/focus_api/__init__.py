"""FocusApi: Robot Framework keywords for the Focus Server REST API (contract section 2)."""

from __future__ import annotations

from robot.api.deco import library
from robotlibcore import DynamicCore

from libraries.focus_api.keywords.alerts import AlertKeywords
from libraries.focus_api.keywords.auth import AuthKeywords
from libraries.focus_api.keywords.base import FocusState
from libraries.focus_api.keywords.burst import BurstKeywords
from libraries.focus_api.keywords.capacity import CapacityKeywords
from libraries.focus_api.keywords.connection import ConnectionKeywords
from libraries.focus_api.keywords.health import HealthKeywords
from libraries.focus_api.keywords.observe import ObserveKeywords
from libraries.focus_api.keywords.recordings import RecordingKeywords
from libraries.focus_api.keywords.tasks import TaskKeywords
from libraries.focus_api.keywords.times import TimeKeywords
from libraries.focus_api.keywords.tokens import TokenKeywords

__all__ = ["FocusApi"]


@library(scope="GLOBAL", auto_keywords=False)
class FocusApi(DynamicCore):
    """Keywords for the Focus Server REST API: authentication, tasks, metadata, waterfall.

    The library is a thin layer over a plain client (``libraries/focus_api/client.py``)
    and pydantic models of the contract (``libraries/focus_api/models.py``). It imports
    without a server, so Libdoc runs offline.

    = Table of contents =

    %TOC%

    = Connections =

    `Connect To Focus Server` opens a connection (base URL, user, `Secret` password, CA
    bundle, timeout) and logs in. Every request has a connect and a read timeout; TLS
    is always verified. The token is cached and refreshed once on a ``401``. Idempotent
    requests are retried by urllib3 ``Retry`` (as in RequestsLibrary) on connection
    errors, ``502`` and ``503``, with exponential backoff, honouring ``Retry-After`` up to
    5 s; ``POST`` requests and read timeouts never are. An unreachable server fails with
    one line:

    | Focus Server at https://127.0.0.1:8443/focus-server is unreachable (connection refused); |
    | is the twin up? try 'python -m twin status' |

    = Tasks =

    A ``${task}`` argument is the dict `Configure Task` returns or a task id string.
    Every task created through the library is registered, and written in the task
    ledger (``results/task-ledger.json``) with the test that created it; `Stop All Tasks`
    stops them (use it in test teardowns) and returns once their capacity is free.

    = Capacity =

    A test that needs every slot holds the ``focus-capacity`` lock alone and then calls
    `No Task Should Be Active`: a task still waiting or running then is one an earlier
    test left, and the failure names it with the test that created it (from the ledger).

    = Status checks =

    Keywords that call the API take ``expected_status`` (default ``200``; ``any``
    accepts every status), as RequestsLibrary does. An error answer must have the
    contract's body ``{"error": {"code", "message", "field"}}``; ``error_field`` and
    ``error_code`` check its fields.

    = Assertions =

    `Get Health Status` and `Get Task Status` are getters that assert when given an
    operator (AssertionEngine, as in Browser library); `Get Task Status` polls until
    the assertion holds or its ``timeout`` passes.

    | `Get Health Status` | ``==`` | ok |
    | `Get Task Status` | ${task} | ``==`` | running | timeout=30s |

    = Logging =

    Each request and response is logged at INFO with its body truncated to 2 kB; the
    Authorization header, the password and tokens are never logged.

    = Example =

    | ***** Settings *****
    | Library    libraries.focus_api.FocusApi
    |
    | ***** Test Cases *****
    | Live Task Runs
    |     Connect To Focus Server    ${FOCUS_BASE_URL}    ${FOCUS_USER}    ${FOCUS_PASSWORD}
    |     ...    ca_bundle=${CA_BUNDLE}
    |     ${task} =    Configure Live Task    nfft=2048
    |     Get Task Status    ${task}    ==    running    timeout=30s
    |     Waterfall Should Have Rows    ${task}
    |     [Teardown]    Stop All Tasks
    """

    def __init__(self) -> None:
        """The library takes no arguments: connections carry every setting."""
        self.state = FocusState()  # connections and created tasks, shared by the components
        state = self.state
        components = [
            ConnectionKeywords(state),
            HealthKeywords(state),
            AuthKeywords(state),
            AlertKeywords(state),
            RecordingKeywords(state),
            TimeKeywords(state),
            TaskKeywords(state),
            BurstKeywords(state),
            ObserveKeywords(state),
            TokenKeywords(state),
            CapacityKeywords(state),
        ]
        super().__init__(components)
