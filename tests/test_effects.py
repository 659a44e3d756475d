"""The effect check (``scripts/checks/check_effects.py``) and the effect decorators.

Each check builds a small library (and suite) in a temporary directory and sees the check
name the keyword, the write it reaches and the path; then declares the effect and sees it
pass. No twin, no system: the check only reads code and dry-runs suites.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from libraries import run_environment, safety
from scripts.checks import check_effects

CLIENT = """
import pika
import requests
from pymongo import MongoClient

from libraries.common.effects import cleans_up, no_effect


class BrokerClient:
    def __init__(self):
        self.channel = pika.BlockingConnection().channel()
        self.declared = []

    def publish(self, exchange, key, body):
        self.channel.basic_publish(exchange, key, body)

    def exists(self, queue):
        return self.channel.queue_declare(queue, passive=True)

    @cleans_up("deletes only the queues this client declared")
    def close(self):
        for queue in self.declared:
            self.channel.queue_delete(queue)


class ApiClient:
    def __init__(self):
        self._session = requests.Session()

    def request(self, method, path):
        return self._session.request(method, path)

    def tasks(self):
        return self.request("GET", "/tasks")

    def stop(self, task_id):
        return self.request("DELETE", f"/task/{task_id}")

    @no_effect("issues a token")
    def token(self):
        return self._session.post("/token")


class Store:
    def __init__(self):
        self.db = MongoClient()["prisma"]

    def insert(self, document):
        return self.db["alerts"].insert_one(document)
"""

KEYWORDS = """
from robot.api.deco import keyword, library

from fakelib.client import ApiClient, BrokerClient, Store
from libraries.safety import own_data, shared


@library
class Fake:
    def __init__(self):
        self.broker = BrokerClient()
        self.api = ApiClient()
        self.store = Store()

    @keyword
    def publish_something(self, body: str) -> None:
        self._send(body)

    def _send(self, body):
        self.broker.publish("prisma", "alerts", body)

    @keyword
    def queue_should_exist(self, name: str) -> None:
        self.broker.exists(name)

    @keyword
    def list_tasks(self) -> None:
        self.api.tasks()

    @keyword
    def get_token(self) -> None:
        self.api.token()

    @keyword
    def close_broker(self) -> None:
        self.broker.close()

    @keyword
    def raw_request(self, method: str, path: str) -> None:
        self.api.request(method, path)

    @own_data("stop a task")
    @keyword
    def stop_task(self, task_id: str) -> None:
        self.api.stop(task_id)

    @keyword
    def remember(self, document: dict) -> None:
        self._store(document)

    @shared("insert into a live collection")
    def _store(self, document):
        self.store.insert(document)

    @own_data("insert a document")
    @keyword
    def insert_own(self, document: dict) -> None:
        self._store(document)
"""


def _library(tmp_path: Path, keywords: str = KEYWORDS) -> check_effects.Project:
    package = tmp_path / "fakelib"
    package.mkdir(exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "client.py").write_text(textwrap.dedent(CLIENT))
    (package / "keywords.py").write_text(textwrap.dedent(keywords))
    return check_effects.Project([package], tmp_path)


def _problems(tmp_path: Path, keywords: str = KEYWORDS) -> dict[str, str]:
    problems, walked, _ = _library(tmp_path, keywords).keyword_problems()
    assert walked == 9
    return {line.split("keyword '", 1)[1].split("'", 1)[0]: line for line in problems}


def test_an_unmarked_keyword_that_writes_is_named_with_the_write_and_the_path(tmp_path):
    problems = _problems(tmp_path)
    line = problems["Publish Something"]
    assert line.startswith("fakelib/keywords.py:16: keyword 'Publish Something' reaches pika ")
    assert "basic_publish at fakelib/client.py:15" in line
    assert "via Fake.publish_something -> Fake._send -> BrokerClient.publish" in line
    assert "with no declared effect" in line


def test_the_http_method_is_followed_through_the_callers(tmp_path):
    problems = _problems(tmp_path)
    assert "List Tasks" not in problems  # GET /tasks: no write
    assert "HTTP request with the method in argument 'method'" in problems["Raw Request"]
    assert "Stop Task" not in problems  # DELETE, but declared own-data


def test_reads_declared_harmless_writes_and_clean_ups_pass(tmp_path):
    problems = _problems(tmp_path)
    assert "Queue Should Exist" not in problems  # queue_declare(passive=True) only reads
    assert "Get Token" not in problems  # @no_effect
    assert "Close Broker" not in problems  # @cleans_up


def test_a_keyword_weaker_than_what_it_reaches_is_named(tmp_path):
    problems = _problems(tmp_path)
    assert "is not declared but reaches 'shared' Fake._store" in problems["Remember"]
    assert "is declared own-data but reaches 'shared' Fake._store" in problems["Insert Own"]
    assert len(problems) == 4


def test_declaring_the_effect_passes(tmp_path):
    fixed = (
        KEYWORDS.replace(
            "    @keyword\n    def publish_something",
            '    @shared("publish")\n    @keyword\n    def publish_something',
        )
        .replace(
            "    @keyword\n    def raw_request",
            '    @shared("send any request")\n    @keyword\n    def raw_request',
        )
        .replace(
            "    @keyword\n    def remember",
            '    @shared("remember")\n    @keyword\n    def remember',
        )
        .replace('@own_data("insert a document")', '@shared("insert a document")')
    )
    assert _problems(tmp_path, fixed) == {}


SUITE = """
*** Settings ***
Library    ${CURDIR}/Probe.py
Resource    ${CURDIR}/words.resource

