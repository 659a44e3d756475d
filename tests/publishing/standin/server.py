"""A loopback stand-in of Xray Cloud, Xray Server/DC and Jira (Cloud and DC), written from
the vendors' documentation and published samples, not from the client it checks.

Each endpoint's docstring names the page it follows. When a page did not say something the
stand-in needs, the docstring says so and what the stand-in does. Pages (as read for this
rewrite; the exact texts quoted are in docs/xray.md):

- [AUTH] Xray Cloud "Authentication - REST v2" and Xray-App/xray-code-snippets
  ``import_results_robot_multipart_cloud.py``: POST ``/api/v2/authenticate`` with
  ``{"client_id", "client_secret"}`` answers the token as a JSON string.
- [IMPORT-CLOUD] "Import Execution Results - REST v2" (Cloud), Robot Framework multipart:
  parts ``results`` and ``info`` (xray-code-snippets ``import_results_robot_multipart_cloud.py``);
  the answer ``{"id", "key", "self"}`` (the page's example, quoted in
  Qytera-Gmbh/cypress-xray-plugin#383).
- [IMPORT-DC] "Import Execution Results - REST" (Server/DC): ``/rest/raven/2.0/import/
  execution/robot/multipart`` with parts ``file`` and ``info`` (xray-code-snippets
  ``import_results_robot_multipart.py``); the answer ``{"testExecIssue": {"id", "key",
  "self"}}`` (the page's example, quoted in cypress-xray-plugin#383).
- [ROBOT] and the other rules of what an import makes: ``robot_import.py``.
- [GRAPHQL]: ``graphql_api.py``.
- [TESTRUNS] "Test Runs - REST" (Server/DC): ``GET /rest/raven/1.0/api/testrun?
  testExecIssueKey=..&testIssueKey=..`` answers the run (``id``, ``status``, ``testKey``,
  ``testExecKey`` ...); its example output is used as the answer's shape.
- [EXPORT] "Export Execution Results - REST" (Server/DC): ``GET /rest/raven/1.0/testruns?
  testExecKey=..`` lists the runs of an execution (``testKey``, ``status``, ``type`` ...);
  "this endpoint may be paginated" (``page``, ``limit``).
- [PLANS] "Test Plans - REST" (Server/DC): ``POST /rest/raven/1.0/api/testplan/{key}/
  testexecution`` with ``{"add": [...]}`` — "Return error messages if there are any": the
  answer is 200 with a list of messages, empty when all went well.
- [RATE] XRAYCLOUD-1399 (https://jira.getxray.app/browse/XRAYCLOUD-1399), "Whenever Xray
  returns 429 - Too Many Requests HTTP error, a header must be provided ... with the
  'Retry-After' period": a request to Xray to add the header, i.e. 429s came without it.
  :meth:`Standin.fault` sends 429 with or without ``Retry-After``.
- [RECONCILE] Atlassian, "Search After Write with Search And Reconcile"
  (https://developer.atlassian.com/cloud/jira/platform/search-and-reconcile/): Jira
  Cloud's ``search/jql`` "doesn't provide read-after-write consistency by default ... may
  return stale or outdated data ... for some time"; ``reconcileIssues`` (at most 50 issue
  ids) makes the listed issues consistent. The stand-in hides an issue created or changed
  less than ``search_lag`` seconds ago (on its clock) from Cloud searches unless its id is in
  ``reconcileIssues``. Jira Server/DC's ``/rest/api/2/search`` is not on that page; it is
  consistent here.
- [JIRA] Jira REST: issue GET/POST, comment POST, ``serverInfo``; on Jira Cloud the old
  ``/rest/api/{2,3}/search`` is gone (410) and ``search/jql`` pages with ``nextPageToken``.

Scope: one process, one port, all roles; a test starts one instance per host it needs.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from requests.structures import CaseInsensitiveDict

from tests.publishing.standin import graphql_api, robot_import


class ManualClock:
    """A clock that moves only when someone sleeps on it (pass ``sleep=clock.sleep`` to the
    client): eventual consistency and back-off become exact and instant in tests."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: CaseInsensitiveDict
    body: bytes

    def json(self):
        return json.loads(self.body)

    def text(self) -> str:
        return f"{self.method} {self.path} {self.query} {dict(self.headers)} " + self.body.decode(
            errors="replace"
        )


