*** Settings ***
Documentation     Consistency of the Focus database: stored values agree with the contract's rules,
...               and task statuses agree with the Kubernetes Jobs that exist.

Resource          ../../resources/mongodb.resource
Resource          ../../resources/kubernetes.resource
Resource          ../../resources/focus_api.resource

Suite Setup       Consistency Suite Setup
Suite Teardown    Consistency Suite Teardown

Test Tags         mongodb    data_quality    regression


*** Test Cases ***
Every Alert Has A Valid Class And Severity
    [Documentation]    Every stored alert has classId 103 (SC) or 104 (SD) and a severity of 1-3.
    Every Alert Should Have A Valid Class And Severity

Recording Classifications Follow The Rule
    [Documentation]    deleted / in_progress / complete (end after start, file present) / invalid.
    Recording Classifications Should Follow The Rule

At Most One Recording Is In Progress
    [Documentation]    The recorder writes one file at a time: at most one live recording is in progress.
    Count Documents    recordings    {"classification": "in_progress", "deleted": false}    <=    1

Task Statuses Agree With Their Jobs
    [Documentation]    Every waiting or running task has its gRPC Job, and every task Job belongs to a
    ...    waiting or running task: a finished task's Job is removed (contract section 2).
    [Tags]    k8s
    [Setup]    Hold Lock    ${CAPACITY_LOCK}    mode=exclusive    timeout=10 min
    Wait Until Keyword Succeeds    30s    1s    Active Tasks Should Match Task Jobs


*** Keywords ***
Consistency Suite Setup
    [Documentation]    The database and the cluster.
    Connect To Focus Database
    Connect To Cluster

Consistency Suite Teardown
    [Documentation]    Closes both connections.
    Disconnect From Focus Database
    Disconnect From Cluster

Active Tasks Should Match Task Jobs
    [Documentation]    The Jobs named after the waiting/running tasks are exactly the task Jobs that exist.
    VAR    @{active_statuses} =    @{ACTIVE_TASK_STATUSES}
    VAR    &{status_filter} =    $in=${active_statuses}
    VAR    &{filter} =    status=${status_filter}
    ${task_ids} =    Get Field Values    tasks    task_id    ${filter}
    ${expected} =    Evaluate    sorted($GRPC_JOB_PREFIX + task_id for task_id in $task_ids)
    ${jobs} =    Get Task Job Names
    ${actual} =    Evaluate    sorted($jobs)
    Lists Should Be Equal    ${actual}    ${expected}    Task Jobs and waiting/running tasks differ