*** Test Cases ***
Untagged Test Reaching A Shared Keyword
    Tagged Wrapper

Tagged Test
    [Tags]    shared
    Tagged Wrapper

Weaker Tag
    [Tags]    own-data
    Untagged Wrapper

Read Only
    Look
"""

RESOURCE = """
*** Settings ***
Library    ${CURDIR}/Probe.py

*** Keywords ***
Tagged Wrapper
    [Tags]    shared
    Change Others

Untagged Wrapper
    Change Others
"""

PROBE = """
from robot.api.deco import keyword
from libraries.safety import shared


class Probe:
    @shared("change what others see")
    @keyword
    def change_others(self):
        pass

    @keyword
    def look(self):
        pass
"""


def test_the_dry_run_names_untagged_tests_and_resource_keywords(tmp_path):
    (tmp_path / "Probe.py").write_text(PROBE)
    (tmp_path / "words.resource").write_text(RESOURCE)
    (tmp_path / "suite.robot").write_text(SUITE)
    listener = check_effects.dry_run([str(tmp_path / "suite.robot")])
    assert listener.errors == []
    problems = listener.problems()
    assert len(problems) == 3, problems
    assert any(
        "keyword 'words.Untagged Wrapper' calls 'shared' keyword 'Probe.Change Others' but is "
        "not tagged: add [Tags]    shared" in p
        for p in problems
    )
    assert any(
        "test 'Suite.Untagged Test Reaching A Shared Keyword' reaches 'shared'" in p
        for p in problems
    )
    assert any("test 'Suite.Weaker Tag' reaches 'shared'" in p and "tagged 'own-data'" in p
               for p in problems)  # fmt: skip
    assert listener.effects() == {"read-only": 2, "own-data": 1, "shared": 1, "disruptive": 0}


def test_a_library_that_cannot_load_is_a_problem_not_a_smaller_check(tmp_path):
    (tmp_path / "suite.robot").write_text(
        "*** Settings ***\nLibrary    ${CURDIR}/Missing.py\n\n*** Test Cases ***\nT\n    No Op\n"
    )
    listener = check_effects.dry_run([str(tmp_path / "suite.robot")])
    assert listener.errors and "Missing.py" in listener.errors[0]


# ------------------------------------------------------------------ the decorators at run time


@pytest.fixture
def production(monkeypatch):
    for name in ("ALLOW_SHARED", "ALLOW_DISRUPTIVE", "ALLOW_DESTRUCTIVE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FOCUS_ENV", "production")
    run_environment.reset()
    yield monkeypatch
    run_environment.reset()


def test_a_shared_keyword_refuses_on_production_before_acting(production):
    acted = []

    @safety.shared("publish to the live exchange")
    def publish() -> None:
        acted.append(True)

    assert publish.robot_tags == ["shared"] and publish.robot_effect == "shared"
    with pytest.raises(safety.EffectRefused) as error:
        publish()
    assert acted == []
    assert str(error.value) == (
        "Refused to publish to the live exchange on 'production': ALLOW_SHARED=production is "
        "not set. A 'shared' action runs there only in a test tagged 'shared' with "
        "ALLOW_SHARED=production."
    )
    production.setenv("ALLOW_SHARED", "staging")
    with pytest.raises(safety.EffectRefused):
        publish()
    production.setenv("ALLOW_SHARED", "production")
    publish()  # outside a test (a suite setup): the allowance is enough
    assert acted == [True]


def test_own_data_runs_everywhere_and_read_only_needs_no_mark(production):
    assert safety.refusal(None, "own-data") is None
    assert safety.refusal(["own-data"], "own-data") is None
    assert safety.refusal([], "own-data") == (
        "the running test is not tagged with an effect, and this action is 'own-data'"
    )
    with pytest.raises(ValueError, match="read-only keywords need no effect declaration"):
        safety.effect("read-only", "look")


def test_effect_names_and_the_strongest_tag():
    assert safety.effect_of_tags(["api", "Own Data", "SHARED"]) == "shared"
    assert safety.effect_of_tags(["destructive"]) == "disruptive"
    assert safety.effect_of_tags(["smoke"]) == "read-only"
    assert safety.deprecated_tags(["Destructive", "shared"]) == ["Destructive"]
    with pytest.raises(ValueError, match="'loud' is not an effect class"):
        safety.effect_name("loud")
