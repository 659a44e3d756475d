"""Xray Cloud: API-key authentication, the Robot multipart import, GraphQL (docs/xray.md).

- POST ``/api/v2/authenticate`` -> a token (a JSON string), sent as ``Bearer``.
- POST ``/api/v2/import/execution/robot/multipart`` with parts ``results`` and ``info``
  -> ``{"id", "key", "self"}``.
- POST ``/api/v2/graphql``: ``getTestExecution`` -> ``testRuns`` (test key, test type,
  Generic definition), ``addEvidenceToTestRun`` (a list of evidence per call),
  ``getTestExecutions(jql)`` (the run marker), ``getTests`` / ``getCoverableIssues`` (what a
  key is), ``getTestPlans`` (a plan's tests). Every connection asks ``limit`` <= 100.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import urlsplit

from scripts.publishing.http import Http, PublishError
from scripts.publishing.xray_model import Evidence, Execution, Imported, RunRef

PAGE = 100  # GraphQL: "Values of limit must be within 1-100"
# One addEvidenceToTestRun call carries at most this much base64. Xray's pages we could
# read give no request-size limit for GraphQL; 8 MiB keeps a call well under the 10 MB
# that proxies commonly accept. A run's evidence is split over several calls above it.
MAX_MUTATION_BYTES = 8 * 1024 * 1024


class XrayCloud:
    deployment = "Cloud"

    def __init__(self, base_url: str, client_id: str, client_secret: str, **http) -> None:
        self.http = Http(base_url, label="xray", secrets=[client_id, client_secret], **http)
        self.client_id = client_id
        self.client_secret = client_secret
        self._token = ""

    def authenticate(self) -> None:
        if self._token:
            return
        token = self.http.json(
            "POST",
            "/api/v2/authenticate",
            json={"client_id": self.client_id, "client_secret": self.client_secret},
            idempotent=True,  # asks for a token: sending it twice does no harm
        )
        if not isinstance(token, str) or not token:
            raise self.http.fail("the authenticate call returned no token")
        self._token = token
        self.http.add_secret(token)
        self.http.headers["Authorization"] = f"Bearer {token}"

    # -- import ----------------------------------------------------------------------------
    def info(self, execution: Execution, env: dict[str, str]) -> dict:
        fields = execution.jira_fields()
        if execution.revision and env.get("XRAY_REVISION_FIELD"):
            fields[env["XRAY_REVISION_FIELD"]] = execution.revision
        xray_fields: dict = {}
        if execution.test_plan:
            xray_fields["testPlanKey"] = execution.test_plan
        if execution.environments:
            xray_fields["environments"] = execution.environments
        return {"fields": fields, "xrayFields": xray_fields}

    def import_results(self, xml: bytes, execution: Execution, env: dict[str, str]) -> Imported:
        """One import. Not idempotent: a lost answer raises ``MaybeSent``."""
        self.authenticate()
        body = self.http.json(
            "POST",
            "/api/v2/import/execution/robot/multipart",
            files={
                "results": ("output.xml", xml, "application/xml"),
                "info": ("info.json", json.dumps(self.info(execution, env)), "application/json"),
            },
            idempotent=False,
        )
        key = body.get("key", "") if isinstance(body, dict) else ""
        if not key:
            raise self.http.fail(f"the import answered without a Test Execution key: {body}")
        return Imported(str(body.get("id", "")), key, self._browse(body.get("self", ""), key))

    def _browse(self, self_url: str, key: str) -> str:
        if not self_url:
            return ""
        parts = urlsplit(self_url)
        return f"{parts.scheme}://{parts.netloc}/browse/{key}"

    def find_execution(self, marker: str, project: str) -> Imported | None:
        """The Test Execution labelled with this run's marker, if Jira's search sees one."""
        self.authenticate()
        query = (
            "query($jql: String) { getTestExecutions(jql: $jql, limit: 1) {"
            ' results { issueId jira(fields: ["key"]) } } }'
        )
        jql = f'project = "{project}" AND labels = "{marker}"'
        data = self.graphql(query, {"jql": jql})
        found = (data.get("getTestExecutions") or {}).get("results") or []
        if not found:
            return None
        key = found[0]["jira"]["key"]
        return Imported(str(found[0]["issueId"]), key, "")

    # -- GraphQL ---------------------------------------------------------------------------
    def graphql(self, query: str, variables: dict, *, mutation: bool = False) -> dict:
        body = self.http.json(
            "POST",
            "/api/v2/graphql",
            json={"query": query, "variables": variables},
            idempotent=not mutation,
        )
        if body.get("errors"):
            message = "; ".join(str(e.get("message", e)) for e in body["errors"])
            raise self.http.fail(f"GraphQL: {message}")
        return body.get("data") or {}

    def test_runs(self, imported: Imported) -> list[RunRef]:
        """Every run of the execution with its test's key, type and Generic definition."""
        self.authenticate()
        query = (
            "query($id: String, $start: Int) { getTestExecution(issueId: $id) {"
            f" testRuns(limit: {PAGE}, start: $start) {{ total results {{ id unstructured"
            ' testType { name } test { issueId jira(fields: ["key", "summary"]) } } } } }'
        )
        runs: list[RunRef] = []
        start = 0
        while True:
            data = self.graphql(query, {"id": imported.id, "start": start})
            execution = data.get("getTestExecution")
            if execution is None:
                raise self.http.fail(f"getTestExecution found no Test Execution {imported.key}")
            page = execution.get("testRuns") or {}
            results = page.get("results") or []
            for run in results:
                jira = (run.get("test") or {}).get("jira") or {}
                runs.append(
                    RunRef(
                        id=str(run["id"]),
                        test_key=jira.get("key", ""),
                        test_type=(run.get("testType") or {}).get("name", ""),
                        definition=run.get("unstructured"),
                        summary=jira.get("summary") or "",
                    )
                )
            start += len(results)
            if not results or start >= page.get("total", 0):
                return runs

    def attach(self, run_id: str, files: list[Evidence]) -> int:
        """All of a run's evidence in one ``addEvidenceToTestRun`` (more above the size cap)."""
        query = (
            "mutation($id: String!, $evidence: [AttachmentDataInput]!) {"
            " addEvidenceToTestRun(id: $id, evidence: $evidence) { addedEvidence warnings } }"
        )
        batches: list[list[dict]] = [[]]
        size = 0
        for item in files:
            encoded = base64.b64encode(item.data).decode()
            if batches[-1] and size + len(encoded) > MAX_MUTATION_BYTES:
                batches.append([])
                size = 0
            batches[-1].append({"filename": item.filename, "mimeType": item.mime, "data": encoded})
            size += len(encoded)
        calls = 0
        for batch in batches:
            if batch:
                self.graphql(query, {"id": run_id, "evidence": batch}, mutation=True)
                calls += 1
        return calls

    # -- what a key is ---------------------------------------------------------------------
    def key_kinds(self, keys: list[str]) -> dict[str, str]:
        """``Test`` or ``requirement`` per key Xray knows as such (others are left out)."""
        self.authenticate()
        kinds: dict[str, str] = {}
        for what, kind in (("getTests", "Test"), ("getCoverableIssues", "requirement")):
            query = (
                f"query($jql: String, $start: Int) {{ {what}(jql: $jql, limit: {PAGE},"
                ' start: $start) { total results { jira(fields: ["key"]) } } }'
            )
            for key in keys:
                if key in kinds:
                    continue
                # One key per query: JQL refuses the whole query when one key does not exist.
                try:
                    data = self.graphql(query, {"jql": f"key = {key}", "start": 0})
                except PublishError as error:
                    if "GraphQL" in str(error):
                        continue
                    raise
                if (data.get(what) or {}).get("results"):
                    kinds[key] = kind
        return kinds

    def plan_tests(self, plan: str) -> list[str]:
        query = (
            "query($jql: String, $start: Int) { getTestPlans(jql: $jql, limit: 1) {"
            f" results {{ tests(limit: {PAGE}, start: $start) {{"
            ' total results { jira(fields: ["key"]) } } } } }'
        )
        self.authenticate()
        keys: list[str] = []
        start = 0
        while True:
            try:
                data = self.graphql(query, {"jql": f"key = {plan}", "start": start})
            except PublishError as error:
                if "does not exist" not in str(error):
                    raise
                data = {}  # JQL refuses a key that does not exist
            plans = (data.get("getTestPlans") or {}).get("results") or []
            if not plans:
                raise self.http.fail(f"{plan} is not a Test Plan (or not visible to this API key)")
            page = plans[0].get("tests") or {}
            results = page.get("results") or []
            keys += [t["jira"]["key"] for t in results]
            start += len(results)
            if not results or start >= page.get("total", 0):
                return keys
