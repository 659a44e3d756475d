"""Xray Server / Data Center: personal access token, the Robot multipart import, REST
(docs/xray.md).

- POST ``/rest/raven/2.0/import/execution/robot/multipart`` with parts ``file`` and
  ``info`` -> ``{"testExecIssue": {"id", "key", "self"}}``.
- GET ``/rest/raven/1.0/testruns?testExecKey=..`` (paginated): the execution's runs and
  their tests; GET ``/rest/raven/1.0/api/testrun?testExecIssueKey=..&testIssueKey=..``: a
  run's id; POST ``/rest/raven/1.0/api/testrun/{id}/attachment``: one file of evidence.
- POST ``/rest/raven/1.0/api/testplan/{key}/testexecution`` ``{"add": [..]}``: answers 200
  with a list of error messages, empty on success; a non-empty list is an error.
- Jira REST v2 for issue types, summaries and the run marker's search.
"""

from __future__ import annotations

import base64
import json
import sys
from urllib.parse import quote

from scripts.publishing.http import Http
from scripts.publishing.xray_model import Evidence, Execution, Imported, RunRef

PAGE = 100


class XrayDc:
    deployment = "Server"

    def __init__(self, base_url: str, token: str, **http) -> None:
        self.http = Http(base_url, label="xray", secrets=[token], **http)
        self.http.headers["Authorization"] = f"Bearer {token}"

    def authenticate(self) -> None:  # a personal access token needs no exchange
        return None

    # -- import ----------------------------------------------------------------------------
    def info(self, execution: Execution, env: dict[str, str]) -> dict:
        fields = execution.jira_fields()
        if execution.test_plan and env.get("XRAY_TEST_PLAN_FIELD"):
            fields[env["XRAY_TEST_PLAN_FIELD"]] = [execution.test_plan]
        if execution.environments and env.get("XRAY_ENVIRONMENTS_FIELD"):
            fields[env["XRAY_ENVIRONMENTS_FIELD"]] = execution.environments
        if execution.revision and env.get("XRAY_REVISION_FIELD"):
            fields[env["XRAY_REVISION_FIELD"]] = execution.revision
        return {"fields": fields}

    def import_results(self, xml: bytes, execution: Execution, env: dict[str, str]) -> Imported:
        """One import. Not idempotent: a lost answer raises ``MaybeSent``."""
        if execution.environments and not env.get("XRAY_ENVIRONMENTS_FIELD"):
            print(
                "xray: note: set XRAY_ENVIRONMENTS_FIELD to the Test Environments custom field"
                " id to record environments on Server/DC",
                file=sys.stderr,
            )
        body = self.http.json(
            "POST",
            "/rest/raven/2.0/import/execution/robot/multipart",
            files={
                "file": ("output.xml", xml, "application/xml"),
                "info": ("info.json", json.dumps(self.info(execution, env)), "application/json"),
            },
            idempotent=False,
        )
        issue = (body.get("testExecIssue") if isinstance(body, dict) else None) or {}
        key = issue.get("key", "")
        if not key:
            raise self.http.fail(f"the import answered without a Test Execution key: {body}")
        return Imported(str(issue.get("id", "")), key, f"{self.http.base_url}/browse/{key}")

    def link_plan(self, plan: str, imported: Imported) -> None:
        """Add the execution to the plan; the endpoint answers 200 with its error messages."""
        answer = self.http.json(
            "POST",
            f"/rest/raven/1.0/api/testplan/{quote(plan)}/testexecution",
            json={"add": [imported.key]},
            idempotent=True,  # adding the same execution twice leaves one link
        )
        if isinstance(answer, list) and answer:
            messages = "; ".join(str(m) for m in answer)
            raise self.http.fail(
                f"adding {imported.key} to Test Plan {plan} failed: {messages}"
                f" (the execution itself was imported)"
            )

    def find_execution(self, marker: str, project: str) -> Imported | None:
        body = self.http.json(
            "GET",
            "/rest/api/2/search",
            params={
                "jql": (
                    f'project = "{project}" AND issuetype = "Test Execution"'
                    f' AND labels = "{marker}"'
                ),
                "fields": "summary",
                "maxResults": 1,
            },
        )
        issues = body.get("issues") or []
        if not issues:
            return None
        key = issues[0]["key"]
        return Imported(str(issues[0]["id"]), key, f"{self.http.base_url}/browse/{key}")

    # -- runs and evidence -----------------------------------------------------------------
    def test_runs(self, imported: Imported, generic_field: str = "") -> list[RunRef]:
        """The execution's runs: tests from the export endpoint, ids from the run endpoint,
        and for Generic Tests their summary (and definition, given its custom field id)."""
        runs: list[RunRef] = []
        page = 1
        while True:
            batch = self.http.json(
                "GET",
                "/rest/raven/1.0/testruns",
                params={"testExecKey": imported.key, "page": page, "limit": PAGE},
            )
            for item in batch:
                runs.append(RunRef(id="", test_key=item["testKey"], test_type=item.get("type", "")))
            if len(batch) < PAGE:
                break
            page += 1
        for run in runs:
            if run.test_type == "Generic":
                fields = "summary" + (f",{generic_field}" if generic_field else "")
                issue = self.http.json(
                    "GET", f"/rest/api/2/issue/{quote(run.test_key)}", params={"fields": fields}
                )
                run.summary = (issue.get("fields") or {}).get("summary") or ""
                if generic_field:
                    run.definition = (issue.get("fields") or {}).get(generic_field)
        return runs

    def run_id(self, imported: Imported, test_key: str) -> str:
        run = self.http.json(
            "GET",
            "/rest/raven/1.0/api/testrun",
            params={"testExecIssueKey": imported.key, "testIssueKey": test_key},
        )
        return str(run["id"])

    def attach(self, run_id: str, files: list[Evidence]) -> int:
        """One POST per file: the endpoint takes one attachment."""
        for item in files:
            self.http.request(
                "POST",
                f"/rest/raven/1.0/api/testrun/{quote(run_id)}/attachment",
                expect=(200, 201, 204),
                json={
                    "data": base64.b64encode(item.data).decode(),
                    "filename": item.filename,
                    "contentType": item.mime,
                },
                idempotent=False,
            )
        return len(files)

    # -- what a key is ---------------------------------------------------------------------
    def issue_types(self, keys: list[str]) -> dict[str, str]:
        return jira_issue_types(self.http, "2", keys)

    def plan_tests(self, plan: str) -> list[str]:
        keys: list[str] = []
        page = 1
        while True:
            tests = self.http.json(
                "GET",
                f"/rest/raven/1.0/api/testplan/{quote(plan)}/test",
                params={"page": page, "limit": PAGE},
            )
            keys += [t["key"] for t in tests]
            if len(tests) < PAGE:
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
