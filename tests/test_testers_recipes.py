"""docs/TESTERS.md and robot/examples/ stay in step, and the recipes stay recipes.

Every recipe of docs/TESTERS.md is a whole test file, shown under a ``File:`` line naming it;
that file in robot/examples/ must hold exactly the same text (make test runs it, so a recipe
that rots goes red there), and every file of robot/examples/ must be a recipe of the page.
A recipe is built from resources alone: it imports resources/ files only (no library, no
variable file), defines no keyword of its own, and evaluates no Python.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from robot.api import get_model
from robot.api.parsing import (
    KeywordSection,
    LibraryImport,
    ResourceImport,
    VariablesImport,
)

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "TESTERS.md"
EXAMPLES = ROOT / "robot" / "examples"
MIN_RECIPES = 10
FILE_LINE = re.compile(r"^File: `(?P<path>robot/examples/[\w.-]+\.robot)`\s*$")
FENCE = "```"


def recipes(text: str) -> dict[str, str]:
    """The code block after each ``File: `robot/examples/x.robot``` line, by path."""
    found: dict[str, str] = {}
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        match = FILE_LINE.match(lines[index])
        index += 1
        if not match:
            continue
        path = match["path"]
        while index < len(lines) and not lines[index].strip():
            index += 1
        if index >= len(lines) or not lines[index].startswith(FENCE):
            raise AssertionError(f"{PAGE.name}: no code block after 'File: `{path}`'")
        start = index + 1
        end = start
        while end < len(lines) and lines[end].strip() != FENCE:
            end += 1
        if end >= len(lines):
            raise AssertionError(f"{PAGE.name}: the code block of {path} is not closed")
        if path in found:
            raise AssertionError(f"{PAGE.name}: {path} is shown twice")
        found[path] = "\n".join(lines[start:end]) + "\n"
        index = end + 1
    return found


def example_files() -> list[Path]:
    return sorted(path for path in EXAMPLES.glob("*.robot") if path.name != "__init__.robot")


def test_the_page_holds_at_least_ten_recipes() -> None:
    shown = recipes(PAGE.read_text(encoding="utf-8"))
    assert len(shown) >= MIN_RECIPES, f"{PAGE.name} shows {len(shown)} recipes: {sorted(shown)}"


def test_every_recipe_is_an_example_with_the_same_text() -> None:
    shown = recipes(PAGE.read_text(encoding="utf-8"))
    on_disk = {str(path.relative_to(ROOT)): path for path in example_files()}
    assert sorted(shown) == sorted(on_disk), (
        f"{PAGE.name} and robot/examples/ differ: only on the page "
        f"{sorted(set(shown) - set(on_disk))}, only in the folder "
        f"{sorted(set(on_disk) - set(shown))}"
    )
    for path, text in shown.items():
        assert on_disk[path].read_text(encoding="utf-8") == text, (
            f"{path} differs from its recipe in {PAGE.name}: copy one onto the other"
        )


@pytest.mark.parametrize("path", example_files(), ids=lambda path: path.name)
def test_a_recipe_is_built_from_resources_alone(path: Path) -> None:
    model = get_model(path)
    problems = []
    for section in model.sections:
        if isinstance(section, KeywordSection):
            problems.append("defines keywords of its own (a recipe composes resources only)")
        for statement in getattr(section, "body", []):
            if isinstance(statement, LibraryImport | VariablesImport):
                problems.append(f"imports {statement.name!r}: only resources/ files")
            if isinstance(statement, ResourceImport) and "/resources/" not in statement.name:
                problems.append(f"imports {statement.name!r}, which is not in resources/")
    text = path.read_text(encoding="utf-8")
    if re.search(r"^\s+(\$\{[^}]*\}\s*=?\s+)*Evaluate\s", text, flags=re.MULTILINE):
        problems.append("calls Evaluate (inline Python)")
    if "${{" in text:
        problems.append("evaluates inline Python (${{ }})")
    assert not problems, f"{path.name}: " + "; ".join(problems)
