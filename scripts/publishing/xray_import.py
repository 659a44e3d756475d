"""Publish Robot Framework results to Jira Xray as a Test Execution, with evidence.

    xray_import.py [OUTPUT_XML ...] [--summary S] [--environment E] [--revision R]
                   [--fix-version V] [--test-plan KEY] [--label L] [--check-only]

Several output.xml files (pabot shards) are merged first with ``rebot --merge``. Failure
screenshots saved as files are embedded so that Xray shows them; the Browser library's
``EMBED`` screenshots already are. Per-test pod-log excerpts (``pod_logs/<suite>/<test>/``)
are attached to the test runs as evidence. Tests map to Xray tests by their ``PZ-*`` tags.

Xray Cloud:   XRAY_CLOUD_URL (your region's Xray API base), XRAY_CLIENT_ID, XRAY_CLIENT_SECRET
Server / DC:  XRAY_BASE_URL (your Jira), XRAY_TOKEN (a personal access token)
Both:         XRAY_PROJECT_KEY, and the Test Execution's fields from flags or the environment:
              XRAY_SUMMARY, XRAY_TEST_ENVIRONMENTS, XRAY_REVISION, XRAY_FIX_VERSION,
              XRAY_TEST_PLAN, XRAY_LABELS (lists are comma-separated)
Server / DC custom fields (their ids differ per instance): XRAY_TEST_PLAN_FIELD,
              XRAY_ENVIRONMENTS_FIELD, XRAY_REVISION_FIELD (e.g. customfield_10201)
--check-only: JIRA_URL, JIRA_USER, JIRA_API_TOKEN (Cloud; without them Xray is asked);
              Server / DC uses XRAY_BASE_URL and XRAY_TOKEN.

Every call has a timeout and is retried on 429 and 5xx (honouring Retry-After). A failure
prints one line; no credential is ever printed.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

from scripts.publishing.http import Http, PublishError, redact
from scripts.publishing.results import (
    ResultsError,
    RunTest,
    collect,
    embed_screenshots,
    load,
    merge,
)

DEFAULT_OUTPUT = Path("results/regression/output.xml")
WORKDIR = Path("results/xray")


class UsageError(RuntimeError):
    """A missing setting: one line naming it."""


def _split(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def ci_context(env: dict[str, str]) -> dict[str, str]:
    """Branch, commit and run URL from GitHub Actions, Jenkins or git."""
    branch = (
        env.get("GITHUB_HEAD_REF")
        or env.get("GITHUB_REF_NAME")
        or env.get("BRANCH_NAME")
        or env.get("GIT_BRANCH")
        or _git("rev-parse", "--abbrev-ref", "HEAD")
        or "unknown"
    )
    commit = env.get("GITHUB_SHA") or env.get("GIT_COMMIT") or _git("rev-parse", "HEAD")
    run_url = env.get("XRAY_RUN_URL") or env.get("BUILD_URL") or ""
    if not run_url and env.get("GITHUB_RUN_ID"):
        run_url = (
            f"{env.get('GITHUB_SERVER_URL', '')}/{env.get('GITHUB_REPOSITORY', '')}"
            f"/actions/runs/{env['GITHUB_RUN_ID']}"
        )
    return {"branch": branch, "commit": commit or "unknown", "run_url": run_url}


@dataclass
class Execution:
    """The Test Execution's fields."""

    project: str
    summary: str
    description: str
    environments: list[str] = field(default_factory=list)
    revision: str = ""
    fix_version: str = ""
    test_plan: str = ""
    labels: list[str] = field(default_factory=list)


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
    environments = args.environment or _split(
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
        labels=args.label or _split(env.get("XRAY_LABELS")),
    )


def _jira_fields(execution: Execution) -> dict:
    fields: dict = {
        "project": {"key": execution.project},
        "summary": execution.summary,
        "description": execution.description,
        "issuetype": {"name": "Test Execution"},
    }
    if execution.labels:
        fields["labels"] = execution.labels
    if execution.fix_version:
        fields["fixVersions"] = [{"name": execution.fix_version}]
    return fields


