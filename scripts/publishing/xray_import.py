"""Publish Robot Framework results to Jira Xray as a Test Execution, with evidence.

    xray_import.py [OUTPUT_XML ...] [--summary S] [--environment E] [--revision R]
                   [--fix-version V] [--test-plan KEY] [--label L] [--legacyoutput]
                   [--check-only] [--result-file FILE]

What Xray makes of the upload, and why this script does what it does: docs/xray.md.

- Several output.xml files (pabot shards) are merged first with ``rebot --merge``.
- Tags: each test is sent with its Xray *Test* key (``variables/xray_keys.yaml`` or a
  ``test:<KEY>`` tag) and its requirement keys; bug keys and keys the mapping does not know
  are left out (Xray would refuse them). A test without a Test key goes to a Generic Test.
- Evidence: a failed test's pod-log excerpts and screenshots are attached to its own Test
  Run, found after the import by its Test key or its Generic Test's definition; one call per
  run on Cloud. A test whose run is not found gets one warning line (exit 0).
- ``--result-file`` is written as soon as the execution exists, before evidence.
- Retries are safe: the import is sent again only when it did not reach Xray, or after
  Xray's search showed no Test Execution with this run's label (``robot-run-<id>``).
- ``--check-only`` imports nothing: it classifies every key (Test, requirement, Bug,
  missing) by its Jira issue type and says what the import will do with it.
- ``--legacyoutput``: the upload is written with ``rebot --legacyoutput`` (Robot Framework
  6 format) for Xray versions that do not read Robot Framework 7's output.

Xray Cloud:   XRAY_CLOUD_URL (your region's Xray API base), XRAY_CLIENT_ID, XRAY_CLIENT_SECRET
Server / DC:  XRAY_BASE_URL (your Jira), XRAY_TOKEN (a personal access token)
Both:         XRAY_PROJECT_KEY, and the Test Execution's fields from flags or the environment:
              XRAY_SUMMARY, XRAY_TEST_ENVIRONMENTS, XRAY_REVISION, XRAY_FIX_VERSION,
              XRAY_TEST_PLAN, XRAY_LABELS (lists are comma-separated); XRAY_KEYS_FILE
Server / DC custom fields (their ids differ per instance): XRAY_TEST_PLAN_FIELD,
              XRAY_ENVIRONMENTS_FIELD, XRAY_REVISION_FIELD, XRAY_GENERIC_DEFINITION_FIELD
--check-only on Cloud: JIRA_URL, JIRA_USER, JIRA_API_TOKEN give issue type names (else
              Xray says which keys are Tests and requirements).

A failure prints one line; no credential is ever printed.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import os
import re
import sys
import time
from pathlib import Path

from robot.api import ExecutionResult

from libraries.common.redact import redact
from scripts.publishing.http import Http, MaybeSent, PublishError
from scripts.publishing.results import (
    ResultsError,
    RunTest,
    collect,
    embed_screenshots,
    load,
    merge,
)
from scripts.publishing.xray_cloud import XrayCloud
from scripts.publishing.xray_dc import XrayDc, jira_issue_types
from scripts.publishing.xray_keys import KeyMap, KeysError, load_keys, rewrite_tags
from scripts.publishing.xray_model import (
    Evidence,
    Execution,
    Imported,
    UsageError,
    ci_context,
    find_run,
    run_marker,
    split_list,
)

DEFAULT_OUTPUT = Path("results/regression/output.xml")
WORKDIR = Path("results/xray")
IMPORT_TRIES = 3  # the import and at most two re-sends after a lost answer
SETTLE = (0.0, 15.0, 15.0, 30.0)  # waits before each search for a lost import's execution

__all__ = ["UsageError", "ci_context", "main", "xray_from"]


def execution_from(args: argparse.Namespace, env: dict[str, str]) -> Execution:
    project = args.project or env.get("XRAY_PROJECT_KEY", "")
    if not project:
        raise UsageError("set XRAY_PROJECT_KEY (or --project), e.g. PZ")
    ctx = ci_context(env)
    summary = (
        args.summary
        or env.get("XRAY_SUMMARY")
        or f"Robot Framework run: {ctx['branch']} @ {ctx['commit'][:8]}"
    )
    environments = args.environment or split_list(
        env.get("XRAY_TEST_ENVIRONMENTS") or env.get("XRAY_TEST_ENVIRONMENT")
    )
    revision = args.revision or env.get("XRAY_REVISION") or ctx["commit"]
    description = f"Branch {ctx['branch']}, commit {ctx['commit']}."
    if ctx["run_url"]:
        description += f"\nRun: {ctx['run_url']}"
    return Execution(
        project=project,
        summary=summary,
        description=description,
        environments=environments,
        revision="" if revision == "unknown" else revision,
        fix_version=args.fix_version or env.get("XRAY_FIX_VERSION", ""),
        test_plan=args.test_plan or env.get("XRAY_TEST_PLAN", ""),
        labels=args.label or split_list(env.get("XRAY_LABELS")),
        marker=run_marker(env),
    )


def xray_from(env: dict[str, str], **http) -> XrayCloud | XrayDc:
    """The Xray client the environment asks for, or a UsageError naming what is missing."""
    if env.get("XRAY_BASE_URL"):
        if not env.get("XRAY_TOKEN"):
            raise UsageError(
                "set XRAY_TOKEN (a personal access token) to publish to Xray Server/DC"
            )
        return XrayDc(env["XRAY_BASE_URL"], env["XRAY_TOKEN"], **http)
    if env.get("XRAY_CLOUD_URL"):
        missing = [n for n in ("XRAY_CLIENT_ID", "XRAY_CLIENT_SECRET") if not env.get(n)]
        if missing:
            raise UsageError(f"set {', '.join(missing)} (an Xray Cloud API key) to publish")
        return XrayCloud(
            env["XRAY_CLOUD_URL"], env["XRAY_CLIENT_ID"], env["XRAY_CLIENT_SECRET"], **http
        )
    raise UsageError(
        "set XRAY_CLOUD_URL, XRAY_CLIENT_ID and XRAY_CLIENT_SECRET (Xray Cloud) "
        "or XRAY_BASE_URL and XRAY_TOKEN (Server/DC)"
    )


# -- --check-only ------------------------------------------------------------------------
def check_keys(
    tests: list[RunTest], mapping: KeyMap, project: str, env: dict[str, str], **http
) -> tuple[list[str], int]:
    """One line per key with its kind and what the import does with it; the problem count."""
    classified = {t.full_name: mapping.classify(t.full_name, t.tags, project) for t in tests}
    users: dict[str, list[str]] = {}
    for name, found in classified.items():
        for key in [
            *([found.test_key] if found.test_key else []),
            *found.requirements,
            *found.bugs,
            *found.unknown,
        ]:
            users.setdefault(key, []).append(name)
    keys = sorted(users)
    kinds = _kinds(keys, mapping, env, **http) if keys else {}
    lines: list[str] = []
    problems = 0
    for key in keys:
        kind, exact = kinds.get(key, ("missing", True))
        test_keys = {k.test_key for k in classified.values()}
        listed = (
            "Test"
            if key in test_keys
            else "requirement"
            if key in mapping.requirements
            else "bug"
            if key in mapping.bugs
            else "unlisted"
        )
        count = len(users[key])
        who = f"{count} test(s), e.g. '{users[key][0]}'"
        if kind == "missing":
            what, bad = "does not exist: not sent (Xray would refuse the import)", True
        elif listed == "Test":
            bad = kind != "Test"
            what = (
                "Test: the results go to this Test's run"
                if not bad
                else f"is a {kind}, not a Test: fix the Test key in {mapping.source}"
            )
        elif listed == "requirement":
            bad = kind not in ("requirement",) and kind not in mapping.requirement_types
            what = (
                f"{kind} (requirement): Xray links the tests' Tests to it (coverage)"
                if not bad
                else f"is a {kind}, not a requirement type: Xray would refuse it; move it in "
                f"{mapping.source}"
            )
        elif listed == "bug":
            what, bad = f"{kind} (bug): not sent to Xray; named in the Jira bug text", False
        else:
            what, bad = (
                f"{kind}, not listed in {mapping.source}: not sent; list it as a requirement,"
                " a bug, or a test's Test key",
                True,
            )
        if not exact and kind != "missing":
            what += " (type as far as Xray tells; JIRA_URL/JIRA_USER/JIRA_API_TOKEN give the name)"
        problems += bad
        lines.append(f"{key}: {what} [{who}]{'  <- problem' if bad else ''}")
    generic = [n for n, k in classified.items() if not k.test_key]
    lines.append(
        f"xray: {len(tests) - len(generic)} of {len(tests)} tests have a Test key; "
        f"{len(generic)} go to Generic Tests (found or created by suite path and name)"
    )
    return lines, problems


def _kinds(keys: list[str], mapping: KeyMap, env: dict[str, str], **http):
    """key -> (issue type or 'requirement' or 'other', exact type name known)."""
    jira_cloud = all(env.get(n) for n in ("JIRA_URL", "JIRA_USER", "JIRA_API_TOKEN"))
    if env.get("XRAY_BASE_URL"):
        dc = xray_from(env, **http)
        assert isinstance(dc, XrayDc)  # XRAY_BASE_URL names Server/DC
        types = dc.issue_types(keys)
        return {k: (t, True) for k, t in types.items()}
    if jira_cloud:
        jira = Http(env["JIRA_URL"], label="jira", secrets=[env["JIRA_API_TOKEN"]], **http)
        jira.session.auth = (env["JIRA_USER"], env["JIRA_API_TOKEN"])
        return {k: (t, True) for k, t in jira_issue_types(jira, "3", keys).items()}
    xray = xray_from(env, **http)
    assert isinstance(xray, XrayCloud)  # no XRAY_BASE_URL: Cloud, or a UsageError above
    found = xray.key_kinds(keys)
    # Neither a Test nor a requirement: Xray cannot tell a Bug from a missing key.
    return {k: (found.get(k, "other or missing"), False) for k in keys} | {
        k: (v, False) for k, v in found.items()
    }


# -- the import ----------------------------------------------------------------------------
def prepare(outputs: list[Path], workdir: Path, mapping: KeyMap, project: str, legacy: bool):
    """The file to upload: shards with file screenshots embedded, merged, key tags rewritten."""
    workdir.mkdir(parents=True, exist_ok=True)
    prepared = []
    embedded = 0
    for index, output in enumerate(outputs, 1):
        target = workdir / f"shard-{index}.xml"
        embedded += embed_screenshots(output, target)
        prepared.append(target)
    merged = merge(prepared, workdir / "merged.xml")
    result = ExecutionResult(str(merged))
    counts = rewrite_tags(result, mapping, project)
    upload = workdir / "output.xml"
    result.save(str(upload))
    if legacy:
        from robot import rebot

        legacy_file = workdir / "output-legacy.xml"
        with open(os.devnull, "w") as sink:
            rebot(
                str(upload),
                output=str(legacy_file),
                legacyoutput=True,
                log="NONE",
                report="NONE",
                stdout=sink,
                stderr=sink,
            )
        upload = legacy_file
    return merged, upload, embedded, counts


def import_safely(xray, xml: bytes, execution: Execution, env, sleep) -> tuple[Imported, str]:
    """The import, sent again only when that cannot make a second Test Execution."""
    for attempt in range(1, IMPORT_TRIES + 1):
        try:
            return xray.import_results(xml, execution, env), ""
        except MaybeSent as lost:
            if attempt == IMPORT_TRIES:
                raise PublishError(
                    f"{lost} — no Test Execution labelled {execution.marker} appeared; "
                    f"gave up after {attempt} imports"
                ) from None
            found = None
            for wait in SETTLE:  # Jira's search is eventually consistent: look a while
                if wait:
                    sleep(wait)
                found = xray.find_execution(execution.marker, execution.project)
                if found:
                    break
            if found:
                note = (
                    f"xray: the import's answer was lost ({lost}), but Xray created Test "
                    f"Execution {found.key} (label {execution.marker}): using it"
                )
                if not found.url:
                    found.url = ""
                return found, note
            print(
                f"xray: the import's answer was lost ({lost}) and no Test Execution labelled "
                f"{execution.marker} appeared within {sum(SETTLE):g} s: importing again",
                file=sys.stderr,
            )
    raise AssertionError("unreachable")


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._")[:80] or "test"


def evidence_of(test: RunTest) -> list[Evidence]:
    """A failed test's evidence (or a passing test the pod monitor tagged ``pod-errors``):
    its pod-log excerpts and, for failures, its embedded screenshots."""
    if not (test.status == "FAIL" or "pod-errors" in test.tags):
        return []
    name = _safe_name(test.name)
    files = [
        Evidence(f"{name}--{pod}.log", "text/plain", redact(text).encode())
        for pod, text in test.pod_logs.items()
    ]
    if test.status == "FAIL":
        for index, (mime, data) in enumerate(test.images, 1):
            extension = mimetypes.guess_extension(mime) or ".png"
            files.append(Evidence(f"{name}--screenshot-{index}{extension}", mime, data))
    return files


def attach_evidence(xray, imported: Imported, tests: list[RunTest], mapping, project, env):
    """Attach each test's evidence to its own run. Returns (files, calls, warnings)."""
    wanted = [(t, evidence_of(t)) for t in tests]
    wanted = [(t, files) for t, files in wanted if files]
    if not wanted:
        return 0, 0, []
    if isinstance(xray, XrayDc):
        runs = xray.test_runs(imported, env.get("XRAY_GENERIC_DEFINITION_FIELD", ""))
    else:
        runs = xray.test_runs(imported)
    files_done = calls = 0
    warnings: list[str] = []
    by_run: dict[str, list[Evidence]] = {}
    for test, files in wanted:
        keys = mapping.classify(test.full_name, test.tags, project)
        run = find_run(runs, keys.test_key, test.full_name, test.name)
        if run is None:
            identity = (
                f"Test {keys.test_key}" if keys.test_key else f"Generic Test '{test.full_name}'"
            )
            warnings.append(
                f"xray: warning: no Test Run of {identity} in {imported.key}; "
                f"{len(files)} evidence file(s) of '{test.full_name}' not attached"
            )
            continue
        if not run.id:
            run.id = xray.run_id(imported, run.test_key)
        by_run.setdefault(run.id, []).extend(files)
    for run_id, files in by_run.items():
        try:
            calls += xray.attach(run_id, files)
            files_done += len(files)
        except MaybeSent as lost:
            warnings.append(f"xray: warning: evidence for run {run_id} may be incomplete: {lost}")
    return files_done, calls, warnings


