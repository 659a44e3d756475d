"""The vendors' own samples (tests/publishing/fixtures/vendor_samples.py), replayed: the
stand-in accepts every published request, the clients read every published answer."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from scripts.publishing.xray_cloud import XrayCloud
from scripts.publishing.xray_dc import XrayDc
from scripts.publishing.xray_model import Execution, Imported
from tests.publishing.fixtures import vendor_samples as samples
from tests.publishing.standin import Standin
from tests.publishing.standin.graphql_api import execute


def test_the_snippets_cloud_robot_import_is_accepted_as_xray_documents_it():
    """import_results_robot_multipart_cloud.py, as written: authenticate, then the multipart
    import with the sample report and the sample info."""
    with Standin(deployment="Cloud", project="CALC") as xray:
        xray.add_test("CALC-5106", "WANImpact Local")
        xray.add_issue("CALC-1369", "Test Plan")
        xray.plans["CALC-1369"] = []
        auth = requests.post(
            f"{xray.url}/api/v2/authenticate",
            data=json.dumps({"client_id": xray.client_id, "client_secret": xray.client_secret}),
            headers={"Content-type": "application/json", "Accept": "text/plain"},
            timeout=10,
        )
        token = auth.json()
        files = {
            "results": ("robot.xml", samples.SNIPPET_ROBOT_XML.read_bytes()),
            "info": ("info.json", json.dumps(samples.SNIPPET_INFO_CLOUD)),
        }
        answer = requests.post(
            f"{xray.url}/api/v2/import/execution/robot/multipart",
            files=files,
            headers={"Authorization": "Bearer " + token},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert set(body) == set(samples.RESPONSE_IMPORT_CLOUD)
        runs = xray.runs_of(body["key"])
        # The sample test is tagged CALC-5106, an existing Test: its run, no new Test.
        assert runs["CALC-5106"].status == "FAILED"
        assert xray.imports[0]["created_generic"] == []
        assert xray.plans["CALC-1369"] == ["CALC-5106"]


def test_the_snippets_dc_robot_import_is_accepted_with_the_plan_custom_field():
    with Standin(deployment="Server", project="CALC") as xray:
        xray.plan_field = "customfield_11807"
        xray.add_test("CALC-5106")
        xray.add_issue("CALC-8895", "Test Plan")
        xray.plans["CALC-8895"] = []
        files = {
            "file": ("robot.xml", samples.SNIPPET_ROBOT_XML.read_bytes()),
            "info": ("info.json", json.dumps(samples.SNIPPET_INFO_DC)),
        }
        answer = requests.post(
            f"{xray.url}/rest/raven/2.0/import/execution/robot/multipart",
            files=files,
            headers={"Authorization": "Bearer " + xray.pat},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        assert set(answer.json()) == set(samples.RESPONSE_IMPORT_DC)
        assert set(answer.json()["testExecIssue"]) == set(
            samples.RESPONSE_IMPORT_DC["testExecIssue"]
        )
        assert xray.issues["CALC-8895"].fields["executions"] == [
            answer.json()["testExecIssue"]["key"]
        ]


def test_the_documented_graphql_examples_run_against_the_stand_ins_schema():
    with Standin(deployment="Cloud", project="CALC") as xray:
        xray.add_test("CALC-5106")
        xray.add_issue("CALC-1369", "Test Plan")
        xray.plans["CALC-1369"] = []

        status, body = xray._import(
            samples.SNIPPET_ROBOT_XML.read_bytes(),
            json.dumps(samples.SNIPPET_INFO_CLOUD).encode(),
            None,
        )
        assert status == 200
        execution = xray.issues[body["key"]]
        run_id = xray.runs_of(execution.key)["CALC-5106"].id
        query = json.dumps({"query": samples.QUERY_TEST_EXECUTION % execution.id}).encode()
        answer = execute(xray, query)
        assert "errors" not in answer, answer
        runs = answer["data"]["getTestExecution"]["testRuns"]
        assert runs["total"] == 1
        assert runs["results"][0]["test"]["jira"] == {"key": "CALC-5106"}
        mutation = json.dumps({"query": samples.MUTATION_ADD_EVIDENCE % run_id}).encode()
        answer = execute(xray, mutation)
        assert answer == {
            "data": {"addEvidenceToTestRun": {"addedEvidence": ["evidence.txt"], "warnings": []}}
        }
        assert xray.runs[run_id].evidence[0]["data"] == "SGVsbG8gV29ybGQ="
        # A query the documented schema rejects is rejected: no limit on a connection.
        bad = json.dumps({"query": '{ getTestExecution(issueId: "1") { testRuns { total } } }'})
        assert "errors" in execute(xray, bad.encode())


class Canned:
    """Answers each (method, path) with a fixed JSON body: the vendor's sample."""

    def __init__(self, answers: dict[tuple[str, str], object]) -> None:
        self.answers = answers
        canned = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                body = canned.answers.get((self.command, self.path.split("?")[0]))
                data = json.dumps(body).encode()
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self) -> Canned:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


EXECUTION = Execution(project="CALC", summary="s", description="d")


def test_the_clients_read_the_documented_import_answers():
    cloud_answers = {
        ("POST", "/api/v2/authenticate"): "a-token",
        ("POST", "/api/v2/import/execution/robot/multipart"): samples.RESPONSE_IMPORT_CLOUD,
    }
    with Canned(cloud_answers) as server:
        imported = XrayCloud(server.url, "id", "secret").import_results(b"<robot/>", EXECUTION, {})
    assert imported == Imported("10200", "XNP-24", "https://www.example.com/browse/XNP-24")
    dc_answers = {
        ("POST", "/rest/raven/2.0/import/execution/robot/multipart"): samples.RESPONSE_IMPORT_DC,
        ("GET", "/rest/raven/1.0/api/testrun"): samples.RESPONSE_DC_TESTRUN,
        ("GET", "/rest/raven/1.0/testruns"): samples.RESPONSE_DC_EXPORT,
    }
    with Canned(dc_answers) as server:
        dc = XrayDc(server.url, "pat")
        imported = dc.import_results(b"<robot/>", EXECUTION, {})
        assert imported == Imported("10000", "DEMO-123", f"{server.url}/browse/DEMO-123")
        assert dc.run_id(imported, "CALC-12") == "371"
        (run,) = dc.test_runs(imported)
        assert (run.test_key, run.test_type) == ("CALC-126", "Cucumber")