@dataclass
class Imported:
    id: str
    key: str
    url: str


class XrayCloud:
    """Xray Cloud: API key authentication, multipart import, GraphQL."""

    def __init__(self, base_url: str, client_id: str, client_secret: str, **http) -> None:
        self.http = Http(base_url, label="xray", secrets=[client_id, client_secret], **http)
        self.client_id = client_id
        self.client_secret = client_secret

    def authenticate(self) -> None:
        token = self.http.json(
            "POST",
            "/api/v2/authenticate",
            json={"client_id": self.client_id, "client_secret": self.client_secret},
        )
        if not isinstance(token, str) or not token:
            raise self.http.fail("the authenticate call returned no token")
        self.http.add_secret(token)
        self.http.headers["Authorization"] = f"Bearer {token}"

    def info(self, execution: Execution, env: dict[str, str]) -> dict:
        fields = _jira_fields(execution)
        if execution.revision and env.get("XRAY_REVISION_FIELD"):
            fields[env["XRAY_REVISION_FIELD"]] = execution.revision
        xray_fields: dict = {}
        if execution.test_plan:
            xray_fields["testPlanKey"] = execution.test_plan
        if execution.environments:
            xray_fields["environments"] = execution.environments
        return {"fields": fields, "xrayFields": xray_fields}

    def import_results(self, output: Path, execution: Execution, env: dict[str, str]) -> Imported:
        self.authenticate()
        info = self.info(execution, env)
        # Bytes, not an open file: a retried request must send the whole file again.
        body = self.http.json(
            "POST",
            "/api/v2/import/execution/robot/multipart",
            files={
                "results": ("output.xml", output.read_bytes(), "application/xml"),
                "info": ("info.json", json.dumps(info), "application/json"),
            },
        )
        key = body.get("key", "")
        if not key:
            raise self.http.fail(f"the import answered without a Test Execution key: {body}")
        url = body.get("self", "")
        if url:
            parts = urlsplit(url)
            url = f"{parts.scheme}://{parts.netloc}/browse/{key}"
        return Imported(str(body.get("id", "")), key, url)

    def graphql(self, query: str, variables: dict) -> dict:
        body = self.http.json(
            "POST", "/api/v2/graphql", json={"query": query, "variables": variables}
        )
        if body.get("errors"):
            message = "; ".join(str(e.get("message", e)) for e in body["errors"])
            raise self.http.fail(f"GraphQL: {message}")
        return body.get("data") or {}

    def test_runs(self, imported: Imported) -> dict[str, str]:
        query = (
            "query($id: String, $start: Int) { getTestExecution(issueId: $id) {"
            " testRuns(limit: 100, start: $start) { total results { id"
            ' test { jira(fields: ["key"]) } } } } }'
        )
        runs: dict[str, str] = {}
        start = 0
        while True:
            data = self.graphql(query, {"id": imported.id, "start": start})
            page = (data.get("getTestExecution") or {}).get("testRuns") or {}
            results = page.get("results") or []
            for run in results:
                runs[run["test"]["jira"]["key"]] = run["id"]
            start += len(results)
            if not results or start >= page.get("total", 0):
                return runs

    def attach(self, run_id: str, filename: str, text: str) -> None:
        query = (
            "mutation($id: String!, $evidence: [AttachmentDataInput]!) {"
            " addEvidenceToTestRun(id: $id, evidence: $evidence) { addedEvidence warnings } }"
        )
        evidence = {
            "filename": filename,
            "mimeType": "text/plain",
            "data": base64.b64encode(text.encode()).decode(),
        }
        self.graphql(query, {"id": run_id, "evidence": [evidence]})

    def test_types(self, keys: list[str]) -> dict[str, str]:
        """Which of ``keys`` are Xray tests (the others are missing or not Test issues)."""
        query = (
            "query($jql: String, $start: Int) { getTests(jql: $jql, limit: 100, start: $start) {"
            ' total results { jira(fields: ["key"]) } } }'
        )
        found: dict[str, str] = {}

        def ask(batch: list[str]) -> None:
            data = self.graphql(query, {"jql": f"key in ({','.join(batch)})", "start": 0})
            for test in (data.get("getTests") or {}).get("results") or []:
                found[test["jira"]["key"]] = "Test"

        for i in range(0, len(keys), 100):
            batch = keys[i : i + 100]
            try:
                ask(batch)
            except PublishError as error:
                if "GraphQL" not in str(error):
                    raise
                # JQL refuses the whole query when one key does not exist: one key at a time.
                for key in batch:
                    try:
                        ask([key])
                    except PublishError as single:
                        if "GraphQL" not in str(single):
                            raise
        return found

    def plan_tests(self, plan: str) -> list[str]:
        query = (
            "query($jql: String, $start: Int) { getTestPlans(jql: $jql, limit: 1) {"
            " results { tests(limit: 100, start: $start) {"
            ' total results { jira(fields: ["key"]) } } } } }'
        )
        self.authenticate()
        keys: list[str] = []
        start = 0
        while True:
            data = self.graphql(query, {"jql": f"key = {plan}", "start": start})
            plans = (data.get("getTestPlans") or {}).get("results") or []
            if not plans:
                raise self.http.fail(f"{plan} is not a Test Plan (or not visible to this API key)")
            page = plans[0].get("tests") or {}
            results = page.get("results") or []
            keys += [t["jira"]["key"] for t in results]
            start += len(results)
            if not results or start >= page.get("total", 0):
                return keys


