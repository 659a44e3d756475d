"""Synthetic Robot Framework results for the publishing tests (no suite is run)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from robot.result import Result, TestSuite

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


@dataclass
class T:
    name: str
    tags: list[str]
    status: str = "PASS"
    message: str = ""
    messages: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)


def write_output(path: Path, suites: dict[str, list[T]], top: str = "Robot") -> Path:
    """An output.xml with one sub-suite per entry of ``suites`` under the ``top`` suite."""
    root = TestSuite(name=top, source="/suite/robot")
    for suite_name, tests in suites.items():
        suite = root.suites.create(name=suite_name, source=f"/suite/robot/{suite_name}.robot")
        for t in tests:
            test = suite.tests.create(name=t.name, tags=t.tags, status=t.status, message=t.message)
            kw = test.body.create_keyword(name="Step", status=t.status)
            for text in t.messages:
                kw.body.create_message(message=text, level="INFO")
            for text in t.html:
                kw.body.create_message(message=text, level="INFO", html=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    Result(suite=root).save(str(path))
    return path


def write_pod_log(outputdir: Path, suite: str, test: str, pod: str, lines: list[str]) -> Path:
    """``<outputdir>/pod_logs/<suite>/<test>/<pod>.log``: the pod monitor's layout."""
    path = outputdir / "pod_logs" / suite / test / f"{pod}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path
