"""The part of Xray Cloud's GraphQL API the publishing scripts use, executed by graphql-core.

The schema below is copied by hand, field by field, from Xray Cloud's GraphQL schema
documentation (https://us.xray.cloud.getxray.app/doc/graphql/, read from a public copy of
its "Schema Types" page): the types, argument names and nullability are the documented
ones, so a query or mutation the real API would reject for its shape is rejected here too
(an unknown field, a missing ``limit``, ``[AttachmentDataInput]!`` passed where it is
required). Only the fields the scripts ask for are declared.

Rules from "GraphQL API" (https://docs.getxray.app/display/XRAYCLOUD/GraphQL+API),
"Xray Cloud GraphQL resource limitations": "Clients must supply a limit argument on any
connection" and "Values of limit must be within 1-100".
"""

from __future__ import annotations

import json

from graphql import GraphQLError, build_schema, graphql_sync
from graphql.type import GraphQLScalarType

SDL = """
scalar JSON

type Query {
  getTestExecution(issueId: String): TestExecution
  getTestExecutions(jql: String, issueIds: [String], limit: Int!, start: Int): TestExecutionResults
  getTests(jql: String, issueIds: [String], limit: Int!, start: Int): TestResults
  getCoverableIssues(
    jql: String, issueIds: [String], limit: Int!, start: Int
  ): CoverableIssueResults
  getTestPlans(jql: String, issueIds: [String], limit: Int!, start: Int): TestPlanResults
}

type Mutation {
  addEvidenceToTestRun(id: String!, evidence: [AttachmentDataInput]!): AddEvidenceResult
}

input AttachmentDataInput {
  attachmentId: String
  data: String
  filename: String
  mimeType: String
}

type AddEvidenceResult {
  addedEvidence: [String]
  warnings: [String]
}

type TestType {
  name: String
  kind: String
}

type Status {
  name: String
}

type Test {
  issueId: String
  jira(fields: [String]!): JSON
  testType: TestType
  unstructured: String
}

type TestRun {
  id: String
  status: Status
  test: Test
  testType: TestType
  unstructured: String
}

type TestRunResults {
  total: Int
  start: Int
  limit: Int
  results: [TestRun]
}

type TestExecution {
  issueId: String
  jira(fields: [String]!): JSON
  testRuns(limit: Int!, start: Int): TestRunResults
}

type TestExecutionResults {
  total: Int
  start: Int
  limit: Int
  results: [TestExecution]
}

type TestResults {
  total: Int
  start: Int
  limit: Int
  results: [Test]
}

type CoverableIssue {
  issueId: String
  jira(fields: [String]!): JSON
}

type CoverableIssueResults {
  total: Int
  start: Int
  limit: Int
  results: [CoverableIssue]
}

type TestPlan {
  issueId: String
  jira(fields: [String]!): JSON
  tests(limit: Int!, start: Int): TestResults
}

type TestPlanResults {
  total: Int
  start: Int
  limit: Int
  results: [TestPlan]
}
"""

SCHEMA = build_schema(SDL)
_json = SCHEMA.type_map["JSON"]
assert isinstance(_json, GraphQLScalarType)
_json.serialize = lambda value: value  # JSON objects pass through as they are


def _limit(limit: int) -> None:
    if not 1 <= limit <= 100:
        raise GraphQLError("limit must be within 1-100")  # "GraphQL API", resource limits


def _page(items: list, limit: int, start: int | None) -> dict:
    _limit(limit)
    start = start or 0
    return {
        "total": len(items),
        "start": start,
        "limit": limit,
        "results": items[start : start + limit],
    }