class XrayServer:
    """Xray Server / Data Center: personal access token, multipart import, REST."""

    def __init__(self, base_url: str, token: str, **http) -> None:
        self.http = Http(base_url, label="xray", secrets=[token], **http)
        self.http.headers["Authorization"] = f"Bearer {token}"

    def info(self, execution: Execution, env: dict[str, str]) -> dict:
        fields = _jira_fields(execution)
        if execution.test_plan and env.get("XRAY_TEST_PLAN_FIELD"):
            fields[env["XRAY_TEST_PLAN_FIELD"]] = [execution.test_plan]
        if execution.environments and env.get("XRAY_ENVIRONMENTS_FIELD"):
            fields[env["XRAY_ENVIRONMENTS_FIELD"]] = execution.environments
        if execution.revision and env.get("XRAY_REVISION_FIELD"):
            fields[env["XRAY_REVISION_FIELD"]] = execution.revision
        return {"fields": fields}

    def import_results(self, output: Path, execution: Execution, env: dict[str, str]) -> Imported:
        if execution.environments and not env.get("XRAY_ENVIRONMENTS_FIELD"):
            print(
                "xray: note: set XRAY_ENVIRONMENTS_FIELD to the Test Environments custom field"
                " id to record environments on Server/DC",
                file=sys.stderr,
            )
        info = json.dumps(self.info(execution, env))
        body = self.http.json(
            "POST",
            "/rest/raven/2.0/import/execution/robot/multipart",
            files={
                "file": ("output.xml", output.read_bytes(), "application/xml"),
                "info": ("info.json", info, "application/json"),
            },
        )
        issue = body.get("testExecIssue") or {}
        key = issue.get("key", "")
        if not key:
            raise self.http.fail(f"the import answered without a Test Execution key: {body}")
        if execution.test_plan and not env.get("XRAY_TEST_PLAN_FIELD"):
            self.http.request(
                "POST",
                f"/rest/raven/1.0/api/testplan/{quote(execution.test_plan)}/testexecution",
                expect=(200, 201, 204),
                json={"add": [key]},
            )
        return Imported(str(issue.get("id", "")), key, f"{self.http.base_url}/browse/{key}")

    def test_runs(self, imported: Imported, keys: list[str]) -> dict[str, str]:
        runs: dict[str, str] = {}
        for key in keys:
            run = self.http.json(
                "GET",
                "/rest/raven/2.0/api/testrun",
                params={"testExecIssueKey": imported.key, "testIssueKey": key},
            )
            if isinstance(run, dict) and run.get("id") is not None:
                runs[key] = str(run["id"])
        return runs

    def attach(self, run_id: str, filename: str, text: str) -> None:
        self.http.request(
            "POST",
            f"/rest/raven/2.0/api/testrun/{quote(run_id)}/attachment",
            expect=(200, 201, 204),
            json={
                "data": base64.b64encode(text.encode()).decode(),
                "filename": filename,
                "contentType": "text/plain",
            },
        )

    def test_types(self, keys: list[str]) -> dict[str, str]:
        return jira_issue_types(self.http, "2", keys)

    def plan_tests(self, plan: str) -> list[str]:
        keys: list[str] = []
        page = 1
        while True:
            tests = self.http.json(
                "GET",
                f"/rest/raven/1.0/api/testplan/{quote(plan)}/test",
                params={"page": page, "limit": 100},
            )
            keys += [t["key"] for t in tests]
            if len(tests) < 100:
                return keys
            page += 1