@dataclass
class Issue:
    key: str
    type: str
    id: str = ""
    summary: str = ""
    labels: list[str] = field(default_factory=list)
    status: str = "Open"
    done: bool = False
    fields: dict = field(default_factory=dict)
    comments: list = field(default_factory=list)
    test_type: str = "Manual"  # for Tests: "Generic" for the ones a Robot import creates
    definition: str | None = None  # Generic Test Definition
    links: list[str] = field(default_factory=list)  # requirement keys this Test covers
    changed_at: float = 0.0


@dataclass
class Run:
    id: str
    exec_key: str
    test_key: str
    status: str
    robot_tests: list[str] = field(default_factory=list)
    evidence: list[dict] = field(default_factory=list)


class Standin:
    """Xray Cloud + Xray Server/DC + Jira (Cloud or Server) on 127.0.0.1, one free port."""

    def __init__(
        self,
        *,
        deployment: str = "Cloud",
        project: str = "PZ",
        client_id: str = "client-id-0001",
        client_secret: str = "client-secret-0001",
        pat: str = "dc-pat-0001",
        jira_user: str = "qa@example.invalid",
        jira_token: str = "jira-api-token-0001",
        clock: Callable[[], float] | None = None,
        search_lag: float = 5.0,
        newest_schema: int | None = None,
        requirement_types: tuple[str, ...] = ("Story", "Epic", "Requirement"),
    ) -> None:
        self.deployment = deployment  # Jira serverInfo: "Cloud" or "Server"
        self.project = project
        self.client_id, self.client_secret = client_id, client_secret
        self.pat = pat
        self.jira_basic = base64.b64encode(f"{jira_user}:{jira_token}".encode()).decode()
        self.clock = clock or ManualClock()
        self.search_lag = search_lag
        self.newest_schema = newest_schema
        self.requirement_types = set(requirement_types)
        self.tokens: set[str] = set()
        self.requests: list[Recorded] = []
        self.issues: dict[str, Issue] = {}
        self.plans: dict[str, list[str]] = {}
        self.runs: dict[str, Run] = {}
        self.imports: list[dict] = []
        self.faults: list[dict] = []
        self.after_import: Callable[[str], None] | None = None  # a test's hook (exec key)
        self._ids = itertools.count(10001)
        self._lock = threading.RLock()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                url = urlsplit(self.path)
                headers = CaseInsensitiveDict(self.headers.items())
                record = Recorded(self.command, url.path, parse_qs(url.query), headers, body)
                with standin._lock:
                    standin.requests.append(record)
                    status, extra, payload, delay = standin.answer(record)
                if delay:  # the work is done; the answer comes too late for the client
                    time.sleep(delay)
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    for name, value in extra.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (its read timeout)

            do_GET = do_POST = do_PUT = _handle

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- life cycle ------------------------------------------------------------------------
    def __enter__(self) -> Standin:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- test set-up -----------------------------------------------------------------------
    def new_key(self) -> str:
        return f"{self.project}-{next(self._ids)}"

    def add_issue(self, key: str, type_: str, *, fresh: bool = False, **kwargs) -> Issue:
        """An issue that exists since long ago (set-up), or ``fresh``: just created, which
        Jira Cloud's search does not see for ``search_lag`` seconds ([RECONCILE])."""
        changed = self.clock() if fresh else float("-inf")
        issue = Issue(key, type_, id=str(next(self._ids)), changed_at=changed, **kwargs)
        self.issues[key] = issue
        return issue

    def add_test(self, key: str, summary: str = "", **kwargs) -> Issue:
        return self.add_issue(key, "Test", summary=summary, **kwargs)

    def fault(
        self,
        path: str,
        status: int,
        times: int = 1,
        retry_after: str | None = None,
        body=None,
        after_work: float = 0.0,
    ) -> None:
        """The next ``times`` requests whose path starts with ``path`` answer ``status``.

        ``retry_after=None`` sends no ``Retry-After`` ([RATE]). ``body`` may be a function of
        the recorded request. ``after_work=s``: the request is processed as usual and its
        answer is sent ``s`` seconds late (a client with a shorter read timeout gives up
        although the server did the work), ``status`` is then ignored.
        """
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        self.faults.append(
            {
                "path": path,
                "status": status,
                "times": times,
                "headers": headers,
                "body": body if body is not None else {"error": f"stand-in fault {status}"},
                "after_work": after_work,
            }
        )

    def seen(self, method: str, prefix: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.startswith(prefix)]

    def all_text(self) -> str:
        return "\n".join(r.text() for r in self.requests)

    def runs_of(self, exec_key: str) -> dict[str, Run]:
        """Test key -> run, for one Test Execution."""
        return {r.test_key: r for r in self.runs.values() if r.exec_key == exec_key}

    # -- dispatch --------------------------------------------------------------------------
    def answer(self, r: Recorded):
        for fault in self.faults:
            if fault["times"] > 0 and r.path.startswith(fault["path"]):
                fault["times"] -= 1
                if fault["after_work"]:
                    status, headers, payload = self.route(r)
                    return status, headers, payload, fault["after_work"]
                body = fault["body"](r) if callable(fault["body"]) else fault["body"]
                return fault["status"], fault["headers"], body, 0.0
        return (*self.route(r), 0.0)

    def route(self, r: Recorded):
        path = r.path
        if path == "/api/v2/authenticate":
            return self.authenticate(r)
        if path.startswith("/api/v2/"):
            if r.headers.get("Authorization", "").removeprefix("Bearer ") not in self.tokens:
                return 401, {}, {"error": "Authentication failed. Invalid token!"}
            if path == "/api/v2/import/execution/robot/multipart" and r.method == "POST":
                return self.import_cloud(r)
            if path == "/api/v2/graphql" and r.method == "POST":
                return 200, {}, graphql_api.execute(self, r.body)
        if path.startswith("/rest/raven/"):
            if r.headers.get("Authorization") != f"Bearer {self.pat}":
                return 401, {}, {"error": "You are not authorized to access this resource."}
            return self.raven(r)
        if path.startswith("/rest/api/"):
            if not self.jira_authorised(r):
                return 401, {}, {"errorMessages": ["You are not authenticated."], "errors": {}}
            return self.jira(r)
        return 404, {}, {"error": f"no route {r.method} {path}"}

    # -- Xray: authentication and import ---------------------------------------------------
    def authenticate(self, r: Recorded):
        """[AUTH]: the token is the body, a JSON string; a wrong key is 401."""
        try:
            creds = r.json()
        except ValueError:
            return 400, {}, {"error": "Invalid request body"}
        if (creds.get("client_id"), creds.get("client_secret")) != (
            self.client_id,
            self.client_secret,
        ):
            return 401, {}, {"error": "Authentication failed. Invalid client credentials!"}
        token = f"xray-token-{next(self._ids)}"
        self.tokens.add(token)
        return 200, {}, token

    @staticmethod
    def multipart(r: Recorded) -> dict[str, bytes]:
        head = f"Content-Type: {r.headers.get('Content-Type', '')}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + r.body)
        if not message.is_multipart():
            return {}
        return {
            part.get_param("name", header="content-disposition"): part.get_payload(decode=True)
            for part in message.iter_parts()
        }

    def _import(self, results: bytes | None, info: bytes | None, plan_field: str | None):
        """A Robot import, shared by Cloud and DC: 400 ``{"error"}`` or the new execution."""
        if not results:
            return 400, {"error": "No results file was provided!"}
        try:
            info_json = json.loads(info) if info else {}
        except ValueError as error:
            return 400, {"error": f"Error parsing the info file: {error}"}
        fields = info_json.get("fields", {})
        if not fields.get("project", {}).get("key"):
            return 400, {"error": "Error creating Test Execution - project: project is required"}
        plan = (info_json.get("xrayFields") or {}).get("testPlanKey")
        if plan_field and fields.get(plan_field):
            plan = fields[plan_field][0]
        if plan and plan not in self.plans:
            return 400, {"error": f"Test Plan with key {plan} not found."}
        try:
            parsed = robot_import.parse(results, newest_schema=self.newest_schema)
            outcome = robot_import.apply(
                parsed,
                self.issues,
                project=self.project,
                requirement_types=self.requirement_types,
                new_generic=self._new_generic,
            )
        except robot_import.ImportRefused as refused:
            return 400, {"error": str(refused)}
        key = self.new_key()
        execution = self.add_issue(
            key,
            "Test Execution",
            fresh=True,
            summary=fields.get("summary", ""),
            labels=list(fields.get("labels", [])),
        )
        execution.fields = fields
        for test_key, tests in outcome.runs.items():
            run = Run(
                str(next(self._ids)),
                key,
                test_key,
                robot_import.run_status(tests),
                robot_tests=[t.definition for t in tests],
            )
            self.runs[run.id] = run
        for test_key, requirement in outcome.links:
            links = self.issues[test_key].links
            if requirement not in links:
                links.append(requirement)
        if plan:
            self.plans[plan] = list(dict.fromkeys([*self.plans[plan], *outcome.runs]))
            self.issues[plan].fields.setdefault("executions", []).append(key)
        if self.after_import is not None:
            self.after_import(key)
        self.imports.append(
            {
                "key": key,
                "info": info_json,
                "xml": results,
                "tests": [t.definition for t in parsed.tests],
                "created_generic": outcome.created_generic,
            }
        )
        return 200, {"id": execution.id, "key": key}

    def _new_generic(self, summary: str, definition: str) -> str:
        key = self.new_key()
        self.add_issue(
            key, "Test", fresh=True, summary=summary, test_type="Generic", definition=definition
        )
        return key

    def import_cloud(self, r: Recorded):
        """[IMPORT-CLOUD]: parts ``results`` and ``info``; ``{"id", "key", "self"}``."""
        parts = self.multipart(r)
        status, body = self._import(parts.get("results"), parts.get("info"), None)
        if status == 200:
            body["self"] = f"{self.url}/rest/api/2/issue/{body['id']}"
        return status, {}, body

    # -- Xray Server/DC --------------------------------------------------------------------
    def raven(self, r: Recorded):
        path = r.path
        if path == "/rest/raven/2.0/import/execution/robot/multipart" and r.method == "POST":
            # [IMPORT-DC]: parts ``file`` and ``info``; the Test Plan is a custom field whose
            # id differs per instance (customfield_11807 in the snippet): a test sets the
            # stand-in's ``plan_field`` to play an instance that has one.
            parts = self.multipart(r)
            status, body = self._import(
                parts.get("file"), parts.get("info"), getattr(self, "plan_field", None)
            )
            if status == 200:
                body = {
                    "testExecIssue": {**body, "self": f"{self.url}/rest/api/2/issue/{body['id']}"}
                }
            return status, {}, body
        if path.rstrip("/") == "/rest/raven/1.0/api/testrun" and r.method == "GET":
            # [TESTRUNS]: the run of one Test in one Test Execution.
            exec_key = r.query.get("testExecIssueKey", [""])[0]
            test_key = r.query.get("testIssueKey", [""])[0]
            run = self.runs_of(exec_key).get(test_key)
            if run is None:
                return 404, {}, {"error": "Test run not found"}
            return 200, {}, self.run_json(run)
        if path == "/rest/raven/1.0/testruns" and r.method == "GET":
            # [EXPORT]: the runs of an execution, paginated.
            exec_key = r.query.get("testExecKey", [""])[0]
            if exec_key not in self.issues:
                return 400, {}, {"error": f"Test Execution with key {exec_key} not found."}
            limit = int(r.query.get("limit", ["100"])[0])
            page = int(r.query.get("page", ["1"])[0])
            runs = [self.export_json(run) for run in self.runs.values() if run.exec_key == exec_key]
            return 200, {}, runs[(page - 1) * limit : page * limit]
        match = re.fullmatch(r"/rest/raven/1.0/api/testrun/(\d+)/attachment", path)
        if match and r.method == "POST":
            run = self.runs.get(match.group(1))
            if run is None:
                return 404, {}, {"error": "Test run not found"}
            body = r.json()
            if not all(body.get(k) for k in ("data", "filename", "contentType")):
                return 400, {}, {"error": "data, filename and contentType are required"}
            run.evidence.append(body)
            return 200, {}, [{"id": next(self._ids), "fileName": body["filename"]}]
        match = re.fullmatch(
            r"/rest/raven/1.0/api/testplan/([A-Z]+-\d+)/(test|testexecution)", path
        )
        if match:
            plan, what = match.groups()
            if plan not in self.plans:
                return 400, {}, {"error": f"Test Plan with key {plan} not found."}
            if what == "test" and r.method == "GET":
                page = int(r.query.get("page", ["1"])[0])
                limit = int(r.query.get("limit", ["100"])[0])
                keys = self.plans[plan][(page - 1) * limit : page * limit]
                return 200, {}, [{"key": k, "id": int(self.issues[k].id)} for k in keys]
            if what == "testexecution" and r.method == "POST":
                # [PLANS]: 200 and a list of error messages ("if there are any").
                errors = []
                for key in r.json().get("add", []):
                    issue = self.issues.get(key)
                    if issue is None or issue.type != "Test Execution":
                        errors.append(f"Issue with key {key} is not a Test Execution.")
                    else:
                        self.issues[plan].fields.setdefault("executions", []).append(key)
                return 200, {}, errors
        return 404, {}, {"error": f"no route {r.method} {path}"}

    def run_json(self, run: Run) -> dict:
        """[TESTRUNS] example output's fields."""
        return {
            "id": int(run.id),
            "status": run.status,
            "testKey": run.test_key,
            "testExecKey": run.exec_key,
            "evidences": [{"fileName": e.get("filename")} for e in run.evidence],
        }

    def export_json(self, run: Run) -> dict:
        """[EXPORT] example output's fields (``testKey``, ``status``, ``type``)."""
        issue = self.issues[run.test_key]
        return {"testKey": run.test_key, "status": run.status, "type": issue.test_type}

    # -- Jira ------------------------------------------------------------------------------
    def jira_authorised(self, r: Recorded) -> bool:
        auth = r.headers.get("Authorization", "")
        if self.deployment == "Cloud":
            return auth == f"Basic {self.jira_basic}"
        return auth == f"Bearer {self.pat}"

    def jira(self, r: Recorded):
        match = re.fullmatch(r"/rest/api/(2|3|latest)/(.*)", r.path)
        if not match:
            return 404, {}, {"errorMessages": ["no such API"]}
        api, rest = match.groups()
        if rest == "serverInfo":
            return 200, {}, {"versionNumbers": [10, 3, 0], "deploymentType": self.deployment}
        if rest == "field":
            return 200, {}, []
        if rest in ("search", "search/jql"):
            return self.search(r, api, rest)
        match = re.fullmatch(r"issue/([A-Z]+-\d+)", rest)
        if match and r.method == "GET":
            issue = self.issues.get(match.group(1))
            if issue is None:
                return (
                    404,
                    {},
                    {
                        "errorMessages": [
                            "Issue does not exist or you do not have permission to see it."
                        ],
                        "errors": {},
                    },
                )
            return 200, {}, self.issue_json(issue)
        if rest == "issue" and r.method == "POST":
            fields = r.json()["fields"]
            if not fields.get("summary"):
                return (
                    400,
                    {},
                    {
                        "errorMessages": [],
                        "errors": {"summary": "You must specify a summary of the issue."},
                    },
                )
            key = self.new_key()
            issue = self.add_issue(
                key,
                fields["issuetype"]["name"],
                fresh=True,
                summary=fields["summary"],
                labels=list(fields.get("labels", [])),
            )
            issue.fields = fields
            return (
                201,
                {},
                {"id": issue.id, "key": key, "self": f"{self.url}/rest/api/{api}/issue/{issue.id}"},
            )
        match = re.fullmatch(r"issue/([A-Z]+-\d+)/comment", rest)
        if match and r.method == "POST":
            issue = self.issues.get(match.group(1))
            if issue is None:
                return 404, {}, {"errorMessages": ["Issue does not exist"], "errors": {}}
            issue.comments.append(r.json()["body"])
            issue.changed_at = self.clock()
            return 201, {}, {"id": str(next(self._ids)), "body": r.json()["body"]}
        return 404, {}, {"errorMessages": [f"no route {r.method} {r.path}"]}

    def issue_json(self, issue: Issue) -> dict:
        return {
            "id": issue.id,
            "key": issue.key,
            "self": f"{self.url}/rest/api/2/issue/{issue.id}",
            "fields": {
                "issuetype": {"name": issue.type},
                "summary": issue.summary,
                "labels": issue.labels,
                "status": {
                    "name": "Done" if issue.done else issue.status,
                    "statusCategory": {"key": "done" if issue.done else "new"},
                },
            },
        }

    def search(self, r: Recorded, api: str, rest: str):
        """[JIRA] + [RECONCILE]: Cloud serves only ``search/jql`` (eventually consistent);
        Server/DC serves ``/rest/api/2/search`` (``startAt``/``total``)."""
        cloud = self.deployment == "Cloud"
        if cloud != (rest == "search/jql"):
            return 410, {}, {"errorMessages": ["This search API is not served here."]}
        if r.method == "POST":
            params = r.json()
            reconcile = {str(i) for i in params.get("reconcileIssues") or []}
        else:
            params = {k: v[0] for k, v in r.query.items()}
            reconcile = {i for v in r.query.get("reconcileIssues", []) for i in v.split(",")}
        if len(reconcile) > 50:
            return 400, {}, {"errorMessages": ["reconcileIssues accepts at most 50 issue ids"]}
        try:
            hits = self.jql_search(params.get("jql", ""), consistent=not cloud, reconcile=reconcile)
        except ValueError as error:
            return 400, {}, {"errorMessages": [str(error)], "errors": {}}
        body: dict = {"issues": [self.issue_json(i) for i in hits]}
        if cloud:
            body["isLast"] = True
        else:
            body.update({"startAt": 0, "maxResults": 50, "total": len(hits)})
        return 200, {}, body

    def jql_search(
        self, jql: str, *, consistent: bool, reconcile: set[str] | None = None
    ) -> list[Issue]:
        """The issues a (small) JQL selects: ``project``, ``key``/``key in``, ``issuetype``,
        ``labels``, ``statusCategory != Done``. A key that does not exist refuses the query,
        as Jira does ("An issue with key 'X' does not exist for field 'key'.")."""
        text = unquote(jql)
        keys = re.findall(r"\b[A-Z][A-Z0-9]+-\d+\b", text)
        if re.search(r"\bkey\b", text, re.I):
            for key in keys:
                if key not in self.issues:
                    raise ValueError(f"An issue with key '{key}' does not exist for field 'key'.")
        labels = re.findall(r'labels\s*=\s*"?([^"\s)]+)"?', text)
        type_ = re.search(r'issuetype\s*=\s*"?([\w ]+?)"?(?:\s+AND|\s+ORDER|\s*$|\))', text)
        project = re.search(r'project\s*=\s*"?(\w+)"?', text)
        open_only = "statusCategory != Done" in text
        now = self.clock()
        reconcile = reconcile or set()
        found = []
        for issue in self.issues.values():
            if re.search(r"\bkey\b", text, re.I) and issue.key not in keys:
                continue
            if project and not issue.key.startswith(project.group(1) + "-"):
                continue
            if type_ and issue.type != type_.group(1).strip():
                continue
            if not all(label in issue.labels for label in labels):
                continue
            if open_only and issue.done:
                continue
            fresh = now - issue.changed_at < self.search_lag
            if not consistent and fresh and issue.id not in reconcile:
                continue  # [RECONCILE]: not visible to search yet
            found.append(issue)
        return found
