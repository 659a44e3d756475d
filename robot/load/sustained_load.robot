*** Settings ***
Documentation     Long runs (``make nightly``): 10 minutes of the task cycle without error and
...               without drift; an alert flood of 10,000 stored completely.

Resource          ../../resources/fixtures/load.resource
Resource          ../../resources/fixtures/alerts.resource

Suite Setup       Alerts Suite Setup
Suite Teardown    Alerts Suite Teardown
Test Timeout      30 minutes

Test Tags         load    nightly    disruptive


*** Test Cases ***
Ten Minutes Of Task Cycles Stay Steady
    [Documentation]    No error; p95 of the last minute within 20 % of the first; RSS growth under 10 %.
    [Tags]    api
    [Setup]    Load Test Setup
    Sustained Load Should Stay Steady    tasks    10 min
    [Teardown]    Focus Test Teardown

Ten Thousand Alerts Are All Stored
    [Documentation]    10,000 alerts published by 10 AMQP publishers are all stored, once each.
    [Tags]    alerts
    [Setup]    Exclusive Alerts Test Setup
    Alert Flood Should Be Stored Completely    10000
    [Teardown]    Alerts Test Teardown
