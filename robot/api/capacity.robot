*** Settings ***
Documentation    At most MaxWindows (30) tasks are active; the next ``/configure`` answers 503
...              ``CAPACITY_EXCEEDED`` with ``Retry-After``; a stop frees capacity; 200 concurrent
...              configures get only 200s and 503s, never a 500 or a hang (bug PZ-13986).
...              Each test holds the ``focus-capacity`` lock exclusively.

Resource         ../../resources/fixtures/focus_api.resource

Test Setup       Capacity Test Setup
Test Timeout     ${CAPACITY_TEST_TIMEOUT}

Test Tags        api    regression    capacity    pod-errors-expected    disruptive


*** Test Cases ***
Thirty Tasks Are Accepted And The Next Is Refused
    [Documentation]    MaxWindows (30) tasks are accepted; the 31st ``/configure`` answers 503
    ...    ``CAPACITY_EXCEEDED`` with a positive ``Retry-After``.
    [Tags]    critical
    Fill Capacity
    ${retry_after} =    Configure Task Should Be Refused For Capacity
    Should Be True    ${retry_after} > 0

Stopping A Task Frees Its Capacity
    [Documentation]    With the capacity full, stopping one task lets the next ``/configure`` be accepted.
    ${tasks} =    Fill Capacity
    Configure Task Should Be Refused For Capacity
    Stop Task    ${tasks}[0]
    Configure Live Task

Completed And Stopped Tasks Hold No Capacity
    [Documentation]    Only waiting and running tasks count: after one Historic task has completed
    ...    and one Live task was stopped, MaxWindows (30) new tasks are still accepted.
    ${payload} =    Build Historic Payload    span=5s
    ${historic} =    Configure Task    ${payload}
    ${live} =    Configure Live Task
    Stop Task    ${live}
    Get Task Status    ${historic}    ==    completed    timeout=60s
    Fill Capacity
    Configure Task Should Be Refused For Capacity

Two Hundred Concurrent Configures Answer Only 200 Or 503
    [Documentation]    200 configures at once (bug PZ-13986) all get an answer, only 200 or 503, exactly
    ...    MaxWindows accepted, and the server stays healthy.
    [Tags]    PZ-13986    critical
    ${burst} =    Concurrent Configures Should Answer Only 200 Or 503    200
    Should Be Equal As Integers    ${burst}[statuses][${200}]    ${MAX_WINDOWS}
    Health Should Be OK

Server Serves Requests While Full
    [Documentation]    With every slot taken, ``/health`` and ``/channels`` still answer normally.
    Fill Capacity
    Health Should Be OK
    Channels Should Cover The Sensors Range