def write_result(path: Path | None, imported: Imported, marker: str) -> None:
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps(
                {"key": imported.key, "url": imported.url, "id": imported.id, "label": marker}
            )
            + "\n"
        )


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not usage plus traceback
        raise UsageError(f"{message} (see --help)")


def parse(argv: list[str]) -> argparse.Namespace:
    parser = _Parser(
        prog="xray_import.py", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("outputs", nargs="*", type=Path, help="output.xml files (shards merge)")
    parser.add_argument("--project", help="Jira project key (XRAY_PROJECT_KEY)")
    parser.add_argument("--summary", help="Test Execution summary (XRAY_SUMMARY)")
    parser.add_argument(
        "--environment",
        action="append",
        help="test environment, repeatable (XRAY_TEST_ENVIRONMENTS)",
    )
    parser.add_argument("--revision", help="source revision (XRAY_REVISION; default the commit)")
    parser.add_argument("--fix-version", help="fix version (XRAY_FIX_VERSION)")
    parser.add_argument("--test-plan", help="Test Plan key, e.g. PZ-14024 (XRAY_TEST_PLAN)")
    parser.add_argument("--label", action="append", help="label, repeatable (XRAY_LABELS)")
    parser.add_argument("--keys-file", type=Path, help="the key mapping (XRAY_KEYS_FILE)")
    parser.add_argument(
        "--legacyoutput",
        action="store_true",
        help="upload Robot Framework 6 format (rebot --legacyoutput) for older Xray",
    )
    parser.add_argument(
        "--check-only", action="store_true", help="classify every key; import nothing"
    )
    parser.add_argument(
        "--if-configured",
        action="store_true",
        help="without any Xray settings, say so in one line and succeed (CI)",
    )
    parser.add_argument("--workdir", type=Path, default=WORKDIR, help="merged and prepared files")
    parser.add_argument(
        "--result-file", type=Path, help="write the Test Execution key and URL here (JSON)"
    )
    return parser.parse_args(argv)


def run(argv: list[str], env: dict[str, str], **http) -> int:
    args = parse(argv)
    if args.if_configured and not (env.get("XRAY_CLOUD_URL") or env.get("XRAY_BASE_URL")):
        print("xray: not configured (no XRAY_CLOUD_URL or XRAY_BASE_URL): import skipped")
        return 0
    outputs = args.outputs or [DEFAULT_OUTPUT]
    project = (args.project or env.get("XRAY_PROJECT_KEY") or "PZ").upper()
    keys_file = args.keys_file or (
        Path(env["XRAY_KEYS_FILE"]) if env.get("XRAY_KEYS_FILE") else None
    )
    mapping = load_keys(keys_file)
    for output in outputs:
        load(output)  # a missing or broken file is said first, in one line
    if args.check_only:
        tests = collect(merge(outputs, args.workdir / "merged.xml"), project)
        lines, problems = check_keys(tests, mapping, project, env, **http)
        for line in lines:
            print(line)
        print(f"xray: {problems} problem(s)")
        return 1 if problems else 0
    execution = execution_from(args, env)
    xray = xray_from(env, **http)
    merged, upload, embedded, counts = prepare(
        outputs, args.workdir, mapping, project, args.legacyoutput
    )
    tests = collect(merged, project, evidence_dirs=[o.parent for o in outputs])
    if counts["bugs"] or counts["unknown"]:
        unknown = counts["unknown_keys"]
        extra = f"; not in {mapping.source}: {', '.join(unknown[:8])}" if unknown else ""
        print(
            f"xray: left out of the upload: {counts['bugs']} bug key tag(s) and "
            f"{counts['unknown']} unlisted key tag(s){extra} (run --check-only)"
        )
    sleep = http.get("sleep") or time.sleep
    imported, note = import_safely(xray, upload.read_bytes(), execution, env, sleep)
    if note:
        print(note)
    write_result(args.result_file, imported, execution.marker)
    failed = sum(1 for t in tests if t.status == "FAIL")
    print(
        f"xray: imported {len(tests)} tests ({failed} failed; {counts['test_key']} on their "
        f"Test, {counts['generic']} on Generic Tests) from {len(outputs)} file(s) as Test "
        f"Execution {imported.key} {imported.url}".rstrip()
    )
    if isinstance(xray, XrayDc) and execution.test_plan and not env.get("XRAY_TEST_PLAN_FIELD"):
        xray.link_plan(execution.test_plan, imported)
    files, calls, warnings = attach_evidence(xray, imported, tests, mapping, project, env)
    for line in warnings:
        print(line)
    shots = sum(t.screenshots for t in tests)
    print(
        f"xray: evidence: {files} file(s) attached in {calls} call(s); {shots} screenshot(s) in "
        f"the upload ({embedded} embedded from files); {len(warnings)} warning(s)"
    )
    return 0


def main(argv: list[str] | None = None, env: dict[str, str] | None = None, **http) -> int:
    env = dict(os.environ if env is None else env)
    try:
        return run(sys.argv[1:] if argv is None else argv, env, **http)
    except (UsageError, KeysError, ResultsError) as error:
        print(f"xray: {error}", file=sys.stderr)
        return 2
    except PublishError as error:
        print(str(error), file=sys.stderr)
        return 1
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        secrets = [v for k, v in env.items() if k.endswith(("TOKEN", "SECRET"))]
        detail = redact(f"{type(error).__name__}: {error}", secrets)
        print(f"xray: unexpected answer from Xray or Jira ({detail})", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
