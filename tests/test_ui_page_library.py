"""The LiveViewPage keywords (libraries/ui) in Debian's chromium, against a static page.

Runs ``tests/robot_suites/ui_page`` (no twin): every check passes where the page agrees and
fails, with the message a tester reads, where it does not; the waits return false instead of
failing. One test fails on purpose: a failed check of the library embeds Browser's failure
screenshot in output.xml, as Browser's own keywords do. Plus the Robot-free script builders.
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from libraries.ui import scripts

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT / "tests" / "robot_suites" / "ui_page"
FAILS_ON_PURPOSE = "Failed Check Embeds A Screenshot"
SCREENSHOT = 'class="robot-seleniumlibrary-screenshot"'


def test_page_keywords_in_chromium(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "robot", "--outputdir", str(tmp_path), "--log", "NONE",
         "--report", "NONE", str(SUITE)],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    tests = {t.get("name"): t for t in ET.parse(tmp_path / "output.xml").getroot().iter("test")}
    assert FAILS_ON_PURPOSE in tests, run.stdout[-2000:]
    failed = {
        name: test.find("status").text
        for name, test in tests.items()
        if test.find("status").get("status") != "PASS" and name != FAILS_ON_PURPOSE
    }
    assert not failed, failed
    on_purpose = tests[FAILS_ON_PURPOSE]
    assert on_purpose.find("status").get("status") == "FAIL"
    assert "is one flat colour" in (on_purpose.find("status").text or "")
    shots = [m for m in on_purpose.iter("msg") if SCREENSHOT in (m.text or "")]
    assert len(shots) == 1, f"expected one embedded screenshot, found {len(shots)}"
    assert run.returncode == 1, run.stdout[-2000:]


@pytest.mark.parametrize(
    ("selector", "css"),
    [
        ('css=[data-testid="x"]', '[data-testid="x"]'),
        ('[data-testid="x"][data-id="a b"]', '[data-testid="x"][data-id="a b"]'),
        ("css=body", "body"),
    ],
)
def test_css_of_a_browser_selector(selector: str, css: str) -> None:
    assert scripts.css(selector) == css


@pytest.mark.parametrize(
    "selector", ["text=Submit", "id=nfft", 'css=[data-testid="a"] >> css=b', "css=", "//div"]
)
def test_only_one_css_selector_goes_into_the_page(selector: str) -> None:
    with pytest.raises(ValueError, match="one CSS selector"):
        scripts.css(selector)


def test_values_are_quoted_not_pasted() -> None:
    script = scripts.element_data_is('css=[data-id="x"]', "status", "a'); alert('x")
    assert "\"a'); alert('x\"" in script
    assert scripts.body_data_is("view", ["task"]) == (
        '() => ["task"].includes(document.body.dataset["view"])'
    )
