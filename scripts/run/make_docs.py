"""Write Libdoc HTML for every keyword library and resource file, and an index (``make docs``).

A keyword named in backquotes in one page (`Configure Live Task` in a resource) links to the
page that defines it, also when that is another library or resource, or to the online docs
of the library it comes from (BuiltIn, Browser, RequestsLibrary, ...): Libdoc itself links
only names of the same page and shows the others as unlinked italics.

The build fails (exit 1, one line per problem) when a page would mislead its reader:

- a backquoted name that links nowhere (a keyword renamed or removed, a typo);
- an example table row that loses a cell (``| Get Task Status | ${task} | == | running |``:
  Libdoc reads ``==`` as an empty header cell; write ````==```` as Browser's docs do);
- inline code that Libdoc leaves as raw double backquotes (````a````/````b````: the closing
  pair must be followed by a space or punctuation and a space).
"""

from __future__ import annotations

import html
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from robot.libdocpkg import LibraryDocumentation
from robot.utils import normalize

ROOT = Path(__file__).resolve().parents[2]
# ``code`` spans are skipped as a whole, so `Name` after one is still found.
BACKQUOTED = re.compile(r"``.+?``|`([^`\n]+)`")
TABLE_ROW = re.compile(r"^\| (.* |)\|$")  # Robot's own table line (robot.utils.htmlformatters)
CELL_SPLIT = re.compile(r" \|(?= )")
RENDERED_ROW = re.compile(r"<tr>(.*?)</tr>", re.DOTALL)
RENDERED_CELL = re.compile(r"<t[dh]>(.*?)</t[dh]>", re.DOTALL)
UNRESOLVED = re.compile(r'<span class="name">(.*?)</span>')
TAG = re.compile(r"<[^>]+>")

ROBOT_DOCS = "https://robotframework.org/robotframework/latest/libraries"
# Libraries the resources use whose keywords a doc may name: where their docs live.
EXTERNAL = {
    "BuiltIn": f"{ROBOT_DOCS}/BuiltIn.html",
    "Collections": f"{ROBOT_DOCS}/Collections.html",
    "DateTime": f"{ROBOT_DOCS}/DateTime.html",
    "OperatingSystem": f"{ROBOT_DOCS}/OperatingSystem.html",
    "Process": f"{ROBOT_DOCS}/Process.html",
    "String": f"{ROBOT_DOCS}/String.html",
    "RequestsLibrary": "https://marketsquare.github.io/robotframework-requests/doc/RequestsLibrary.html",
    "SSHLibrary": "https://robotframework.org/SSHLibrary/SSHLibrary.html",
    "Browser": "https://marketsquare.github.io/robotframework-browser/Browser.html",
    "DocTest.VisualTest": "https://manykarim.github.io/robotframework-doctestlibrary/VisualTest.html",
}


def sources() -> list[tuple[str, str]]:
    """Every keyword library the resources import, then every resource file."""
    resources = sorted((ROOT / "resources").rglob("*.resource"))
    libraries = set()
    for resource in resources:
        for line in resource.read_text().splitlines():
            match = re.match(r"Library\s+(libraries\.\S+)", line)
            if match:
                libraries.add(match.group(1))
    found = [(name, name.rsplit(".", 1)[-1]) for name in sorted(libraries)]
    pages = [
        (str(resource), "-".join(resource.relative_to(ROOT / "resources").with_suffix("").parts))
        for resource in resources
    ]
    return found + [(source, f"{name}.resource") for source, name in pages]


def external_owners() -> dict[str, str]:
    """Normalized keyword name -> the URL of its anchor in its library's online docs."""
    owners: dict[str, str] = {}
    for library, url in EXTERNAL.items():
        try:
            doc = LibraryDocumentation(library)
        except Exception:  # a library that is not installed: its names stay unlinked
            continue
        for keyword in doc.keywords:
            owners.setdefault(normalize(keyword.name), f"{url}#{quote(keyword.name)}")
    return owners


def link_other_pages(
    page: str,
    doc: Any,
    owners: dict[str, tuple[str, str]],
    external: dict[str, str] | None = None,
) -> int:
    """Turn `Name` of a keyword defined on another page (or in an external library) into a
    link to it; returns how many."""
    own = {normalize(keyword.name) for keyword in doc.keywords}
    external = external or {}
    linked = 0

    def replace(match: re.Match) -> str:
        nonlocal linked
        if match.group(1) is None:  # a ``code`` span
            return match.group(0)
        key = normalize(match.group(1))
        if key in own:
            return match.group(0)
        owner = owners.get(key)
        if owner is not None and owner[0] != page:
            linked += 1
            return f"[{owner[0]}.html#{quote(owner[1])}|{match.group(1)}]"
        if owner is None and key in external:
            linked += 1
            return f"[{external[key]}|{match.group(1)}]"
        return match.group(0)

    doc.doc = BACKQUOTED.sub(replace, doc.doc)
    for keyword in doc.keywords:
        keyword.doc = BACKQUOTED.sub(replace, keyword.doc)
    return linked


def summary(doc: Any) -> str:
    """The first sentence of a page's introduction, as plain text (call before HTML)."""
    text = " ".join(doc.doc.split("\n\n")[0].split())
    text = re.sub(r"\[[^|\]]*\|([^\]]*)\]", r"\1", text).replace("``", "").replace("`", "")
    text = html.unescape(TAG.sub("", text))
    return text.split(". ")[0].rstrip(".") + "." if text else ""


