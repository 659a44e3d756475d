"""The served OpenAPI document states the contract (section 2, decided)."""

from __future__ import annotations

import pytest

from tests.twin.test_focus_server import (  # noqa: F401 (fixtures)
    health_port,
    seeded_recordings,
    shared_api,
)

PUBLIC = {"issueToken", "getHealth"}


@pytest.fixture(scope="module")
def document(shared_api):  # noqa: F811
    response = shared_api.client.get("/focus-server/openapi.json")
    assert response.status_code == 200
    return response.json()


def operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_bearer_scheme_on_every_protected_operation(document):
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
    }
    for path, method, operation in operations(document):
        expected = [] if operation["operationId"] in PUBLIC else [{"bearerAuth": []}]
        assert operation.get("security", []) == expected, (method, path)


def test_every_error_status_has_the_error_body_and_422_is_gone(document):
    for path, method, operation in operations(document):
        responses = operation["responses"]
        assert "422" not in responses, (method, path)
        assert "200" in responses
        for status, answer in responses.items():
            if status != "200" and operation["operationId"] != "getHealth":
                schema = answer["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)
        if operation["operationId"] not in PUBLIC:
            assert {"401", "429"} <= set(responses), (method, path)
        if "requestBody" in operation:
            assert {"400", "413", "415"} <= set(responses), (method, path)


def test_configure_states_the_validation_rules_and_links(document):
    schema = document["components"]["schemas"]["Configure"]
    assert schema["properties"]["nfft"]["enum"] == [2**n for n in range(7, 17)]
    assert schema["properties"]["viewType"]["enum"] == [
        "MultiChannel",
        "SingleChannel",
        "Waterfall",
        "ROI",
    ]
    assert schema["properties"]["channels"]["properties"]["max"]["maximum"] == 2222
    assert schema["properties"]["frequencyRange"]["properties"]["max"]["maximum"] == 1000
    assert schema["additionalProperties"] is False
    configure = document["paths"]["/focus-server/configure"]["post"]
    links = configure["responses"]["200"]["links"]
    assert {link["operationId"] for link in links.values()} >= {"getTaskMetadata", "deleteTask"}
    assert (
        "503" in configure["responses"]
        and "Retry-After" in configure["responses"]["503"]["headers"]
    )
