"""make lint: every qualifier of every clause in robot/CONTRACT_COVERAGE.md names a test,
and every test the file names exists.

    python -m scripts.checks.check_coverage [robot/CONTRACT_COVERAGE.md]

Each clause row has a ``qualifiers`` column (found by its header). Its cell is ``none``,
or entries separated by ``<br>``, each a qualifier in italics and the tests that go red
when only that qualifier is broken:

    *per token*: `security/rate_limit.robot: Another User Is Served During A Flood`

The check fails, one line per problem, when

- a clause row has no qualifiers cell, or an empty one;
- the clause uses a qualifier word (``QUALIFIER_WORDS``: per, only, every, each, within,
  until, newest first, exactly once, at most, -based, without, persists, HttpOnly, ...)
  that none of its row's qualifier entries names, or the cell says ``none`` although it
  does;
- a qualifier entry names no test;
- a test the file names does not exist: ``path.robot: Test Name`` (paths under
  ``robot/``, read with Robot Framework's own parser), ``tests/....py::test_name`` (a
  pytest function), or a bare ``path.robot`` / ``tests/....py`` that is not there;
- a test column names a test without its suite (write ``suite.robot: Test Name``).

Prints ``coverage: N clauses, M qualifiers, K test references checked`` when clean.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from robot.api import get_model

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_FILE = ROOT / "robot" / "CONTRACT_COVERAGE.md"

# Words and phrases that narrow or bind a clause (issue 22's list, and their kin).
QUALIFIER_WORDS = (
    "per",
    "only",
    "every",
    "each",
    "within",
    "until",
    "newest first",
    "ends",
    "exactly once",
    "at most",
    "-based",
    "without",
    "persists",
    "httponly",
    "secure",
    "strict",
    "never",
    "none",
    "once",
    "both",
    "all",
)
QUALIFIER_HEADER = "qualifiers"
TEST_HEADERS = ("test(s) that go red", QUALIFIER_HEADER)
NONE_CELL = "none"

_CODE = re.compile(r"`([^`]+)`")
# ``*qualifier* (a note): `suite.robot: Test`, ...``: the qualifier part ends at the first ": `".
_ENTRY = re.compile(r"^(?P<qualifier>\*.*?):\s+(?P<tests>`.*)$", re.S)
_ROBOT_REF = re.compile(r"^(?P<path>[\w./-]+\.robot):\s*(?P<name>.+)$")
_PYTEST_REF = re.compile(r"^(?P<path>tests/[\w./-]+\.py)::(?P<name>\w+)(\[.*\])?$")
_FILE_REF = re.compile(r"^(?P<path>(tests/)?[\w./-]+\.(robot|py))$")
_BARE_NAME = re.compile(r"^[A-Z][\w'’-]*( [\w'’,-]+){2,}$")


def qualifier_words(text: str) -> list[str]:
    """The qualifier words of ``text`` (case-insensitive, whole words), in list order."""
    lowered = text.lower()
    found = []
    for word in QUALIFIER_WORDS:
        pattern = re.escape(word) if word.startswith("-") else rf"\b{re.escape(word)}\b"
        if re.search(pattern, lowered):
            found.append(word)
    return found


def _covers(qualifier: str, word: str) -> bool:
    pattern = re.escape(word) if word.startswith("-") else rf"\b{re.escape(word)}\b"
    return re.search(pattern, qualifier.lower()) is not None


@dataclass
class Row:
    line: int
    cells: dict[str, str]


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    clauses: int = 0
    qualifiers: int = 0
    references: int = 0


def _split_row(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def rows(text: str) -> list[Row]:
    """The clause rows of every table whose header has a ``clause`` column."""
    found: list[Row] = []
    header: list[str] | None = None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.lstrip().startswith("|"):
            header = None
            continue
        cells = _split_row(line)
        if header is None:
            header = [cell.lower() for cell in cells]
            continue
        if all(set(cell) <= set("-: ") for cell in cells):
            continue
        if header and header[0] == "clause":
            padded = cells + [""] * (len(header) - len(cells))
            found.append(Row(number, dict(zip(header, padded, strict=False))))
    return found


class TestIndex:
    """Test names of robot suites (under ``robot_dir``) and pytest functions (under ``root``)."""

    def __init__(self, root: Path, robot_dir: Path) -> None:
        self.root = root
        self.robot_dir = robot_dir
        self._robot: dict[str, set[str] | None] = {}
        self._pytest: dict[str, set[str] | None] = {}

    def robot_tests(self, path: str) -> set[str] | None:
        if path not in self._robot:
            file = self.robot_dir / path
            if not file.is_file():
                self._robot[path] = None
            else:
                names = set()
                for section in get_model(str(file)).sections:
                    for item in getattr(section, "body", []):
                        if type(item).__name__ == "TestCase":
                            names.add(item.name)
                self._robot[path] = names
        return self._robot[path]

    def pytest_functions(self, path: str) -> set[str] | None:
        if path not in self._pytest:
            file = self.root / path
            if not file.is_file():
                self._pytest[path] = None
            else:
                tree = ast.parse(file.read_text())
                self._pytest[path] = {
                    node.name
                    for node in ast.walk(tree)
                    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                }
        return self._pytest[path]

    def file_exists(self, path: str) -> bool:
        base = self.root if path.startswith("tests/") else self.robot_dir
        return (base / path).is_file()


def check_references(cell: str, index: TestIndex, where: str, report: Report) -> int:
    """Check each test the cell names; returns how many tests it names."""
    named = 0
    for item in _CODE.findall(cell):
        item = item.strip()
        if match := _ROBOT_REF.match(item):
            named += 1
            report.references += 1
            tests = index.robot_tests(match["path"])
            if tests is None:
                report.problems.append(f"{where}: no suite robot/{match['path']}")
            elif match["name"] not in tests:
                report.problems.append(
                    f"{where}: robot/{match['path']} has no test '{match['name']}'"
                )
        elif match := _PYTEST_REF.match(item):
            named += 1
            report.references += 1
            functions = index.pytest_functions(match["path"])
            if functions is None:
                report.problems.append(f"{where}: no pytest file {match['path']}")
            elif match["name"] not in functions:
                report.problems.append(f"{where}: {match['path']} has no test {match['name']}")
        elif match := _FILE_REF.match(item):
            report.references += 1
            if not index.file_exists(match["path"]):
                report.problems.append(f"{where}: no file {match['path']}")
        elif _BARE_NAME.match(item) and not any(mark in item for mark in "/=${}<>"):
            report.problems.append(
                f"{where}: '{item}' names a test without its suite: write `suite.robot: {item}`"
            )
    return named


def check_row(row: Row, index: TestIndex, report: Report) -> None:
    where = f"line {row.line}"
    report.clauses += 1
    clause = row.cells.get("clause", "")
    for header in TEST_HEADERS:
        if header in row.cells and header != QUALIFIER_HEADER:
            check_references(row.cells[header], index, where, report)
    if QUALIFIER_HEADER not in row.cells:
        report.problems.append(f"{where}: the table has no '{QUALIFIER_HEADER}' column")
        return
    cell = row.cells[QUALIFIER_HEADER].strip()
    words = qualifier_words(_CODE.sub(" ", clause))
    if not cell:
        report.problems.append(f"{where}: empty qualifiers cell (write '{NONE_CELL}' or list them)")
        return
    if cell.lower() == NONE_CELL:
        if words:
            report.problems.append(
                f"{where}: the clause says {', '.join(repr(w) for w in words)} but its "
                "qualifiers cell says none"
            )
        return
    qualifiers = []
    for part in re.split(r"<br\s*/?>", cell):
        part = part.strip()
        if not part:
            continue
        entry = _ENTRY.match(part)
        if entry is None:
            report.problems.append(
                f"{where}: qualifier entry not in the form "
                f"'*qualifier*: `suite.robot: Test`, ...': {part[:80]}"
            )
            continue
        report.qualifiers += 1
        qualifiers.append(entry["qualifier"])
        named = check_references(entry["tests"], index, where, report)
        if not named:
            report.problems.append(
                f"{where}: qualifier '{entry['qualifier'].replace('*', '').strip()}' names no "
                "test that goes red without it"
            )
    for word in words:
        if not any(_covers(qualifier, word) for qualifier in qualifiers):
            report.problems.append(
                f"{where}: the clause says '{word}' but no qualifier entry of its row names it"
            )


def check(path: Path, root: Path = ROOT, robot_dir: Path | None = None) -> Report:
    index = TestIndex(root, robot_dir or path.parent)
    report = Report()
    found = rows(path.read_text())
    if not found:
        report.problems.append(f"{path}: no clause table found")
    for row in found:
        check_row(row, index, report)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_FILE)
    args = parser.parse_args(argv)
    report = check(args.path)
    for problem in report.problems:
        print(f"{args.path}: {problem}")
    if report.problems:
        print(f"coverage: {len(report.problems)} problem(s)")
        return 1
    print(
        f"coverage: {report.clauses} clauses, {report.qualifiers} qualifiers, "
        f"{report.references} test references checked"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
