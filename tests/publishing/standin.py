"""A loopback stand-in of the Xray Cloud, Xray Server/DC and Jira Cloud/DC endpoints that the
publishing scripts use. It records every request and answers like the real APIs: 401 for a bad
credential, 400 with Xray's ``{"error": ...}`` body for a bad import, and, on demand, 429 with
``Retry-After`` or 5xx (see :meth:`Standin.fault`).

One class serves every role; a test starts one instance per host it needs.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from requests.structures import CaseInsensitiveDict

KEY = re.compile(r"^PZ-\d+$")


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


class Standin:
    """Xray Cloud + Xray DC + Jira (Cloud and DC) on 127.0.0.1, one free port."""

    def __init__(
        self,
        *,
        deployment: str = "Cloud",
        client_id: str = "client-id-0001",
        client_secret: str = "client-secret-0001",
        pat: str = "dc-pat-0001",
        jira_user: str = "qa@example.invalid",
        jira_token: str = "jira-api-token-0001",
    ) -> None:
        self.deployment = deployment  # Jira serverInfo: "Cloud" or "Server"
        self.client_id, self.client_secret = client_id, client_secret
        self.pat = pat
        self.jira_basic = base64.b64encode(f"{jira_user}:{jira_token}".encode()).decode()
        self.tokens: set[str] = set()
        self.requests: list[Recorded] = []
        self.issues: dict[str, Issue] = {}
        self.plans: dict[str, list[str]] = {}
        self.runs: dict[str, dict] = {}  # run id -> {"exec": key, "test": key, "evidence": []}
        self.imports: list[dict] = []
        self.faults: list[dict] = []
        self._ids = itertools.count(10001)
        self._lock = threading.Lock()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                url = urlsplit(self.path)
                headers = CaseInsensitiveDict(self.headers.items())  # as HTTP says
                record = Recorded(self.command, url.path, parse_qs(url.query), headers, body)
                with standin._lock:
                    standin.requests.append(record)
                    status, headers, payload = standin.answer(record)
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = _handle

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
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
    def add_issue(self, key: str, type_: str, **kwargs) -> Issue:
        issue = Issue(key, type_, id=str(next(self._ids)), **kwargs)
        self.issues[key] = issue
        return issue

    def fault(
        self, path: str, status: int, times: int = 1, retry_after: str | None = None, body=None
    ) -> None:
        """The next ``times`` requests whose path starts with ``path`` answer ``status``.

        ``body`` may be a function of the recorded request (to echo what the client sent).
        """
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        self.faults.append(
            {
                "path": path,
                "status": status,
                "times": times,
                "headers": headers,
                "body": body if body is not None else {"error": f"stand-in fault {status}"},
            }
        )

    def seen(self, method: str, prefix: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.startswith(prefix)]

    def all_text(self) -> str:
        return "\n".join(r.text() for r in self.requests)

    # -- answers ---------------------------------------------------------------------------
    def answer(self, r: Recorded):
        for fault in self.faults:
            if fault["times"] > 0 and r.path.startswith(fault["path"]):
                fault["times"] -= 1
                body = fault["body"](r) if callable(fault["body"]) else fault["body"]
                return fault["status"], fault["headers"], body
        path = r.path
        if path == "/api/v2/authenticate":
            return self.authenticate(r)
        if path.startswith("/api/v2/"):
            if r.headers.get("Authorization", "").removeprefix("Bearer ") not in self.tokens:
                return 401, {}, {"error": "Authentication failed. Invalid token!"}
            if path == "/api/v2/import/execution/robot/multipart":
                return self.import_cloud(r)
            if path == "/api/v2/graphql":
                return self.graphql(r)
        if path.startswith("/rest/raven/"):
            if r.headers.get("Authorization") != f"Bearer {self.pat}":
                return 401, {}, {"error": "You are not authorized to access this resource."}
            return self.raven(r)
        if path.startswith("/rest/api/"):
            if not self.jira_authorised(r):
                return 401, {}, {"errorMessages": ["You are not authenticated."], "errors": {}}
            return self.jira(r)
        return 404, {}, {"error": f"no route {r.method} {path}"}

    def authenticate(self, r: Recorded):
        creds = r.json()
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
        return {
            part.get_param("name", header="content-disposition"): part.get_payload(decode=True)
            for part in message.iter_parts()
        }

    def _import(self, results: bytes | None, info: bytes | None) -> tuple[int, dict]:
        if not results:
            return 400, {"error": "No results file was provided!"}
        try:
            root = ET.fromstring(results)
            info_json = json.loads(info) if info else {}
        except (ET.ParseError, ValueError) as error:
            return 400, {"error": f"Error parsing the results file: {error}"}
        fields = info_json.get("fields", {})
        if not fields.get("project", {}).get("key"):
            return 400, {"error": "Error creating Test Execution - project: project is required"}
        plan = (info_json.get("xrayFields") or {}).get("testPlanKey")
        if plan and plan not in self.plans:
            return 400, {"error": f"Test Plan with key {plan} not found."}
        key = f"PZ-{next(self._ids)}"
        execution = self.add_issue(key, "Test Execution", summary=fields.get("summary", ""))
        execution.fields = fields
        tests = []
        for test in root.iter("test"):
            tags = [t.text or "" for t in test.findall("tag")]
            keys = [t.upper() for t in tags if KEY.match(t.upper())]
            status = test.find("status").get("status")
            html = "".join(m.text or "" for m in test.iter("msg") if m.get("html") == "true")
            # Xray takes as evidence the embedded images with SeleniumLibrary's screenshot class.
            shots = re.findall(r"<img\b[^>]*>", html)
            evidence = [
                i for i in shots if "robot-seleniumlibrary-screenshot" in i and "data:image" in i
            ]
            tests.append(
                {
                    "name": test.get("name"),
                    "keys": keys,
                    "status": status,
                    "screenshots": len(evidence),
                }
            )
            # One test run per Test issue in an execution, however many Robot tests map to it.
            mapped = {run["test"] for run in self.runs.values() if run["exec"] == key}
            if keys and keys[0] not in mapped:
                run = str(next(self._ids))
                self.runs[run] = {"exec": key, "test": keys[0], "evidence": []}
        self.imports.append({"key": key, "info": info_json, "tests": tests})
        return 200, {"id": execution.id, "key": key}

    def import_cloud(self, r: Recorded):
        parts = self.multipart(r)
        status, body = self._import(parts.get("results"), parts.get("info"))
        if status == 200:
            body["self"] = f"{self.url}/rest/api/2/issue/{body['id']}"
        return status, {}, body

    def graphql(self, r: Recorded):
        request = r.json()
        query, variables = request["query"], request.get("variables") or {}
        if "getTestExecution" in query:
            execution = next(i for i in self.issues.values() if i.id == variables["id"])
            runs = [
                {"id": run_id, "test": {"jira": {"key": run["test"]}}}
                for run_id, run in self.runs.items()
                if run["exec"] == execution.key
            ]
            start = variables.get("start") or 0
            page = runs[start : start + 100]
            data = {"getTestExecution": {"testRuns": {"total": len(runs), "results": page}}}
            return 200, {}, {"data": data}
        if "addEvidenceToTestRun" in query:
            run = self.runs.get(variables["id"])
            if run is None:
                return 200, {}, {"errors": [{"message": f"test run {variables['id']} not found"}]}
            run["evidence"] += variables["evidence"]
            added = [e["filename"] for e in variables["evidence"]]
            return 200, {}, {"data": {"addEvidenceToTestRun": {"addedEvidence": added}}}
        if "getTests" in query:
            keys = re.findall(r"PZ-\d+", variables.get("jql", ""))
            unknown = [k for k in keys if k not in self.issues]
            if unknown:  # JQL refuses a key that does not exist, as Jira does
                message = f"An issue with key '{unknown[0]}' does not exist for field 'key'."
                return 200, {}, {"errors": [{"message": message}]}
            tests = [
                {"jira": {"key": k}}
                for k in keys
                if k in self.issues and self.issues[k].type == "Test"
            ]
            return 200, {}, {"data": {"getTests": {"total": len(tests), "results": tests}}}
        if "getTestPlans" in query:
            (plan,) = re.findall(r"PZ-\d+", variables.get("jql", ""))
            if plan not in self.plans:
                return 200, {}, {"data": {"getTestPlans": {"total": 0, "results": []}}}
            keys = self.plans[plan]
            start = variables.get("start") or 0
            page = [{"jira": {"key": k}} for k in keys[start : start + 100]]
            tests = {"total": len(keys), "results": page}
            return 200, {}, {"data": {"getTestPlans": {"results": [{"tests": tests}]}}}
        return 200, {}, {"errors": [{"message": "stand-in: unknown query"}]}

    def raven(self, r: Recorded):
        path = r.path
        if path == "/rest/raven/2.0/import/execution/robot/multipart":
            parts = self.multipart(r)
            status, body = self._import(parts.get("file"), parts.get("info"))
            if status == 200:
                body = {
                    "testExecIssue": {**body, "self": f"{self.url}/rest/api/2/issue/{body['id']}"}
                }
            return status, {}, body
        if path == "/rest/raven/2.0/api/testrun" and r.method == "GET":
            exec_key = r.query["testExecIssueKey"][0]
            test_key = r.query["testIssueKey"][0]
            for run_id, run in self.runs.items():
                if run["exec"] == exec_key and run["test"] == test_key:
                    return 200, {}, {"id": int(run_id), "status": "FAIL"}
            return 404, {}, {"error": "Test run not found"}
        match = re.fullmatch(r"/rest/raven/2.0/api/testrun/(\d+)/attachment", path)
        if match and r.method == "POST":
            run = self.runs.get(match.group(1))
            if run is None:
                return 404, {}, {"error": "Test run not found"}
            run["evidence"].append(r.json())
            return 200, {}, [{"id": next(self._ids), "fileName": r.json()["filename"]}]
        match = re.fullmatch(r"/rest/raven/1.0/api/testplan/(PZ-\d+)/(test|testexecution)", path)
        if match:
            plan, what = match.groups()
            if plan not in self.plans:
                return 400, {}, {"error": f"Test Plan with key {plan} not found."}
            if what == "test":
                page = int(r.query.get("page", ["1"])[0])
                limit = int(r.query.get("limit", ["100"])[0])
                keys = self.plans[plan][(page - 1) * limit : page * limit]
                return 200, {}, [{"key": k, "id": self.issues[k].id} for k in keys]
            self.issues[plan].fields.setdefault("executions", []).extend(r.json()["add"])
            return 200, {}, []
        return 404, {}, {"error": f"no route {r.method} {path}"}

    # -- Jira ------------------------------------------------------------------------------
    def jira_authorised(self, r: Recorded) -> bool:
        auth = r.headers.get("Authorization", "")
        if self.deployment == "Cloud":
            return auth == f"Basic {self.jira_basic}"
        return auth == f"Bearer {self.pat}"

    def jira(self, r: Recorded):
        path = r.path
        match = re.fullmatch(r"/rest/api/(2|3)/(.*)", path)
        if not match:
            return 404, {}, {"errorMessages": ["no such API"]}
        api, rest = match.groups()
        if rest == "serverInfo":
            return 200, {}, {"versionNumbers": [10, 3, 0], "deploymentType": self.deployment}
        if rest == "field":
            return 200, {}, []
        if rest in ("search", "search/jql"):
            if (self.deployment == "Cloud") != (rest == "search/jql" and api == "3"):
                return 410, {}, {"errorMessages": ["This search API is not served here."]}
            params = r.json() if r.method == "POST" else {k: v[0] for k, v in r.query.items()}
            return 200, {}, self.search(params["jql"], rest == "search")
        match = re.fullmatch(r"issue/(PZ-\d+)", rest)
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
            key = f"PZ-{next(self._ids)}"
            issue = self.add_issue(
                key,
                fields["issuetype"]["name"],
                summary=fields["summary"],
                labels=list(fields.get("labels", [])),
            )
            issue.fields = fields
            return (
                201,
                {},
                {"id": issue.id, "key": key, "self": f"{self.url}/rest/api/{api}/issue/{issue.id}"},
            )
        match = re.fullmatch(r"issue/(PZ-\d+)/comment", rest)
        if match and r.method == "POST":
            issue = self.issues.get(match.group(1))
            if issue is None:
                return 404, {}, {"errorMessages": ["Issue does not exist"], "errors": {}}
            issue.comments.append(r.json()["body"])
            return 201, {}, {"id": str(next(self._ids)), "body": r.json()["body"]}
        return 404, {}, {"errorMessages": [f"no route {r.method} {path}"]}

    def issue_json(self, issue: Issue) -> dict:
        return {
            "id": issue.id,
            "key": issue.key,
            "self": f"{self.url}/rest/api/2/issue/{issue.id}",
            "fields": {
                "issuetype": {"name": issue.type},
                "summary": issue.summary,
                "labels": issue.labels,
                "status": {"name": "Done" if issue.done else issue.status},
            },
        }

    def search(self, jql: str, paged: bool) -> dict:
        labels = re.findall(r'labels\s*=\s*"?([^"\s)]+)"?', unquote(jql))
        type_ = re.search(r'issuetype\s*=\s*"?(\w+)"?', jql)
        open_only = "statusCategory != Done" in jql
        hits = [
            self.issue_json(i)
            for i in self.issues.values()
            if all(label in i.labels for label in labels)
            and (not type_ or i.type == type_.group(1))
            and not (open_only and i.done)
        ]
        body = {"issues": hits, "maxResults": 50}
        if paged:
            body.update({"startAt": 0, "total": len(hits)})
        else:
            body["isLast"] = True
        return body
