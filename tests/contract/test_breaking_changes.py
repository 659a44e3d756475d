"""make fuzz's breaking-change check (openapi-diff over 3.0 renderings) flags a removed
path and a newly required field, and lets an added path through."""

from __future__ import annotations

import copy
import json

import pytest

from scripts.run import fuzz

pytestmark = pytest.mark.skipif(
    not fuzz.OPENAPI_DIFF.exists(), reason="openapi-diff not installed (make setup)"
)


@pytest.fixture
def snapshot(tmp_path, monkeypatch) -> dict:
    document = json.loads(fuzz.SNAPSHOT.read_text())
    monkeypatch.setattr(fuzz, "SNAPSHOT", tmp_path / "snapshot.json")
    monkeypatch.setattr(fuzz, "OUT", tmp_path / "out")
    fuzz.SNAPSHOT.write_text(json.dumps(document))
    return document


def test_a_removed_path_and_a_new_required_field_are_breaking(snapshot, capsys):
    served = copy.deepcopy(snapshot)
    del served["paths"]["/focus-server/ack/{task_id}"]
    served["components"]["schemas"]["Configure"]["required"].append("overlap")
    assert fuzz.breaking_changes(served, update=False) == 1
    printed = capsys.readouterr().out
    assert "path.remove" in printed and "/ack/{task_id}" in printed


def test_an_added_path_is_not_breaking(snapshot):
    served = copy.deepcopy(snapshot)
    served["paths"]["/focus-server/new"] = {
        "get": {"operationId": "newThing", "responses": {"200": {"description": "ok"}}}
    }
    assert fuzz.breaking_changes(served, update=False) == 0