class Resolvers:
    """The root value: each documented field the scripts use, over the stand-in's state."""

    def __init__(self, standin) -> None:
        self.s = standin

    # -- helpers ---------------------------------------------------------------------------
    def _jira(self, issue):
        def jira(_info, fields):
            full = self.s.issue_json(issue)["fields"]
            out = {"key": issue.key} if "key" in fields else {}
            out.update({f: full.get(f) for f in fields if f != "key"})
            return out

        return jira

    def _test(self, issue) -> dict:
        kind = "Unstructured" if issue.test_type == "Generic" else "Steps"
        return {
            "issueId": issue.id,
            "jira": self._jira(issue),
            "testType": {"name": issue.test_type, "kind": kind},
            "unstructured": issue.definition,
        }

    def _jql_issues(self, jql: str | None, issue_ids, type_filter) -> list:
        if issue_ids:
            found = [i for i in self.s.issues.values() if i.id in issue_ids]
        else:
            # JQL through Jira: the stand-in treats it like Jira Cloud's search/jql, eventual
            # consistency included (see Standin.jql_search); an unknown key refuses the query.
            found = self.s.jql_search(jql or "", consistent=False)
        return [i for i in found if type_filter(i)]

    # -- Query -----------------------------------------------------------------------------
    def getTestExecution(self, _info, issueId=None):
        issue = next(
            (i for i in self.s.issues.values() if i.id == issueId and i.type == "Test Execution"),
            None,
        )
        if issue is None:
            return None

        def test_runs(_info, limit, start=None):
            runs = [
                {
                    "id": run.id,
                    "status": {"name": run.status},
                    "test": self._test(self.s.issues[run.test_key]),
                    "testType": {"name": self.s.issues[run.test_key].test_type},
                    "unstructured": self.s.issues[run.test_key].definition,
                }
                for run in self.s.runs.values()
                if run.exec_key == issue.key
            ]
            return _page(runs, limit, start)

        return {"issueId": issue.id, "jira": self._jira(issue), "testRuns": test_runs}

    def getTestExecutions(self, _info, limit, jql=None, issueIds=None, start=None):
        found = self._jql_issues(jql, issueIds, lambda i: i.type == "Test Execution")
        return _page([{"issueId": i.id, "jira": self._jira(i)} for i in found], limit, start)

    def getTests(self, _info, limit, jql=None, issueIds=None, start=None):
        found = self._jql_issues(jql, issueIds, lambda i: i.type == "Test")
        return _page([self._test(i) for i in found], limit, start)

    def getCoverableIssues(self, _info, limit, jql=None, issueIds=None, start=None):
        types = self.s.requirement_types
        found = self._jql_issues(jql, issueIds, lambda i: i.type in types)
        return _page([{"issueId": i.id, "jira": self._jira(i)} for i in found], limit, start)

    def getTestPlans(self, _info, limit, jql=None, issueIds=None, start=None):
        found = self._jql_issues(jql, issueIds, lambda i: i.type == "Test Plan")

        def plan(issue):
            def tests(_info, limit, start=None):
                keys = self.s.plans.get(issue.key, [])
                return _page([self._test(self.s.issues[k]) for k in keys], limit, start)

            return {"issueId": issue.id, "jira": self._jira(issue), "tests": tests}

        return _page([plan(i) for i in found], limit, start)

    # -- Mutation --------------------------------------------------------------------------
    def addEvidenceToTestRun(self, _info, id, evidence):
        run = self.s.runs.get(id)
        if run is None:
            raise GraphQLError(f"Test run with id {id} not found")
        for item in evidence:
            # "A valid AttachmentDataInput must have the properties filename, mimeType and
            # data defined. In alternative, the attachmentId property can be used alone."
            if not item.get("attachmentId") and not all(
                item.get(k) for k in ("filename", "mimeType", "data")
            ):
                raise GraphQLError("AttachmentDataInput needs filename, mimeType and data")
        run.evidence += [dict(e) for e in evidence]
        return {"addedEvidence": [e.get("filename") for e in evidence], "warnings": []}


def execute(standin, body: bytes) -> dict:
    """A GraphQL request body -> the response body (``data`` and/or ``errors``)."""
    request = json.loads(body)
    root = Resolvers(standin)
    result = graphql_sync(
        SCHEMA,
        request.get("query", ""),
        root_value=root,
        variable_values=request.get("variables"),
        operation_name=request.get("operationName"),
    )
    answer: dict = {}
    if result.errors:
        answer["errors"] = [{"message": e.message} for e in result.errors]
    if result.data is not None:
        answer["data"] = result.data
    return answer