def jira_issue_types(http: Http, api: str, keys: list[str]) -> dict[str, str]:
    """Issue type name per existing key (missing keys are left out)."""
    types: dict[str, str] = {}
    for key in keys:
        response = http.request(
            "GET",
            f"/rest/api/{api}/issue/{quote(key)}",
            params={"fields": "issuetype"},
            expect=(200, 404),
        )
        if response.status_code == 200:
            types[key] = response.json()["fields"]["issuetype"]["name"]
    return types


def xray_from(env: dict[str, str], **http):
    """The Xray client the environment asks for, or a UsageError naming what is missing."""
    if env.get("XRAY_BASE_URL"):
        if not env.get("XRAY_TOKEN"):
            raise UsageError(
                "set XRAY_TOKEN (a personal access token) to publish to Xray Server/DC"
            )
        return XrayServer(env["XRAY_BASE_URL"], env["XRAY_TOKEN"], **http)
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


def check_mapping(tests: list[RunTest], env: dict[str, str], **http) -> list[str]:
    """One line per test whose key does not exist or is not a Test issue."""
    keys = sorted({key for test in tests for key in test.keys})
    if not keys:
        return []
    if env.get("XRAY_BASE_URL") or not all(
        env.get(n) for n in ("JIRA_URL", "JIRA_USER", "JIRA_API_TOKEN")
    ):
        xray = xray_from(env, **http)
        if isinstance(xray, XrayCloud):
            xray.authenticate()
        types = xray.test_types(keys)
        cloud_xray_only = isinstance(xray, XrayCloud)
    else:
        jira = Http(env["JIRA_URL"], label="jira", secrets=[env["JIRA_API_TOKEN"]], **http)
        jira.session.auth = (env["JIRA_USER"], env["JIRA_API_TOKEN"])
        types = jira_issue_types(jira, "3", keys)
        cloud_xray_only = False
    problems = []
    for test in tests:
        for key in test.keys:
            kind = types.get(key)
            if kind == "Test":
                continue
            if cloud_xray_only:
                why = "does not exist or is not a Test issue"
            elif kind is None:
                why = "does not exist"
            else:
                why = f"is a {kind}, not a Test issue"
            problems.append(f"{key}: {why} (test '{test.full_name}')")
    return problems


def _file_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._")[:80] or "test"


