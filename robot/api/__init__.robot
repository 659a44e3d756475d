*** Settings ***
Documentation     The Focus Server REST API of contract section 2: configure, metadata, waterfall,
...               the task lifecycle, validation rules and capacity. Every suite here connects once
...               (this file's setup), and every test that may create tasks shares the capacity and
...               stops what it created.

Resource          ../../resources/fixtures/focus_api.resource

Suite Setup       Focus Suite Setup
Suite Teardown    Focus Suite Teardown
Test Setup        Focus Test Setup
Test Teardown     Focus Test Teardown
Test Timeout      ${API_TEST_TIMEOUT}
