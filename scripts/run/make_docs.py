"""Write Libdoc HTML for every keyword library and resource file, and an index (``make docs``).

A keyword named in backquotes in one page (`Configure Live Task` in a resource) links to the
page that defines it, also when that is another library or resource: Libdoc itself links
only names of the same page and shows the others as unlinked italics.
"""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path
from urllib.parse import quote

from robot.libdocpkg import LibraryDocumentation
from robot.utils import normalize

ROOT = Path(__file__).resolve().parents[2]
BACKQUOTED = re.compile(r"`([^`\n]+)`")


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


def link_other_pages(page: str, doc, owners: dict[str, tuple[str, str]]) -> int:
    """Turn `Name` of a keyword defined on another page into a link to it; returns how many."""
    own = {normalize(keyword.name) for keyword in doc.keywords}
    linked = 0

    def replace(match: re.Match) -> str:
        nonlocal linked
        key = normalize(match.group(1))
        owner = owners.get(key)
        if key in own or owner is None or owner[0] == page:
            return match.group(0)
        linked += 1
        return f"[{owner[0]}.html#{quote(owner[1])}|{match.group(1)}]"

    doc.doc = BACKQUOTED.sub(replace, doc.doc)
    for keyword in doc.keywords:
        keyword.doc = BACKQUOTED.sub(replace, keyword.doc)
    return linked


def summary(doc) -> str:
    """The first sentence of a page's introduction, as plain text."""
    text = " ".join(doc.doc.split("\n\n")[0].split())
    text = re.sub(r"\[[^|\]]*\|([^\]]*)\]", r"\1", text).replace("``", "").replace("`", "")
    return text.split(". ")[0].rstrip(".") + "." if text else ""


def write_index(out: Path, pages: list[tuple[str, str, object]]) -> None:
    rows = "\n".join(
        f'<tr><td><a href="{quote(name)}.html">{html.escape(name)}</a></td>'
        f"<td>{kind}</td><td>{len(doc.keywords)}</td><td>{html.escape(summary(doc))}</td></tr>"
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
    pages = []
    for source, name in sources():
        try:
            doc = LibraryDocumentation(source)
        except Exception as error:  # one bad page must not hide the others
            print(f"{name:<24} FAILED: {error}")
            return 1
        pages.append((name, "resource" if name.endswith(".resource") else "library", doc))
    owners: dict[str, tuple[str, str]] = {}
    for name, _kind, doc in pages:
        for keyword in doc.keywords:
            owners.setdefault(normalize(keyword.name), (name, keyword.name))
    for name, _kind, doc in pages:
        linked = link_other_pages(name, doc, owners)
        doc.convert_docs_to_html()
        doc.save(str(out / f"{name}.html"), "HTML")
        print(f"{name:<24} {len(doc.keywords):>3} keywords, {linked} links to other pages")
    write_index(out, pages)
    print(f"{'index.html':<24} {len(pages)} pages")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "docs/keywords"))