@dataclass(frozen=True)
class Problem:
    page: str
    where: str  # "(introduction)" or a keyword name
    what: str

    def __str__(self) -> str:
        return f"{self.page}: {self.where}: {self.what}"


def _source_rows(text: str) -> list[list[str]]:
    """The cells of each table row, as Robot's formatter groups lines: a block of ``| ``
    lines whose first line is not a table row is preformatted text, table-like lines and
    all."""
    rows, preformatted = [], False
    for raw in text.splitlines():
        line = raw.strip()
        if preformatted and (line.startswith("| ") or line == "|"):
            continue
        preformatted = False
        if TABLE_ROW.match(line):
            rows.append([cell.strip() for cell in CELL_SPLIT.split(line[1:-1])])
        elif line.startswith("| ") or line == "|":
            preformatted = True
    return rows


def _rendered_rows(text: str) -> list[list[str]]:
    return [
        [html.unescape(TAG.sub("", cell)).strip() for cell in RENDERED_CELL.findall(row)]
        for row in RENDERED_ROW.findall(text)
    ]


def doc_problems(page: str, where: str, source: str, rendered: str) -> list[Problem]:
    """What the HTML ``rendered`` from the Libdoc text ``source`` lost or could not link."""
    found = []
    source_rows, rendered_rows = _source_rows(source), _rendered_rows(rendered)
    if len(source_rows) != len(rendered_rows):
        found.append(
            Problem(page, where, f"{len(source_rows)} table rows became {len(rendered_rows)}")
        )
    for cells, shown in zip(source_rows, rendered_rows, strict=False):
        written = sum(1 for cell in cells if cell)
        kept = sum(1 for cell in shown if cell)
        if kept != written or len(shown) < len(cells):
            found.append(
                Problem(
                    page,
                    where,
                    f"table row '| {' | '.join(cells)} |' shows {kept} of its {written} cells "
                    "(a cell '==' is an empty header to Libdoc: write ``==``)",
                )
            )
    for name in UNRESOLVED.findall(rendered):
        found.append(Problem(page, where, f"`{TAG.sub('', name)}` links nowhere"))
    plain = html.unescape(TAG.sub("", rendered))
    if "``" in plain:
        line = next((line.strip() for line in plain.splitlines() if "``" in line), "")
        found.append(Problem(page, where, f"raw `` left in the text: '{line[:120]}'"))
    return found


def render(pages: list[tuple[str, str, Any]]) -> tuple[list[Problem], dict[str, str], list[int]]:
    """Link names across pages, convert every doc to HTML (in place) and check each page.

    Returns the problems, each page's summary (plain text) and how many links each got."""
    owners: dict[str, tuple[str, str]] = {}
    for name, _kind, doc in pages:
        for keyword in doc.keywords:
            owners.setdefault(normalize(keyword.name), (name, keyword.name))
    external = external_owners()
    problems: list[Problem] = []
    summaries, links = {}, []
    for name, _kind, doc in pages:
        links.append(link_other_pages(name, doc, owners, external))
        summaries[name] = summary(doc)
        sources = [("(introduction)", doc.doc)] + [(kw.name, kw.doc) for kw in doc.keywords]
        doc.convert_docs_to_html()
        rendered = [doc.doc] + [kw.doc for kw in doc.keywords]
        for (where, source), html_text in zip(sources, rendered, strict=True):
            problems += doc_problems(name, where, source, html_text)
    return problems, summaries, links


def load_pages() -> list[tuple[str, str, Any]]:
    """(name, kind, LibraryDocumentation) of every page; raises on a page Libdoc cannot read."""
    pages = []
    for source, name in sources():
        doc = LibraryDocumentation(source)
        pages.append((name, "resource" if name.endswith(".resource") else "library", doc))
    return pages


def write_index(out: Path, pages: list[tuple[str, str, Any]], summaries: dict[str, str]) -> None:
    rows = "\n".join(
        f'<tr><td><a href="{quote(name)}.html">{html.escape(name)}</a></td>'
        f"<td>{kind}</td><td>{len(doc.keywords)}</td>"
        f"<td>{html.escape(summaries[name])}</td></tr>"
        for name, kind, doc in pages
    )
    out.joinpath("index.html").write_text(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>Focus suite keywords</title><style>body{font-family:sans-serif;margin:2em}"
        "td,th{padding:.3em .8em;text-align:left;vertical-align:top}"
        "tr:nth-child(even){background:#f4f4f4}</style></head><body>\n"
        "<h1>Focus suite keywords</h1>\n<p>Keyword libraries (Python) and resource files "
        "(the testers' vocabulary). Suites import the resources.</p>\n"
        "<table><tr><th>Page</th><th>Kind</th><th>Keywords</th><th>Summary</th></tr>\n"
        f"{rows}\n</table>\n</body></html>\n"
    )


def main(out_dir: str) -> int:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    try:
        pages = load_pages()
    except Exception as error:  # one bad page must not hide the others' cause
        print(f"make docs: Libdoc cannot read a page: {error}")
        return 1
    problems, summaries, links = render(pages)
    for (name, _kind, doc), linked in zip(pages, links, strict=True):
        doc.save(str(out / f"{name}.html"), "HTML")
        print(f"{name:<28} {len(doc.keywords):>3} keywords, {linked} links to other pages")
    write_index(out, pages, summaries)
    print(f"{'index.html':<28} {len(pages)} pages")
    for problem in problems:
        print(f"make docs: {problem}")
    if problems:
        print(f"make docs: {len(problems)} problem(s) in the keyword docs (see above)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "docs/keywords"))
