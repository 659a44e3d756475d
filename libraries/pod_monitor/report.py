"""What the pod monitor writes: per-test log files, log.html excerpts, the run's summary."""

from __future__ import annotations

import datetime as dt
import fcntl
import html
import json
import os
import re
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

from libraries.common.redact import redact
from libraries.pod_monitor.buffer import Line

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_ERROR_STYLE = "background:#ffd7d7;color:#a00000;font-weight:bold"
_PRE_STYLE = "margin:2px 0 6px 0;max-height:40em;overflow:auto;font-size:12px"


def safe_name(text: str, limit: int = 120) -> str:
    """A file-system safe name: letters, digits, '.', '_' and '-'."""
    return _UNSAFE.sub("_", text).strip("._")[:limit] or "_"


def stamp(ns: int) -> str:
    moment = dt.datetime.fromtimestamp(ns / 1e9, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def results_root(output_dir: str | Path) -> Path:
    """The run's output directory; under pabot, the final one above ``pabot_results``."""
    path = Path(output_dir).resolve()
    for parent in [path, *path.parents]:
        if parent.name == "pabot_results":
            return parent.parent
    return path


def write_test_logs(
    root: Path, suite: str, test: str, excerpts: dict[str, list[Line]]
) -> dict[str, Path]:
    """``<root>/pod_logs/<suite>/<test>/<pod>.log`` for each pod; returns pod -> path."""
    directory = root / "pod_logs" / safe_name(suite) / safe_name(test)
    if directory.exists():  # an earlier run's files of this test
        shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for pod, lines in excerpts.items():
        path = directory / f"{safe_name(pod)}.log"
        with open(path, "w", encoding="utf-8") as handle:
            for line in lines:
                marker = f" [{line.error}]" if line.error else ""
                handle.write(f"{stamp(line.ns)}{marker} {redact(line.text)}\n")
        paths[pod] = path
    return paths


def _shown(lines: list[Line], limit: int) -> tuple[list[Line], int]:
    """The last ``limit`` lines plus every earlier error line; and how many are left out."""
    if len(lines) <= limit:
        return lines, 0
    head = [line for line in lines[:-limit] if line.error]
    return head + lines[-limit:], len(lines) - limit - len(head)


def excerpt_html(
    excerpts: dict[str, list[Line]], paths: dict[str, Path], link_base: Path, limit: int
) -> str:
    """One collapsed block per pod; error lines highlighted; a link to the full file."""
    blocks = []
    for pod, lines in excerpts.items():
        errors = sum(1 for line in lines if line.error)
        shown, left_out = _shown(lines, limit)
        body = []
        if left_out:
            body.append(f"... {left_out} more lines in the file ...")
        for line in shown:
            text = html.escape(f"{stamp(line.ns)} {redact(line.text)}")
            if line.error:
                text = f'<span style="{_ERROR_STYLE}" title="{line.error}">{text}</span>'
            body.append(text)
        link = ""
        if pod in paths:
            relative = os.path.relpath(paths[pod], link_base)
            link = f' &middot; <a href="{html.escape(relative)}">full log</a>'
        flag = f", <b style='color:#a00000'>{errors} error lines</b>" if errors else ""
        blocks.append(
            f"<details><summary>pod <b>{html.escape(pod)}</b>: {len(lines)} lines{flag}"
            f"{link}</summary><pre style='{_PRE_STYLE}'>" + "\n".join(body) + "</pre></details>"
        )
    return "".join(blocks)


def error_counts(excerpts: dict[str, list[Line]]) -> Counter[tuple[str, str]]:
    counts: Counter[tuple[str, str]] = Counter()
    for pod, lines in excerpts.items():
        for line in lines:
            if line.error:
                counts[(pod, line.error)] += 1
    return counts


SUMMARY_PART = "pod_monitor_summary.json"


def write_summary(root: Path, output_dir: Path, own: dict[str, Any]) -> str:
    """Store this process's counts and merge every process's (pabot) into ``summary.txt``.

    ``own``: {"tests": {test: {"pod|pattern": lines}}, "notes": [{"attribution", "reason"}]}
    (a note: the request-id probe found attribution by time window only). Each robot
    process keeps its part in its own output directory (pabot cleans those per run); the
    merged table is ``<root>/pod_logs/summary.txt``, rewritten by each process as it
    ends, so after the last one it covers the whole run. Returns the merged text.
    """
    (output_dir / SUMMARY_PART).write_text(json.dumps(own))
    directory = root / "pod_logs"
    directory.mkdir(parents=True, exist_ok=True)
    parts = [output_dir / SUMMARY_PART]
    if output_dir != root:
        parts = sorted((root / "pabot_results").rglob(SUMMARY_PART))
    with open(directory / ".summary.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        per_pattern: Counter[tuple[str, str]] = Counter()
        tests: dict[tuple[str, str], set[str]] = {}
        fallbacks: list[str] = []
        for part in parts:
            try:
                data = json.loads(part.read_text())
            except (OSError, ValueError):
                continue
            fallbacks += [note["reason"] for note in data.get("notes", []) if "reason" in note]
            for test, counts in data.get("tests", {}).items():
                for key, count in counts.items():
                    pod, _, pattern = key.partition("|")
                    per_pattern[(pod, pattern)] += count
                    tests.setdefault((pod, pattern), set()).add(test)
        lines = [f"Pod monitor: error lines seen during tests ({stamp(_now_ns())})", ""]
        if fallbacks:
            lines += [
                f"Attribution by time window only ({len(fallbacks)} of {len(parts)} robot "
                f"process(es)): {fallbacks[0]}. A test's files hold every line of its time.",
                "",
            ]
        if not per_pattern:
            lines.append("No error line appeared in any pod during a test.")
        else:
            width = max(len(pod) for pod, _ in per_pattern)
            lines.append(f"{'pod':<{width}}  {'pattern':<26} {'lines':>6} {'tests':>6}")
            for (pod, pattern), count in sorted(per_pattern.items()):
                lines.append(
                    f"{pod:<{width}}  {pattern:<26} {count:>6} {len(tests[(pod, pattern)]):>6}"
                )
        text = "\n".join(lines) + "\n"
        (directory / "summary.txt").write_text(text)
    return text


def _now_ns() -> int:
    return int(dt.datetime.now(dt.UTC).timestamp() * 1e9)
