"""A Markdown summary of a Robot Framework run: for a CI job summary and the PR comment.

    ci_summary.py OUTPUT_XML [--title T] [--artifact-url URL] [--xray-result FILE]
                  [--max-failures N]

Prints counts, the failed tests with their messages, the artifact link and, when the Xray
import wrote its result file, the Test Execution link. The first line is a hidden marker
(``<!-- focus-robot-summary -->``) by which the workflow finds its own PR comment to update.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from scripts.publishing.results import ResultsError, collect

MARKER = "<!-- focus-robot-summary -->"


def _cell(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.replace("|", "\\|")


def summary(
    output: Path,
    *,
    title: str = "Robot Framework results",
    artifact_url: str = "",
    xray_result: Path | None = None,
    max_failures: int = 30,
) -> str:
    tests = collect(output)
    passed = sum(t.status == "PASS" for t in tests)
    failed = [t for t in tests if t.status == "FAIL"]
    skipped = sum(t.status == "SKIP" for t in tests)
    verdict = "failed" if failed else ("passed" if tests else "ran no test")
    icon = ":x:" if failed or not tests else ":white_check_mark:"
    lines = [
        MARKER,
        f"### {icon} {title}: {verdict}",
        "",
        "| total | passed | failed | skipped |",
        "|---:|---:|---:|---:|",
        f"| {len(tests)} | {passed} | {len(failed)} | {skipped} |",
        "",
    ]
    if failed:
        lines += ["| failed test | keys | message |", "|---|---|---|"]
        for test in failed[:max_failures]:
            keys = ", ".join(test.keys)
            lines.append(f"| {_cell(test.full_name, 120)} | {keys} | {_cell(test.message)} |")
        if len(failed) > max_failures:
            lines.append(f"| … and {len(failed) - max_failures} more | | |")
        lines.append("")
    if artifact_url:
        lines.append(f"Logs and reports: [artifacts]({artifact_url})")
    if xray_result and xray_result.is_file():
        result = json.loads(xray_result.read_text())
        link = f"[{result['key']}]({result['url']})" if result.get("url") else result["key"]
        lines.append(f"Xray Test Execution: {link}")
    elif xray_result:
        lines.append("Xray: not imported for this run")
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ci_summary.py", description=__doc__)
    parser.add_argument("output", type=Path)
    parser.add_argument("--title", default="Robot Framework results")
    parser.add_argument("--artifact-url", default="")
    parser.add_argument("--xray-result", type=Path)
    parser.add_argument("--max-failures", type=int, default=30)
    args = parser.parse_args(argv)
    try:
        text = summary(
            args.output,
            title=args.title,
            artifact_url=args.artifact_url,
            xray_result=args.xray_result,
            max_failures=args.max_failures,
        )
    except ResultsError as error:
        print(f"summary: {error}", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
