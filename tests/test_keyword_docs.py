"""The Libdoc pages keep what their source says: every example row keeps its cells (no
``==`` read as an empty header), every backquoted name links somewhere, no raw inline
code, and the index shows plain summaries."""

from __future__ import annotations

from pathlib import Path

import pytest
from robot.libdocpkg import LibraryDocumentation

from scripts.run import make_docs

BROKEN = '''
class Broken:
    """Demo.

    | `Get X` | ${task} | == | running |
    """

    def get_x(self):
        """Reads X of ``${task}``'s row.

        | `Get X` | ${task} | ``==`` | running |
        | `Get Y` | ``a``/``b`` |
        """
'''


@pytest.fixture(scope="module")
def rendered():
    pages = make_docs.load_pages()
    problems, summaries, _ = make_docs.render(pages)
    return pages, problems, summaries


def test_every_page_keeps_its_tables_links_and_code(rendered) -> None:
    _pages, problems, _ = rendered
    assert [str(problem) for problem in problems] == []


def test_every_example_row_keeps_its_cells_in_the_libdoc_json(rendered) -> None:
    """The check itself, on the Libdoc JSON of every page: for each example row, the cells
    the source writes are all there in the rendered row."""
    pages, _, _ = rendered
    rows = 0
    for name, _kind, doc in pages:
        spec = doc.to_dictionary()
        raw = LibraryDocumentation(_source_of(name))
        sources = [raw.doc] + [keyword.doc for keyword in raw.keywords]
        shown = [spec["doc"]] + [keyword["doc"] for keyword in spec["keywords"]]
        for source, html_text in zip(sources, shown, strict=True):
            for cells, kept in zip(
                make_docs._source_rows(source), make_docs._rendered_rows(html_text), strict=True
            ):
                rows += 1
                assert sum(1 for cell in kept if cell) == sum(1 for cell in cells if cell), (
                    name,
                    cells,
                    kept,
                )
    assert rows > 300  # every library and resource has example tables


def test_a_bare_operator_cell_and_an_unclosed_code_span_are_caught(tmp_path: Path) -> None:
    module = tmp_path / "Broken.py"
    module.write_text(BROKEN)
    doc = LibraryDocumentation(str(module))
    problems, _, _ = make_docs.render([("Broken", "library", doc)])
    text = [str(problem) for problem in problems]
    assert any(
        "table row '| `Get X` | ${task} | == | running |' shows 3 of its 4" in t for t in text
    )
    assert any("Get X: `Get Y` links nowhere" in t for t in text)
    assert any("``/` links nowhere" in t for t in text)  # ``a``/``b`` is no code span
    assert any("``${task}` links nowhere" in t for t in text)  # ``${task}``'s neither
    assert not any("| ``==`` |" in t for t in text)  # the escaped one is kept


def test_the_index_shows_plain_summaries(rendered) -> None:
    _, _, summaries = rendered
    for name, summary in summaries.items():
        assert summary, name
        assert not any(mark in summary for mark in ("<", ">", "``", "[")), (name, summary)


def _source_of(name: str) -> str:
    return dict((page, source) for source, page in make_docs.sources())[name]
