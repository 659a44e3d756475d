"""Reading Robot Framework results for publishing: shards merged with ``rebot --merge``,
failure screenshots embedded, per-test pod-log excerpts found, Jira keys read from tags.

Evidence shapes (from the UI and pod-monitor work):

- screenshots: ``<img src="...">`` in an HTML message. The Browser library's ``EMBED`` writes
  a ``data:`` URI; a screenshot saved as a file next to output.xml is embedded here, so the
  uploaded file carries it. (What Xray shows of embedded images its Robot page does not say,
  in the copy we could read: the import also attaches a failed test's screenshots to its
  Test Run as evidence, which the GraphQL and REST APIs document.)
- pod logs: ``<outputdir>/pod_logs/<suite>/<test>/<pod>.log`` (under pabot, in each process's
  output directory below it). Suite and test directory names are matched loosely: case and
  everything but letters and digits are ignored.
"""

from __future__ import annotations

import base64
import mimetypes
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from robot.api import ExecutionResult, ResultVisitor
from robot.errors import DataError

KEY = re.compile(r"^[A-Z][A-Z0-9]+-\d+$")
DATA_URI = re.compile(r'src="data:(image/[a-z0-9.+-]+);base64,([A-Za-z0-9+/=]+)"', re.IGNORECASE)
IMG_SRC = re.compile(r'(<img\b[^>]*?\bsrc=")([^"]+)(")', re.IGNORECASE)
# SeleniumLibrary's screenshot class, which the Browser library's EMBED screenshots carry too;
# file screenshots get it when embedded, so all look alike in the uploaded file.
XRAY_CLASS = "robot-seleniumlibrary-screenshot"
EXCERPT_LINES = 100
EXCERPT_BYTES = 64 * 1024


class ResultsError(RuntimeError):
    """One line: which results file is wrong and how."""


