"""resources/ holds the testers' vocabulary; the logic is in the libraries.

- No Python evaluated in a resource: no ``Evaluate`` keyword and no ``${{ }}`` inline Python
  (a keyword that needs a computation calls a library keyword that does it, typed and tested).
- No JavaScript written in a resource: no ``Evaluate JavaScript`` and no ``Wait For Function``
  (the page-side scripts are in ``libraries/ui``).
- Fixtures import domain resources, never the reverse: a file of ``resources/`` (the
  vocabulary) imports no file of ``resources/fixtures/`` (setups, teardowns, templates).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from robot.api import get_resource_model
from robot.api.parsing import (
    Documentation,
    KeywordCall,
    ModelVisitor,
    ResourceImport,
    Token,
)

ROOT = Path(__file__).resolve().parents[1]
RESOURCES = ROOT / "resources"
FORBIDDEN_KEYWORDS = {
    "evaluate": "evaluates Python (put the computation in a library keyword)",
    "builtin.evaluate": "evaluates Python (put the computation in a library keyword)",
    "evaluate javascript": "writes JavaScript (put the script in libraries/ui)",
    "browser.evaluate javascript": "writes JavaScript (put the script in libraries/ui)",
    "wait for function": "writes JavaScript (put the script in libraries/ui)",
    "browser.wait for function": "writes JavaScript (put the script in libraries/ui)",
}


def resource_files() -> list[Path]:
    return sorted(RESOURCES.rglob("*.resource"))


class Findings(ModelVisitor):
    def __init__(self) -> None:
        self.problems: list[str] = []

    def visit_KeywordCall(self, node: KeywordCall) -> None:
        name = " ".join((node.keyword or "").lower().split())
        if name in FORBIDDEN_KEYWORDS:
            self.problems.append(f"line {node.lineno}: {node.keyword} {FORBIDDEN_KEYWORDS[name]}")
        self._inline_python(node)

    def visit_Documentation(self, node: Documentation) -> None:
        """Documentation may show ``${{ }}`` to a tester as an example value."""

    def visit_Statement(self, node) -> None:
        self._inline_python(node)

    def _inline_python(self, node) -> None:
        for token in node.get_tokens(Token.ARGUMENT, Token.ASSIGN, Token.NAME, Token.OPTION):
            if "${{" in token.value:
                self.problems.append(
                    f"line {token.lineno}: inline Python {token.value!r} (use a library keyword)"
                )


@pytest.mark.parametrize("path", resource_files(), ids=lambda path: str(path.relative_to(ROOT)))
def test_a_resource_holds_no_python_and_no_javascript(path: Path) -> None:
    findings = Findings()
    findings.visit(get_resource_model(path))
    assert not findings.problems, f"{path.relative_to(ROOT)}:\n  " + "\n  ".join(findings.problems)


@pytest.mark.parametrize(
    "path",
    [path for path in resource_files() if path.parent == RESOURCES],
    ids=lambda path: path.name,
)
def test_a_domain_resource_imports_no_fixture(path: Path) -> None:
    model = get_resource_model(path)
    imports = [
        node.name
        for section in model.sections
        for node in getattr(section, "body", [])
        if isinstance(node, ResourceImport)
    ]
    fixtures = [name for name in imports if "fixtures/" in name]
    assert not fixtures, (
        f"{path.name} imports {fixtures}: fixtures import the vocabulary, never the reverse"
    )
