"""A failing UI keyword embeds its screenshot in output.xml, where Xray's import finds it.

Runs ``tests/robot_suites/ui_failure`` (Browser on Debian's chromium, no twin): one test
fails on purpose, one passes. The failing test's log must carry one
``<img class="robot-seleniumlibrary-screenshot" src="data:image/png;base64,...">`` that
decodes to a PNG; the passing test none; and no screenshot file is left beside output.xml.
"""

from __future__ import annotations

import base64
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT / "tests" / "robot_suites" / "ui_failure"
EMBEDDED = re.compile(
    r'<img[^>]*class="robot-seleniumlibrary-screenshot"[^>]*src="data:image/png;base64,([^"]+)"'
)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _screenshots(test: ET.Element) -> list[bytes]:
    found = []
    for message in test.iter("msg"):
        if message.get("html") == "true":
            found += [base64.b64decode(data) for data in EMBEDDED.findall(message.text or "")]
    return found


def test_failing_ui_keyword_embeds_its_screenshot_in_output_xml(tmp_path: Path):
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "robot",
            "--outputdir",
            str(tmp_path),
            "--log",
            "NONE",
            "--report",
            "NONE",
            "-v",
            "UI_TIMEOUT:1s",
            str(SUITE),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 1, run.stdout[-2000:] + run.stderr[-2000:]
    tests = {t.get("name"): t for t in ET.parse(tmp_path / "output.xml").getroot().iter("test")}
    failing = tests["Failing UI Assertion Embeds A Screenshot"]
    assert failing.find("status").get("status") == "FAIL"
    shots = _screenshots(failing)
    assert len(shots) == 1, f"expected one embedded screenshot, found {len(shots)}"
    assert shots[0].startswith(PNG_MAGIC) and len(shots[0]) > 1000
    assert _screenshots(tests["Passing UI Test Embeds Nothing"]) == []
    assert not list(tmp_path.rglob("*.png")), "screenshots must be embedded, not written as files"