def jira_keys(tags, prefix: str = "PZ") -> list[str]:
    """The Jira keys among ``tags`` (``PZ-13873``), upper case, in order, without repeats."""
    keys: list[str] = []
    for tag in tags:
        candidate = str(tag).strip().upper()
        ours = KEY.match(candidate) and candidate.startswith(f"{prefix.upper()}-")
        if ours and candidate not in keys:
            keys.append(candidate)
    return keys


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def _dir_key(name: str) -> str:
    """A suite or test name as the pod monitor names its directory, then normalised.

    The pod monitor keeps letters, digits, '.', '_' and '-' and cuts at 120 characters.
    """
    return _norm(re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")[:120])


@dataclass
class RunTest:
    name: str
    full_name: str
    suite: str
    suite_full_name: str
    status: str
    message: str
    tags: list[str]
    keys: list[str]
    source: str = ""  # the suite file
    log_lines: list[str] = field(default_factory=list)
    screenshots: int = 0
    pod_logs: dict[str, str] = field(default_factory=dict)  # pod name -> excerpt
    images: list[tuple[str, bytes]] = field(default_factory=list)  # (mime, bytes) embedded


def load(path: Path):
    if not path.is_file():
        raise ResultsError(f"{path} does not exist: run the suite first (or give its output.xml)")
    try:
        return ExecutionResult(str(path))
    except DataError as error:
        first = str(error).splitlines()[0]
        raise ResultsError(f"{path} is not a Robot Framework output.xml: {first}") from None


class _Embedder(ResultVisitor):
    """Turns screenshot files referenced by HTML messages into ``data:`` URIs."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.embedded = 0

    def visit_message(self, msg) -> None:
        if not msg.html or "<img" not in msg.message:
            return

        def embed(match: re.Match) -> str:
            src = match.group(2)
            if src.startswith("data:") or "://" in src:
                return match.group(0)
            file = (self.base / src).resolve()
            if not file.is_file():
                return match.group(0)
            mime = mimetypes.guess_type(file.name)[0] or "image/png"
            data = base64.b64encode(file.read_bytes()).decode()
            self.embedded += 1
            opening = match.group(1)
            if XRAY_CLASS not in opening:
                opening = opening.replace("<img", f'<img class="{XRAY_CLASS}"', 1)
            return f"{opening}data:{mime};base64,{data}{match.group(3)}"

        msg.message = IMG_SRC.sub(embed, msg.message)


def embed_screenshots(source: Path, target: Path) -> int:
    """Write ``source`` to ``target`` with file screenshots embedded; return how many."""
    result = load(source)
    embedder = _Embedder(source.parent)
    result.visit(embedder)
    result.save(str(target))
    return embedder.embedded


def merge(outputs: list[Path], target: Path) -> Path:
    """``rebot --merge`` the shard outputs into ``target`` (one file is used as it is)."""
    from robot import rebot

    for output in outputs:
        load(output)  # one clear line for a missing or broken shard
    if len(outputs) == 1:
        return outputs[0]
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(os.devnull, "w") as sink:
        rc = rebot(
            *map(str, outputs),
            merge=True,
            output=str(target),
            log="NONE",
            report="NONE",
            stdout=sink,
            stderr=sink,
        )
    if rc == 252 or not target.is_file():
        raise ResultsError(f"rebot --merge could not merge {', '.join(map(str, outputs))}")
    return target


def _pod_log_dirs(outputdirs: list[Path]) -> dict[tuple[str, str], Path]:
    """(normalised suite dir, normalised test dir) -> directory, for every pod_logs tree."""
    found: dict[tuple[str, str], Path] = {}
    roots: list[Path] = []
    for outputdir in outputdirs:
        # Directly under the output directory, under pabot's per-process directories, and
        # under the parts of a merged run (make nightly: rest/ and long/).
        for depth in range(4):
            roots += sorted(outputdir.glob("*/" * depth + "pod_logs"))
    for root in roots:
        if not root.is_dir():
            continue
        for suite_dir in root.iterdir():
            if suite_dir.is_dir():
                for test_dir in suite_dir.iterdir():
                    if test_dir.is_dir():
                        found.setdefault((_norm(suite_dir.name), _norm(test_dir.name)), test_dir)
    return found


def excerpt(path: Path, lines: int = EXCERPT_LINES, limit: int = EXCERPT_BYTES) -> str:
    """The last ``lines`` lines of a log file, at most ``limit`` bytes."""
    data = path.read_bytes()[-limit:]
    text = data.decode("utf-8", errors="replace").splitlines()
    return "\n".join(text[-lines:])


class _Collector(ResultVisitor):
    def __init__(self, pod_dirs: dict[tuple[str, str], Path], prefix: str) -> None:
        self.pod_dirs = pod_dirs
        self.prefix = prefix
        self.tests: list[RunTest] = []

    def visit_test(self, test) -> None:
        lines: list[str] = []
        shots = 0
        images: list[tuple[str, bytes]] = []

        class Messages(ResultVisitor):
            def visit_message(self, msg) -> None:
                nonlocal shots
                if msg.html and "data:image" in msg.message:
                    shots += msg.message.count("data:image")
                    for mime, data in DATA_URI.findall(msg.message):
                        try:
                            images.append((mime.lower(), base64.b64decode(data, validate=True)))
                        except ValueError:
                            pass
                    return
                if msg.level in ("INFO", "WARN", "ERROR", "FAIL") and not msg.html:
                    lines.append(f"{msg.level}: {msg.message}")

        test.body.visit(Messages())
        if test.setup:
            test.setup.visit(Messages())
        if test.teardown:
            test.teardown.visit(Messages())
        parent = test.parent
        result = RunTest(
            name=test.name,
            full_name=test.full_name,
            suite=parent.name,
            suite_full_name=parent.full_name,
            status=test.status,
            message=test.message,
            tags=list(test.tags),
            keys=jira_keys(test.tags, self.prefix),
            source=str(test.source or parent.source or ""),
            log_lines=lines[-20:],
            screenshots=shots,
            images=images,
        )
        for suite_name in (parent.full_name, parent.name):
            directory = self.pod_dirs.get((_dir_key(suite_name), _dir_key(test.name)))
            if directory:
                for log in sorted(directory.glob("*.log")):
                    result.pod_logs[log.stem] = excerpt(log)
                break
        self.tests.append(result)


def collect(
    output: Path, prefix: str = "PZ", evidence_dirs: list[Path] | None = None
) -> list[RunTest]:
    """Every test in ``output`` with its keys, log excerpt, screenshots and pod-log excerpts.

    Pod logs are looked for in ``evidence_dirs`` (the shards' output directories), by default
    in the directory of ``output``.
    """
    result = load(output)
    collector = _Collector(_pod_log_dirs(evidence_dirs or [output.parent]), prefix)
    result.visit(collector)
    return collector.tests
