"""Keywords that create, change and stop tasks."""

from __future__ import annotations

import math
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, get_type_hints

from robot.api import TypeInfo, logger
from robot.api.deco import keyword

from libraries.focus_api.capacity import wait_until_inactive
from libraries.focus_api.client import FocusApiError, FocusClient, FocusUnavailable
from libraries.focus_api.keywords.base import (
    LibraryComponent,
    body_of,
    check_status,
    parse,
    task_id_of,
)
from libraries.focus_api.models import (
    ConfigureResponse,
    TaskMetadata,
    build_payload,
    explain_invalid,
    format_utc,
    parse_utc,
)
from libraries.safety import destructive
from variables import constants

GONE_STATUSES = (200, 404, 409)
_PAYLOAD_TYPES: dict[str, TypeInfo] = {}
HISTORIC_SPAN = timedelta(seconds=30)


class TaskKeywords(LibraryComponent):
    """Configure (one, live, historic, many at once), change the ROI, stop."""

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
    ) -> dict:
        """A ``/configure`` body as a dict, NOT validated, so negative tests can build bad ones.

        ``overlap=None`` leaves the field out. Wrong types: change the dict afterwards
        (``Set To Dictionary``). `Explain Invalid Payload` says why a payload is invalid.

        | ${payload} = | `Build Configure Payload` | view_type=ROI | channel_max=50 |
        | ${payload} = | `Build Configure Payload` | nfft=100 |
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
    def explain_invalid_payload(self, payload: dict) -> list[str]:
        """The contract rules ``payload`` breaks, as ``field: reason`` lines (empty: valid).

        | ${reasons} = | `Explain Invalid Payload` | ${payload} |
        | Should Not Be Empty | ${reasons} |
        """
        return explain_invalid(payload)

    @keyword("Get UTC Timestamp")
    def get_utc_timestamp(self, offset: timedelta = timedelta(0)) -> str:
        """Now plus ``offset`` as ISO-8601 UTC (``2026-11-22T08:00:00Z``).

        | ${future} = | `Get UTC Timestamp` | offset=1h |
        | ${past} = | `Get UTC Timestamp` | offset=-10 min |
        """
        return format_utc(datetime.now(UTC) + offset)

    @keyword("Get UTC Timestamp At")
    def get_utc_timestamp_at(self, when: str, offset: timedelta = timedelta(0)) -> str:
        """``when`` plus ``offset`` as ISO-8601 UTC (``2026-11-22T10:00:00Z``), for the
        times a tester says: ``now``, ``today 10:00``, ``yesterday 10:00``,
        ``3 days ago 08:30``, or ``2026-11-22 10:00`` (``:ss`` optional). Times are UTC.

        | ${start} = | `Get UTC Timestamp At` | yesterday 10:00 |
        | ${end} = | `Get UTC Timestamp At` | yesterday 10:00 | offset=30s |
        | ${since} = | `Get UTC Timestamp At` | now |
        """
        return format_utc(moment_at(when, datetime.now(UTC)) + offset)

    @keyword
    def configure_task(
        self,
        payload: dict,
        expected_status: int | str = 200,
        error_field: str | None = None,
        error_code: str | None = None,
        timeout: timedelta | None = None,
    ) -> dict:
        """``POST /configure``; returns the response body.

        With ``200`` the body is checked against the contract and the task is registered
        for `Stop All Tasks` (also when another status was expected: no leak). With
        another ``expected_status`` the status is asserted and, when given, the error
        body's ``field`` and ``code``. ``timeout`` is a total deadline for the answer
        (e.g. ``2s``: "fails fast"); without it the connection's timeouts apply.

        | ${task} = | `Configure Task` | ${payload} |
        | `Configure Task` | ${payload} | expected_status=400 | error_field=nfft |
        | `Configure Task` | ${payload} | expected_status=503 | timeout=2s |
        """
        seconds = timeout.total_seconds() if timeout is not None else None
        response = self.client.configure(payload, timeout=seconds)
        body = body_of(response)
        if response.status_code == 200 and isinstance(body, dict) and "task_id" in body:
            self.register_task(str(body["task_id"]))
        check_status(response, expected_status, error_code, error_field)
        if response.status_code == 200:
            parse(ConfigureResponse, body, "POST /configure")
        return body

    @keyword
    def configure_task_for_view(
        self,
        view_type: str,
        time_status: str = "Live",
        expected_status: int | str = 200,
        error_field: str | None = None,
        timeout: timedelta | None = None,
        **fields: Any,
    ) -> dict:
        """Configure a task for ``view_type``, filling in what that view needs.

        A ``SingleChannel`` view gets one channel (``channel_max`` = ``channel_min``
        unless given); a ``Historic`` task without ``start``/``end`` plays back up to
        30 s of the newest complete recording (`Get Recorded Time Range`). ``fields``
        override the seeds' defaults, by the names and types of `Build Configure Payload`.
        ``timeout``: a total deadline for the answer, as in `Configure Task`.

        | ${task} = | `Configure Task For View` | SingleChannel | channel_min=42 |
        | ${task} = | `Configure Task For View` | Waterfall | time_status=Historic | nfft=2048 |
        """
        options = payload_fields(fields)
        if view_type == "SingleChannel":
            options.setdefault(
                "channel_max", options.get("channel_min", constants.DEFAULT_CHANNEL_MIN)
            )
        return self._configure(
            time_status, view_type, options, expected_status, error_field, timeout
        )

    @keyword
    def configure_live_task(
        self,
        expected_status: int | str = 200,
        error_field: str | None = None,
        timeout: timedelta | None = None,
        **fields: Any,
    ) -> dict:
        """Configure a Live task from the seeds' defaults; ``fields`` override them, by the
        names and types of `Build Configure Payload` (``view_type``, ``nfft``, ...).
        ``timeout``: a total deadline for the answer, as in `Configure Task`.

        | ${task} = | `Configure Live Task` |
        | ${task} = | `Configure Live Task` | view_type=Waterfall | nfft=2048 |
        """
        options = payload_fields(fields)
        view_type = options.pop("view_type", "MultiChannel")
        return self._configure("Live", view_type, options, expected_status, error_field, timeout)

    @keyword
    def configure_historic_task(
        self,
        expected_status: int | str = 200,
        error_field: str | None = None,
        timeout: timedelta | None = None,
        **fields: Any,
    ) -> dict:
        """Configure a Historic task; without ``start``/``end`` it plays back up to 30 s
        of the newest complete recording (`Get Recordings`). ``fields`` as in
        `Configure Live Task`.

        | ${task} = | `Configure Historic Task` |
        | `Configure Historic Task` | start=${past} | end=${future} | expected_status=400 |
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
    ) -> dict:
        options.pop("time_status", None)
        if (
            time_status == "Historic"
            and options.get("start") is None
            and options.get("end") is None
        ):
            options["start"], options["end"] = self.get_recorded_time_range()
        payload = build_payload(time_status=time_status, view_type=view_type, **options)
        return self.configure_task(payload, expected_status, error_field, timeout=timeout)

    @keyword
    def get_recorded_time_range(self, span: timedelta = HISTORIC_SPAN) -> list[str]:
        """``[start, end]`` (ISO-8601 UTC, whole seconds): up to ``span`` from the start of the
        newest complete recording of the last 7 days that covers at least one whole second,
        for Historic tasks.

        Recordings shorter than that (a recorder restart leaves a sliver of a few
        milliseconds) are passed over: rounded to whole seconds they would give
        ``start >= end``, which the server rightly refuses.

        | ${start}    ${end} = | `Get Recorded Time Range` | span=10s |
        """
        now = datetime.now(UTC)
        response = self.client.recordings(format_utc(now - timedelta(days=7)), format_utc(now))
        check_status(response, 200)
        body = body_of(response)
        items = body.get("recordings", []) if isinstance(body, dict) else body
        ranges = [_whole_seconds(item, span) for item in items if _is_complete(item)]
        usable = [pair for pair in ranges if pair is not None]
        if not usable:
            raise AssertionError(
                f"No complete recording of at least 1 s in the last 7 days to play back "
                f"({len(ranges)} complete, all shorter); is the SEG-Y recorder running?"
            )
        start, end = max(usable)
        return format_utc(start), format_utc(end)

    @keyword
    def configure_task_should_be_refused_for_capacity(self, payload: dict | None = None) -> int:
        """``POST /configure`` must answer ``503`` ``CAPACITY_EXCEEDED`` with a ``Retry-After``
        of whole seconds; returns that number of seconds.

        | ${retry_after} = | `Configure Task Should Be Refused For Capacity` |
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

    @keyword("Update Task ROI")
    def update_task_roi(
        self,
        task: dict | str,
        channels: dict | str | None = None,
        frequency_range: dict | str | None = None,
        expected_status: int | str = 200,
        error_field: str | None = None,
    ) -> dict:
        """``POST /config_task/{task_id}``: change the channels and/or the frequency range.

        Ranges are dicts ``{"min", "max"}`` or strings ``min-max``. With ``200`` returns
        the new metadata (checked against the contract); otherwise the error body.

        | ${metadata} = | `Update Task ROI` | ${task} | channels=20-40 |
        | `Update Task ROI` | ${task} | frequency_range=600-100 | expected_status=400 |
        """
        changes: dict[str, Any] = {}
        if channels is not None:
            changes["channels"] = _range(channels)
        if frequency_range is not None:
            changes["frequencyRange"] = _range(frequency_range)
        response = self.client.config_task(task_id_of(task), changes)
        check_status(response, expected_status, error_field=error_field)
        body = body_of(response)
        if response.status_code == 200:
            parse(TaskMetadata, body, "POST /config_task")
        return body

    @keyword
    def stop_task(self, task: dict | str, expected_status: int | str = 200) -> dict:
        """``DELETE /task/{task_id}``; returns the body (``{"status": "stopped"}``).

        | `Stop Task` | ${task} |
        | `Stop Task` | unknown-id | expected_status=404 |
        """
        task_id = task_id_of(task)
        response = self.client.stop(task_id)
        check_status(response, expected_status)
        if response.status_code in GONE_STATUSES:
            self.forget_task(task_id)
        return body_of(response)

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
                wait_until_inactive(self.state.connections.get(alias), task_ids, free_timeout)
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

    @keyword
    def get_created_tasks(self) -> list[str]:
        """Ids of the tasks this library created and has not stopped yet.

        | ${ids} = | `Get Created Tasks` |
        """
        return list(self.state.tasks)

    @destructive("load the Focus Server with concurrent configures")
    @keyword
    def configure_tasks_concurrently(
        self,
        count: int,
        payload: dict | None = None,
        workers: int | None = None,
        timeout: timedelta = timedelta(seconds=60),
    ) -> dict:
        """Send ``count`` ``POST /configure`` at once from a thread pool (PZ-13986).

        Each request waits up to ``timeout`` for its answer (no answer = a hang).
        Returns ``{"statuses": {status: n}, "errors": [...], "task_ids": [...],
        "elapsed_s": s, "latency_s": {"p50", "p95", "max"}}``; ``errors`` lists the
        requests without an answer (timeouts, connection errors). Accepted tasks are
        registered for `Stop All Tasks`.

        | ${burst} = | `Configure Tasks Concurrently` | 200 |
        | Should Be Empty | ${burst}[errors] |
        """
        client, body = self.client, payload or build_payload()
        client.tokens.get()  # one token for the whole burst
        seconds = timeout.total_seconds()
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=workers or count) as pool:
            outcomes = list(pool.map(lambda _: _try_configure(client, body, seconds), range(count)))
        summary: dict[str, Any] = {"statuses": {}, "errors": [], "task_ids": []}
        for outcome in outcomes:
            if outcome.error:
                summary["errors"].append(outcome.error)
                continue
            summary["statuses"][outcome.status] = summary["statuses"].get(outcome.status, 0) + 1
            if outcome.task_id:
                self.register_task(outcome.task_id)
                summary["task_ids"].append(outcome.task_id)
        summary["elapsed_s"] = round(time.monotonic() - started, 3)
        summary["latency_s"] = _percentiles([outcome.elapsed_s for outcome in outcomes])
        logger.info(
            f"{count} concurrent configures: {summary['statuses']}, "
            f"{len(summary['errors'])} without answer, {summary['elapsed_s']} s, "
            f"latency {summary['latency_s']}"
        )
        return summary


@dataclass(frozen=True)
class _Outcome:
    status: int
    task_id: str | None
    error: str | None
    elapsed_s: float


def _try_configure(client: FocusClient, payload: dict, timeout: float) -> _Outcome:
    started = time.monotonic()
    try:
        response = client.configure(payload, timeout=timeout)
    except FocusApiError as error:
        return _Outcome(0, None, str(error), time.monotonic() - started)
    body = body_of(response)
    accepted = response.status_code == 200 and isinstance(body, dict)
    task_id = str(body["task_id"]) if accepted and "task_id" in body else None
    return _Outcome(response.status_code, task_id, None, time.monotonic() - started)


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values) or [0.0]

    def at(share: float) -> float:
        return round(ordered[min(int(len(ordered) * share), len(ordered) - 1)], 3)

    return {"p50": at(0.5), "p95": at(0.95), "max": at(1.0)}


def _range(value: dict | str) -> dict:
    if isinstance(value, dict):
        return value
    low, _, high = value.partition("-")
    return {"min": _number(low), "max": _number(high)}


def _number(text: str) -> int | float:
    number = float(text)
    return int(number) if number.is_integer() else number


def _moment(value: str | float) -> datetime:
    if isinstance(value, int | float) and math.isfinite(value):
        return datetime.fromtimestamp(value, UTC)
    return parse_utc(str(value))


def _whole_seconds(recording: dict, span: timedelta) -> tuple[datetime, datetime] | None:
    """Up to ``span`` of the recording, in whole seconds inside it; None when under 1 s."""
    start = _moment(recording["start_time"])
    start = start.replace(microsecond=0) + timedelta(seconds=1 if start.microsecond else 0)
    end = min(_moment(recording["end_time"]), start + span).replace(microsecond=0)
    return (start, end) if end - start >= timedelta(seconds=1) else None


def _is_complete(recording: dict) -> bool:
    if recording.get("deleted") or recording.get("end_time") is None:
        return False
    return recording.get("classification", "complete") == "complete"


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


_WHEN = re.compile(
    r"(?P<day>now|today|yesterday|(?P<ago>\d+) days? ago|(?P<date>\d{4}-\d{2}-\d{2}))"
    r"(?:[ T](?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?",
    re.IGNORECASE,
)


def moment_at(when: str, now: datetime) -> datetime:
    """The UTC instant a tester means by ``when`` (see `Get UTC Timestamp At`)."""
    match = _WHEN.fullmatch(when.strip())
    if match is None or (match["day"].lower() == "now" and match["hour"] is not None):
        raise ValueError(
            f"cannot read the time {when!r}: use 'now', 'today 10:00', 'yesterday 10:00', "
            "'3 days ago 08:30' or '2026-11-22 10:00' (UTC)"
        )
    day = match["day"].lower()
    if day == "now":
        return now
    if match["date"]:
        base = datetime.strptime(match["date"], "%Y-%m-%d").replace(tzinfo=UTC)
    else:
        back = 1 if day == "yesterday" else int(match["ago"] or 0)
        base = (now - timedelta(days=back)).replace(hour=0, minute=0, second=0, microsecond=0)
    try:
        return base.replace(
            hour=int(match["hour"] or 0),
            minute=int(match["minute"] or 0),
            second=int(match["second"] or 0),
        )
    except ValueError as error:
        raise ValueError(f"cannot read the time {when!r}: {error}") from None
