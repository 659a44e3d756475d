"""Keywords that read a task: metadata, status (with polling) and waterfall rows."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from assertionengine import AssertionOperator
from robot.api import logger
from robot.api.deco import keyword

from libraries.common.arguments import task_id_of
from libraries.common.polling import poll_assertion, wait_until
from libraries.focus_api.keywords.base import LibraryComponent, body_of, check_status, parse
from libraries.focus_api.models import (
    AckResponse,
    TaskMetadata,
    WaterfallResponse,
    metadata_mismatches,
    parse_utc,
)
from libraries.focus_api.stream_health import stream_health

FINAL_STATUSES = ("completed", "failed", "stopped")
WATERFALL_POLL = timedelta(milliseconds=250)
METADATA_PATHS = ("/metadata/{}", "/task/{}/metadata")


class ObserveKeywords(LibraryComponent):
    """Metadata, status and waterfall of a task."""

    @keyword
    def get_task_metadata(
        self,
        task: dict[str, Any] | str,
        expected_status: int | str = 200,
        path: str = METADATA_PATHS[0],
    ) -> dict[str, Any]:
        """The task's metadata, checked against the contract (every field, PZ-13985).

        ``path`` is ``/metadata/{}`` or its alias ``/task/{}/metadata``.

        | ${metadata} = | `Get Task Metadata` | ${task} |
        | `Get Task Metadata` | no-such-task | expected_status=404 |

        Returns the metadata as a dict, e.g. for the seeds' default Live task:

        | {"task_id": "3f2a9c0e", "timeStatus": "Live", "viewType": "MultiChannel",
        |  "nfft": 1024, "overlap": 512, "channels": {"min": 11, "max": 109}, "channel_count": 99,
        |  "frequencyRange": {"min": 0, "max": 500}, "prr": 2000, "frequency_resolution": 1.953125,
        |  "frequency_bins": 257, "time_resolution": 0.256,
        |  "stream": {"host": "127.0.0.1", "port": 31012}, "status": "running",
        |  "created_at": "2026-11-22T08:00:00.125Z", "startTime": None, "endTime": None}

        ``frequency_bins`` is a count (of FFT bins in the band), not a list.
        """
        response = self.client.request("GET", path.format(task_id_of(task)))
        check_status(response, expected_status)
        body = body_of(response)
        if response.status_code == 200:
            parse(TaskMetadata, body, f"metadata of task {task_id_of(task)}")
        returned: dict[str, Any] = body
        return returned

    @keyword
    def task_metadata_should_match_configuration(
        self, task: dict[str, Any] | str, payload: dict[str, Any], prr: float | None = None
    ) -> dict[str, Any]:
        """The metadata must echo ``payload`` and carry the contract's calculations:
        ``channel_count = max - min + 1``, ``frequency_resolution = prr / nfft``,
        ``frequency_bins`` (bins ``k`` in ``0..nfft/2`` with ``min <= k*prr/nfft <= max``),
        ``time_resolution = (nfft - overlap) / prr``, ``overlap`` default ``nfft/2``.

        The formulas use the server's ``prr``; when ``prr`` is given, it must equal it.
        Returns the metadata.

        | `Task Metadata Should Match Configuration` | ${task} | ${payload} | prr=${PRR} |

        Returns the metadata dict, as `Get Task Metadata` does.
        """
        metadata = self.get_task_metadata(task)
        problems = []
        if prr is not None and metadata["prr"] != prr:
            problems.append(f"prr: expected {prr}, got {metadata['prr']}")
        problems += metadata_mismatches(metadata, payload, metadata["prr"])
        if payload.get("timeStatus") == "Historic":
            problems += _time_mismatches(metadata, payload)
        if problems:
            raise AssertionError(
                f"Metadata of task {task_id_of(task)} does not match its configuration:\n  "
                + "\n  ".join(problems)
            )
        return metadata

    @keyword
    def get_task_status(
        self,
        task: dict[str, Any] | str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
        timeout: timedelta | None = None,
        interval: timedelta = timedelta(milliseconds=250),
    ) -> str:
        """``GET /ack/{task_id}``: the task's status; with an assertion, polls until it holds.

        Without an operator, returns the status at once. With one, retries every
        ``interval`` until the assertion holds or ``timeout`` passes (default: the
        assertion timeout, see `Set Assertion Timeout`; the contract allows 30 s from
        ``waiting`` to ``running``), and stops early when the task reached a final
        status (``completed``, ``failed``, ``stopped``) that does not satisfy it. The
        failure says what it waited for, the last status seen and for how long.

        | `Get Task Status` | ${task} | ``==`` | running | timeout=30s |
        | ${status} = | `Get Task Status` | ${task} |

        Returns one of ``waiting``, ``running``, ``completed``, ``failed``, ``stopped``.
        """
        task_id = task_id_of(task)
        returned: str = poll_assertion(
            lambda: self._status(task_id),
            assertion_operator,
            assertion_expected,
            f"Task {task_id} status",
            message,
            timeout=timeout,
            interval=interval,
            stop_when=lambda status: status in FINAL_STATUSES,
        )
        return returned

    def _status(self, task_id: str) -> str:
        response = self.client.ack(task_id)
        check_status(response, 200)
        returned: str = parse(AckResponse, body_of(response), f"GET /ack/{task_id}").status
        return returned

    @keyword
    def get_task_stream_health(
        self,
        task: dict[str, Any] | str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
        timeout: timedelta = timedelta(0),
        service: str = "",
    ) -> str:
        """The ``grpc.health.v1`` status (``SERVING``, ``NOT_SERVING``, ...) that the task's
        stream answers at ``stream.host:stream.port`` of its metadata (contract section 2:
        ``running`` means the gRPC health service answers ``SERVING``).

        With an operator, asserts; the default ``timeout`` of 0 checks once, so
        `Task Should Be Running` followed by this proves "running means serving".
        A stream that does not answer fails with one line (``UNAVAILABLE``, ...).

        | `Get Task Stream Health` | ${task} | ``==`` | SERVING |
        | ${status} = | `Get Task Stream Health` | ${task} |

        Returns ``SERVING``, ``NOT_SERVING``, ``SERVICE_UNKNOWN``, or ``no answer (...)``.
        """
        stream = self.get_task_metadata(task)["stream"]
        host, port = stream["host"], int(stream["port"])

        def read() -> str:
            try:
                return stream_health(host, port, service)
            except ConnectionError as error:
                return f"no answer ({error})"

        returned: str = poll_assertion(
            read,
            assertion_operator,
            assertion_expected,
            f"gRPC health of task {task_id_of(task)} at {host}:{port}",
            message,
            timeout=timeout,
        )
        return returned

    @keyword
    def get_waterfall(
        self, task: dict[str, Any] | str, rows: int = 10, expected_status: int | str = 200
    ) -> dict[str, Any]:
        """``GET /waterfall/{task_id}?rows=N``; returns ``{"task_id", "rows": [...]}``.

        | ${waterfall} = | `Get Waterfall` | ${task} | rows=10 |

        Returns a dict, e.g. (one value per channel of the task, in dB):

        | {"task_id": "3f2a9c0e", "rows": [
        |   {"timestamp": "2026-11-22T08:00:00.256Z", "values": [-41.7, -39.2, ..., -40.8]},
        |   {"timestamp": "2026-11-22T08:00:00.512Z", "values": [-42.0, -38.9, ..., -41.1]}]}
        """
        task_id = task_id_of(task)
        response = self.client.waterfall(task_id, rows)
        check_status(response, expected_status)
        body = body_of(response)
        if response.status_code == 200:
            parse(WaterfallResponse, body, f"waterfall of task {task_id}")
        returned: dict[str, Any] = body
        return returned

    @keyword
    def waterfall_should_have_rows(
        self,
        task: dict[str, Any] | str,
        min_rows: int = 1,
        channel_count: int | None = None,
        timeout: timedelta = timedelta(seconds=30),
    ) -> list[dict[str, Any]]:
        """Polls the waterfall until it has ``min_rows`` rows; each row must have exactly one
        finite value per channel (``channel_count``, default: from the metadata) (PZ-13238).
        Returns the rows.

        | `Waterfall Should Have Rows` | ${task} | min_rows=5 | timeout=30s |

        Returns the list of rows, each ``{"timestamp": "...", "values": [...]}`` (see
        `Get Waterfall`).
        """
        task_id = task_id_of(task)
        if channel_count is None:
            channel_count = self.get_task_metadata(task_id)["channel_count"]
        rows = wait_until(
            lambda: self.get_waterfall(task_id, rows=max(min_rows, 10))["rows"],
            lambda rows: len(rows) >= min_rows,
            what=f"{min_rows} waterfall rows of task {task_id}",
            timeout=timeout,
            interval=WATERFALL_POLL,
            describe=lambda rows: f"{len(rows)} rows",
        )
        wrong = [
            f"row {index}: {len(row['values'])} values"
            for index, row in enumerate(rows)
            if len(row["values"]) != channel_count
        ]
        if wrong:
            raise AssertionError(
                f"Waterfall rows of task {task_id} should have {channel_count} values "
                f"(one per channel): " + ", ".join(wrong[:10])
            )
        logger.info(f"{len(rows)} waterfall rows of {channel_count} finite values")
        returned: list[dict[str, Any]] = rows
        return returned

    @keyword
    def waterfall_should_answer_as_many_rows_as_asked(
        self, task: dict[str, Any] | str, *counts: int
    ) -> None:
        """Once ``task`` has produced more rows than the largest count, ``GET
        /waterfall/{id}?rows=N`` answers exactly N rows for each of ``counts``.

        | `Waterfall Should Answer As Many Rows As Asked` | ${task} | 1 | 3 | 12 |
        """
        if not counts:
            raise ValueError("give at least one row count")
        task_id = task_id_of(task)
        self.waterfall_should_have_rows(task_id, min_rows=max(int(n) for n in counts) + 1)
        wrong = []
        for count in (int(n) for n in counts):
            answered = len(self.get_waterfall(task_id, rows=count)["rows"])
            if answered != count:
                wrong.append(f"rows={count} answered {answered} rows")
        if wrong:
            raise AssertionError(f"Waterfall of task {task_id}: " + ", ".join(wrong))

    @keyword
    def task_should_keep_running(
        self,
        task: dict[str, Any] | str,
        duration: timedelta = timedelta(seconds=20),
        interval: timedelta = timedelta(seconds=1),
    ) -> None:
        """``task`` is ``running`` at every check, every ``interval`` for ``duration``: a Live
        task runs until it is stopped, never ending by itself.

        | `Task Should Keep Running` | ${task} | 20s |
        """
        task_id = task_id_of(task)
        checks = max(1, int(duration.total_seconds() / interval.total_seconds()))
        for check in range(checks):
            status = self._status(task_id)
            if status != "running":
                seconds = check * interval.total_seconds()
                raise AssertionError(
                    f"Task {task_id} was {status} after {seconds:g} s of running, not running: "
                    "it ended by itself"
                )
            time.sleep(interval.total_seconds())
        logger.info(f"Task {task_id} ran through {checks} checks over {duration}")


def _time_mismatches(metadata: dict[str, Any], payload: dict[str, Any]) -> list[str]:
    problems = []
    for name in ("startTime", "endTime"):
        expected, actual = payload.get(name), metadata.get(name)
        if actual is None or parse_utc(str(actual)) != parse_utc(str(expected)):
            problems.append(f"{name}: expected {expected!r}, got {actual!r}")
    return problems
