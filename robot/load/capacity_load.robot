*** Settings ***
Documentation     The capacity under load: 200 Locust users configuring at once get exactly
...               MaxWindows (30) tasks and 503s, nothing else (PZ-13986); after exhaustion the
...               capacity is free again within 5 s.

Resource          ../../resources/fixtures/load.resource

Suite Setup       Focus Suite Setup
Suite Teardown    Focus Suite Teardown
Test Setup        Load Test Setup
Test Teardown     Focus Test Teardown
Test Timeout      ${CAPACITY_TEST_TIMEOUT}

Test Tags         load    api    capacity    regression    disruptive    pod-errors-expected


*** Test Cases ***
Two Hundred Users Configuring At Once Get Only 200 Or 503
    [Documentation]    Exactly 30 accepted, 170 refused with CAPACITY_EXCEEDED and Retry-After,
    ...    no 500, no hang; the server is healthy afterwards.
    [Tags]    PZ-13986
    Configure Flood Should Answer Only 200 Or 503    200
    Health Should Be OK

Capacity Recovers After Exhaustion
    [Documentation]    Fill the capacity, free it, and the next configure succeeds within 5 s.
    Fill Capacity
    Configure Task Should Be Refused For Capacity
    Stop All Tasks
    Capacity Should Be Free Again Within    5s