def attach_pod_logs(xray, imported: Imported, tests: list[RunTest]) -> int:
    """Attach the pod-log excerpts of failed tests (and of tests the pod monitor tagged
    ``pod-errors``) to their test runs; return how many files."""
    wanted = [
        t for t in tests if t.pod_logs and t.keys and (t.status == "FAIL" or "pod-errors" in t.tags)
    ]
    if not wanted:
        return 0
    keys = sorted({t.keys[0] for t in wanted})
    runs = (
        xray.test_runs(imported, keys) if isinstance(xray, XrayServer) else xray.test_runs(imported)
    )
    attached = 0
    for test in wanted:
        run_id = runs.get(test.keys[0])
        if run_id is None:
            continue
        for pod, text in test.pod_logs.items():
            # Several Robot tests may share one Xray test run: the file names say whose it is.
            xray.attach(run_id, f"{_file_name(test.name)}--{pod}.log", text)
            attached += 1
    return attached


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
    parser.add_argument(
        "--check-only", action="store_true", help="only list tests whose key is not a Test issue"
    )
    parser.add_argument("--workdir", type=Path, default=WORKDIR, help="merged and prepared files")
    parser.add_argument(
        "--result-file", type=Path, help="write the Test Execution key and URL here (JSON)"
    )
    return parser.parse_args(argv)


def run(argv: list[str], env: dict[str, str], **http) -> int:
    args = parse(argv)
    outputs = args.outputs or [DEFAULT_OUTPUT]
    prefix = (args.project or env.get("XRAY_PROJECT_KEY") or "PZ").upper()
    for output in outputs:
        load(output)  # a missing or broken file is said first, in one line
    if args.check_only:
        tests = collect(merge(outputs, args.workdir / "merged.xml"), prefix)
        problems = check_mapping(tests, env, **http)
        for line in problems:
            print(line)
        keyed = sum(1 for t in tests if t.keys)
        print(
            f"xray: {keyed} of {len(tests)} tests have a {prefix}-* key; "
            f"{len(problems)} mapping problem(s)"
        )
        return 1 if problems else 0
    execution = execution_from(args, env)
    xray = xray_from(env, **http)
    args.workdir.mkdir(parents=True, exist_ok=True)
    prepared = []
    screenshots = 0
    for index, output in enumerate(outputs, 1):
        target = args.workdir / f"shard-{index}.xml"
        screenshots += embed_screenshots(output, target)
        prepared.append(target)
    final = merge(prepared, args.workdir / "output.xml")
    tests = collect(final, prefix, evidence_dirs=[o.parent for o in outputs])
    imported = xray.import_results(final, execution, env)
    attached = attach_pod_logs(xray, imported, tests)
    shots = sum(t.screenshots for t in tests)
    failed = sum(1 for t in tests if t.status == "FAIL")
    print(
        f"xray: imported {len(tests)} tests ({failed} failed) from {len(outputs)} file(s) as "
        f"Test Execution {imported.key} {imported.url}".rstrip()
    )
    print(
        f"xray: evidence: {shots} embedded screenshot(s) ({screenshots} embedded from files), "
        f"{attached} pod-log excerpt(s) attached"
    )
    if args.result_file:
        args.result_file.parent.mkdir(parents=True, exist_ok=True)
        args.result_file.write_text(
            json.dumps({"key": imported.key, "url": imported.url, "id": imported.id}) + "\n"
        )
    return 0


def main(argv: list[str] | None = None, env: dict[str, str] | None = None, **http) -> int:
    try:
        return run(
            sys.argv[1:] if argv is None else argv, dict(os.environ if env is None else env), **http
        )
    except UsageError as error:
        print(f"xray: {error}", file=sys.stderr)
        return 2
    except ResultsError as error:
        print(f"xray: {error}", file=sys.stderr)
        return 2
    except PublishError as error:
        print(str(error), file=sys.stderr)
        return 1
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        secrets = [v for k, v in (env or os.environ).items() if k.endswith(("TOKEN", "SECRET"))]
        detail = redact(f"{type(error).__name__}: {error}", secrets)
        print(f"xray: unexpected answer from Xray or Jira ({detail})", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
