*** Settings ***
Documentation     MaxWindows on Kubernetes: 30 tasks run 30 Jobs, the 31st ``/configure`` is
...               refused and creates no Job, and once the tasks stop no Job, pod or Service is
...               left. Fills the capacity, so it is ``disruptive`` and runs alone.

Resource          ../../resources/kubernetes.resource
Resource          ../../resources/fixtures/focus_api.resource

Suite Setup       Capacity Suite Setup
Suite Teardown    Capacity Suite Teardown
Test Setup        Capacity Test Setup
Test Teardown     Focus Test Teardown
Test Timeout      15 minutes

Test Tags         k8s    infrastructure    regression    capacity    disruptive    critical
...               pod-errors-expected


*** Test Cases ***
Thirty Jobs Run And The Thirty-First Task Is Refused
    [Documentation]    30 tasks run 30 gRPC Jobs; the 31st ``/configure`` is refused and creates no Job.
    Fill Capacity
    ${jobs} =    Get Task Job Names
    Length Should Be    ${jobs}    ${MAX_WINDOWS}
    Configure Task Should Be Refused For Capacity
    ${after} =    Get Task Job Names
    Lists Should Be Equal    ${after}    ${jobs}    The refused task created a Job

No Job Is Leaked Once The Tasks Stop
    [Documentation]    After 30 tasks are stopped no task Job, pod or Service is left.
    Fill Capacity
    Stop All Tasks
    No Task Job Should Be Left


*** Keywords ***
Capacity Suite Setup
    [Documentation]    The Kubernetes API and the Focus API; no task Job may be left from before.
    Connect To Cluster
    Focus Suite Setup

Capacity Suite Teardown
    [Documentation]    Stops leftover tasks and closes every connection.
    Focus Suite Teardown
    Disconnect From Cluster
