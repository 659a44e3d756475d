"""Keywords that create, change and stop tasks, one at a time (``burst.py`` sends many at once)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, get_type_hints

from robot.api import TypeInfo, logger
from robot.api.deco import keyword

from contract import constants
from libraries.common.arguments import task_id_of
from libraries.common.polling import assertion_timeout, wait_until
from libraries.focus_api.capacity import wait_until_inactive
from libraries.focus_api.client import FocusUnavailable
from libraries.focus_api.keywords.base import LibraryComponent, body_of, check_status, parse
from libraries.focus_api.keywords.recordings import recorded_time_range
from libraries.focus_api.models import (
    ConfigureResponse,
    TaskMetadata,
    build_payload,
    explain_invalid,
)
from libraries.safety import cleans_up, own_data

GONE_STATUSES = (200, 404, 409)
CAPACITY_POLL = timedelta(milliseconds=250)
_PAYLOAD_TYPES: dict[str, TypeInfo] = {}


class TaskKeywords(LibraryComponent):
    """Configure (one, live, historic), change the ROI, stop."""

    @keyword
    def build_configure_payload(
        self,
        time_status: str = "Live",
        view_type: str = "MultiChannel",
        nfft: int = constants.DEFAULT_NFFT,
        channel_min: int = constants.DEFAULT_CHANNEL_MIN,
        channel_max: int = constants.DEFAULT_CHANNEL_MAX,
        frequency_min: float = constants.FREQUENCY_MIN,
        frequency_max: float = constants.FREQUENCY_MAX // 2,
        overlap: int | None = None,
        start: str | None = None,
        end: str | None = None,
    ) -> dict[str, Any]:
        """A ``/configure`` body as a dict, NOT validated, so negative tests can build bad ones.

        ``overlap=None`` leaves the field out. Wrong types: change the dict afterwards
        (``Set To Dictionary``). `Explain Invalid Payload` says why a payload is invalid.

        | ${payload} = | `Build Configure Payload` | view_type=ROI | channel_max=50 |
        | ${payload} = | `Build Configure Payload` | nfft=100 |

        Returns a dict, e.g. the defaults:

        | {"timeStatus": "Live", "viewType": "MultiChannel", "nfft": 1024,
        |  "channels": {"min": 11, "max": 109}, "frequencyRange": {"min": 0, "max": 500},
        |  "startTime": None, "endTime": None}
        """
        return build_payload(
            time_status=time_status,
            view_type=view_type,
            nfft=nfft,
            channel_min=channel_min,
            channel_max=channel_max,
            frequency_min=frequency_min,
            frequency_max=frequency_max,
            overlap=overlap,
            start=start,
            end=end,
        )

    @keyword
    def explain_invalid_payload(self, payload: dict[str, Any]) -> list[str]:
        """The contract rules ``payload`` breaks, as ``field: reason`` lines (empty: valid).

        | ${reasons} = | `Explain Invalid Payload` | ${payload} |
        | Should Not Be Empty | ${reasons} |

        Returns a list, e.g. ``["nfft: MultiChannel needs a power of two in 128..4096"]``.
        """
        return explain_invalid(payload)

    @own_data("configure a task (registered for Stop All Tasks)")
    @keyword
    def configure_task(
        self,
        payload: dict[str, Any],
        expected_status: int | str = 200,
        error_field: str | None = None,
        error_code: str | None = None,
        timeout: timedelta | None = None,
    ) -> dict[str, Any]:
        """``POST /configure``; returns the response body.

        With ``200`` the body is checked against the contract and the task is registered
        for `Stop All Tasks` (also when another status was expected: no leak). With
        another ``expected_status`` the status is asserted and, when given, the error
        body's ``field`` and ``code``. ``timeout`` is a total deadline for the answer
        (e.g. ``2s``: "fails fast"); without it the connection's timeouts apply.

        | ${task} = | `Configure Task` | ${payload} |
        | `Configure Task` | ${payload} | expected_status=400 | error_field=nfft |
        | `Configure Task` | ${payload} | expected_status=503 | timeout=2s |

        Returns the answer, with ``200`` e.g.:

        | {"task_id": "3f2a9c0e", "status": "waiting",
        |  "stream": {"host": "127.0.0.1", "port": 31012}}

        else the error body, e.g.:

        | {"error": {"code": "VALIDATION_ERROR", "message": "...", "field": "nfft"}}
        """
        seconds = timeout.total_seconds() if timeout is not None else None
        response = self.client.configure(payload, timeout=seconds)
        body = body_of(response)
        if response.status_code == 200 and isinstance(body, dict) and "task_id" in body:
            self.register_task(str(body["task_id"]))
        check_status(response, expected_status, error_code, error_field)
        if response.status_code == 200:
            parse(ConfigureResponse, body, "POST /configure")
        returned: dict[str, Any] = body
        return returned

    @own_data("configure a task (registered for Stop All Tasks)")
    @keyword
    def configure_task_for_view(
        self,
        view_type: str,
        time_status: str = "Live",
        expected_status: int | str = 200,
        error_field: str | None = None,
        timeout: timedelta | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Configure a task for ``view_type``, filling in what that view needs.

        A ``SingleChannel`` view gets one channel (``channel_max`` = ``channel_min``
        unless given); a ``Historic`` task without ``start`` and ``end`` plays back up to
        30 s of the newest complete recording (`Get Recorded Time Range`). ``fields``
        override the seeds' defaults, by the names and types of `Build Configure Payload`.
        ``timeout``: a total deadline for the answer, as in `Configure Task`.

        | ${task} = | `Configure Task For View` | SingleChannel | channel_min=42 |
        | ${task} = | `Configure Task For View` | Waterfall | time_status=Historic | nfft=2048 |

        Returns the configure answer, as `Configure Task` does.
        """
        options = payload_fields(fields)
        if view_type == "SingleChannel":
            options.setdefault(
                "channel_max", options.get("channel_min", constants.DEFAULT_CHANNEL_MIN)
            )
        return self._configure(
            time_status, view_type, options, expected_status, error_field, timeout
        )

    @own_data("configure a task (registered for Stop All Tasks)")
    @keyword
    def configure_live_task(
        self,
        expected_status: int | str = 200,
        error_field: str | None = None,
        timeout: timedelta | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Configure a Live task from the seeds' defaults; ``fields`` override them, by the
        names and types of `Build Configure Payload` (``view_type``, ``nfft``, ...).
        ``timeout``: a total deadline for the answer, as in `Configure Task`.

        | ${task} = | `Configure Live Task` |
        | ${task} = | `Configure Live Task` | view_type=Waterfall | nfft=2048 |

        Returns the configure answer, as `Configure Task` does: the ``${task}`` other
        keywords take.
        """
        options = payload_fields(fields)
        view_type = options.pop("view_type", "MultiChannel")
        return self._configure("Live", view_type, options, expected_status, error_field, timeout)

    @own_data("configure a task (registered for Stop All Tasks)")
    @keyword
    def configure_historic_task(
        self,
        expected_status: int | str = 200,
        error_field: str | None = None,
        timeout: timedelta | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Configure a Historic task; without ``start`` and ``end`` it plays back up to 30 s
        of the newest complete recording (`Get Recordings`). ``fields`` as in
        `Configure Live Task`.

        | ${task} = | `Configure Historic Task` |
        | `Configure Historic Task` | start=${past} | end=${future} | expected_status=400 |

        Returns the configure answer, as `Configure Task` does.
        """
        options = payload_fields(fields)
        view_type = options.pop("view_type", "MultiChannel")
        return self._configure(
            "Historic", view_type, options, expected_status, error_field, timeout
        )

    def _configure(
        self,
        time_status: str,
        view_type: str,
        options: dict[str, Any],
        expected_status: int | str,
        error_field: str | None,
        timeout: timedelta | None,
    ) -> dict[str, Any]:
        options.pop("time_status", None)
        if (
            time_status == "Historic"
            and options.get("start") is None
            and options.get("end") is None
        ):
            options["start"], options["end"] = recorded_time_range(self.client)
        payload = build_payload(time_status=time_status, view_type=view_type, **options)
        return self.configure_task(payload, expected_status, error_field, timeout=timeout)

    @own_data("configure a task (registered for Stop All Tasks)")
    @keyword
    def configure_task_should_be_refused_for_capacity(
        self, payload: dict[str, Any] | None = None
    ) -> int:
        """``POST /configure`` must answer ``503`` ``CAPACITY_EXCEEDED`` with a ``Retry-After``
        of whole seconds; returns that number of seconds.

        | ${retry_after} = | `Configure Task Should Be Refused For Capacity` |

        Returns the seconds, e.g. ``5``.
        """
        response = self.client.configure(payload or build_payload())
        body = body_of(response)
        if response.status_code == 200 and isinstance(body, dict) and "task_id" in body:
            self.register_task(str(body["task_id"]))
        check_status(response, 503, error_code="CAPACITY_EXCEEDED")
        retry_after = response.headers.get("Retry-After", "")
        if not retry_after.isdigit():
            raise AssertionError(f"503 without a valid Retry-After header: {retry_after!r}")
        return int(retry_after)

    @own_data("configure a task (registered for Stop All Tasks)")
    @keyword
    def configure_task_when_capacity_frees(
        self,
        payload: dict[str, Any] | None = None,
        timeout: timedelta | None = None,
        interval: timedelta = CAPACITY_POLL,
    ) -> dict[str, Any]:
        """``POST /configure`` again while it answers ``503`` ``CAPACITY_EXCEEDED``, until it
        accepts the task or ``timeout`` passes (default: the assertion timeout, see
        `Set Assertion Timeout`); returns the task (registered for `Stop All Tasks`).

        ``payload`` defaults to the seeds' Live task. Any other answer than ``200`` or
        ``503 CAPACITY_EXCEEDED`` fails at once. For "capacity is free again within 5 s"
        after the capacity was full.

        | ${task} = | `Configure Task When Capacity Frees` | timeout=5s |

        Returns the configure answer, e.g.:

        | {"task_id": "3f2a9c0e", "status": "waiting",
        |  "stream": {"host": "127.0.0.1", "port": 31012}}
        """
        body = payload or build_payload()

        def attempt() -> dict[str, Any] | None:
            response = self.client.configure(body)
            answer = body_of(response)
            if response.status_code == 200 and isinstance(answer, dict) and "task_id" in answer:
                self.register_task(str(answer["task_id"]))
                parse(ConfigureResponse, answer, "POST /configure")
                return answer
            check_status(response, 503, error_code="CAPACITY_EXCEEDED")
            return None

        accepted = wait_until(
            attempt,
            lambda answer: answer is not None,
            what="POST /configure to accept a task (capacity free)",
            timeout=assertion_timeout(timeout),
            interval=interval,
            describe=lambda _answer: "503 CAPACITY_EXCEEDED",
        )
        assert accepted is not None  # the wait ends only on an answer
        return accepted

    @own_data("change a task's region of interest")
    @keyword("Update Task ROI")
    def update_task_roi(
        self,
        task: dict[str, Any] | str,
        channels: dict[str, Any] | str | None = None,
        frequency_range: dict[str, Any] | str | None = None,
        expected_status: int | str = 200,
        error_field: str | None = None,
    ) -> dict[str, Any]:
        """``POST /config_task/{task_id}``: change the channels and/or the frequency range.

        Ranges are dicts ``{"min", "max"}`` or strings ``min-max``. With ``200`` returns
        the new metadata (checked against the contract); otherwise the error body.

        | ${metadata} = | `Update Task ROI` | ${task} | channels=20-40 |
        | `Update Task ROI` | ${task} | frequency_range=600-100 | expected_status=400 |

        Returns the new metadata (as `Get Task Metadata`), or the error body.
        """
        changes: dict[str, Any] = {}
        if channels is not None:
            changes["channels"] = _range(channels)
        if frequency_range is not None:
            changes["frequencyRange"] = _range(frequency_range)
        task_id = task_id_of(task)
        self.require_own_task(task_id, "change the region of interest of task")
        response = self.client.config_task(task_id, changes)
        check_status(response, expected_status, error_field=error_field)
        body = body_of(response)
        if response.status_code == 200:
            parse(TaskMetadata, body, "POST /config_task")
        returned: dict[str, Any] = body
        return returned

    @keyword("Register Task")
    def register_task_for_cleanup(self, task: dict[str, Any] | str) -> str:
        """Register a task this test created another way (through the web UI) for clean-up,
        as `Configure Task` registers its own: `Stop All Tasks` stops it, and it is in the
        task ledger, so a killed run's task is stopped by the next run. Call it as soon as
        the task id is known, before anything that can fail. Idempotent; returns the id.

        | ${response} = | Wait For | ${promise} |
        | `Register Task` | ${response}[body][task_id] |

        Returns the task id, e.g. ``3f2a9c0e``.
        """
        task_id = task_id_of(task)
        if not task_id:
            raise ValueError("Register Task needs a task id (or a dict with 'task_id')")
        self.register_task(task_id)
        logger.info(f"Registered task {task_id} for clean-up")
        return task_id

    @own_data("stop a task")
    @keyword
    def stop_task(
        self, task: dict[str, Any] | str, expected_status: int | str = 200
    ) -> dict[str, Any]:
        """``DELETE /task/{task_id}``; returns the body (``{"status": "stopped"}``).

        | `Stop Task` | ${task} |
        | `Stop Task` | unknown-id | expected_status=404 |

        Returns the body, e.g. ``{"status": "stopped"}``.
        """
        task_id = task_id_of(task)
        self.require_own_task(task_id, "stop task")
        response = self.client.stop(task_id)
        check_status(response, expected_status)
        if response.status_code in GONE_STATUSES:
            self.forget_task(task_id)
        returned: dict[str, Any] = body_of(response)
        return returned

    @cleans_up("stops only the tasks this library (or a load engine of this process) created")
    @keyword
    def stop_all_tasks(self, free_timeout: timedelta = timedelta(seconds=30)) -> None:
        """Stop every task this library created and has not stopped yet, and every task a
        load engine of this process left (`Run Load`, from the task ledger); return only
        when none of them is waiting or running any more, so their capacity is free for
        the next test (``free_timeout``). For teardowns.

        A task already gone (``404``, ``409``) only logs a warning; another status fails,
        after every task was tried, and so does a stopped task that still holds its slot
        after ``free_timeout``. An unreachable server ends the clean-up at once with a
        warning naming the tasks left (each further call would only wait for it again);
        they stay in the task ledger, and the next run's connection stops them.

        | [Teardown] | `Stop All Tasks` |
        """
        self._adopt_tasks_left_by_load_engines()
        failures = []
        stopped: dict[str, list[str]] = {}
        for task_id, alias in list(self.state.tasks.items()):
            self.state.tasks.pop(task_id)
            if alias not in self.state.connections:
                logger.warn(f"Task {task_id}: its connection '{alias}' is closed; not stopped")
                continue
            client = self.state.connections.get(alias)
            try:
                response = client.stop(task_id)
            except FocusUnavailable as error:
                left = [task_id, *(other for other, at in self.state.tasks.items() if at == alias)]
                for other in left[1:]:
                    self.state.tasks.pop(other)
                logger.warn(f"Tasks {', '.join(left)} not stopped: {error}")
                continue
            if response.status_code in GONE_STATUSES:
                self.state.ledger.remove(client.base_url, task_id)
                stopped.setdefault(alias, []).append(task_id)
            else:
                failures.append(f"{task_id}: {response.status_code} {response.text[:200]}")
        for alias, task_ids in stopped.items():
            try:
                wait_until_inactive(
                    self.state.connections.get(alias), task_ids, free_timeout.total_seconds()
                )
            except AssertionError as error:
                failures.append(f"stopped, but their capacity is not free: {error}")
        if failures:
            raise AssertionError("Could not stop tasks:\n" + "\n".join(failures))

    def _adopt_tasks_left_by_load_engines(self) -> None:
        """Take over, for `Stop All Tasks`, the tasks that ended load engines of this
        process left in the task ledger (an engine killed at its timeout stops nothing)."""
        for alias, client in self.state.connections.items():
            for entry in self.state.ledger.left_by_children(client.base_url):
                if entry.task_id not in self.state.tasks:
                    logger.warn(
                        f"Stopping task {entry.task_id}, left by a load run: {entry.describe()}"
                    )
                    self.state.tasks[entry.task_id] = alias

    @keyword("Task Should Be Registered For Clean-up")
    def task_should_be_registered_for_clean_up(self, task: dict[str, Any] | str) -> None:
        """``task`` (a dict or an id) is among the tasks `Stop All Tasks` stops (and in the
        task ledger): created by this library or registered with `Register Task` (the web
        UI's tasks).

        | ${task_id} = | Submit Configure Form |
        | `Task Should Be Registered For Clean-up` | ${task_id} |
        """
        task_id = task_id_of(task)
        if task_id not in self.state.tasks:
            raise AssertionError(f"Task {task_id} is not registered for clean-up")

    @keyword
    def get_created_tasks(self) -> list[str]:
        """Ids of the tasks this library created and has not stopped yet.

        | ${ids} = | `Get Created Tasks` |

        Returns a list of task ids, e.g. ``["3f2a9c0e", "7b1d4e22"]``.
        """
        return list(self.state.tasks)


def _range(value: dict[str, Any] | str) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    low, _, high = value.partition("-")
    return {"min": _number(low), "max": _number(high)}


def _number(text: str) -> int | float:
    number = float(text)
    return int(number) if number.is_integer() else number


def payload_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` converted to the argument types of `Build Configure Payload` (Robot passes
    ``**fields`` as strings); an unknown name fails with the known ones."""
    if not _PAYLOAD_TYPES:
        hints = get_type_hints(TaskKeywords.build_configure_payload)
        hints.pop("return", None)
        _PAYLOAD_TYPES.update({name: TypeInfo.from_type_hint(hint) for name, hint in hints.items()})
    unknown = sorted(set(fields) - set(_PAYLOAD_TYPES))
    if unknown:
        raise ValueError(
            f"unknown configure field(s) {', '.join(unknown)}; known: {', '.join(_PAYLOAD_TYPES)}"
        )
    return {name: _PAYLOAD_TYPES[name].convert(value, name) for name, value in fields.items()}
