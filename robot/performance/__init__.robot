*** Settings ***
Documentation     Response times, their regression against the recorded baseline, and the Focus
...               Server's CPU and memory under load (Locust). Each test holds the task capacity
...               alone and stops what it created.

Resource          ../../resources/fixtures/load.resource

Suite Setup       Focus Suite Setup
Suite Teardown    Focus Suite Teardown
Test Setup        Load Test Setup
Test Teardown     Focus Test Teardown
Test Timeout      ${CAPACITY_TEST_TIMEOUT}
