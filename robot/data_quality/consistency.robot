*** Settings ***
Documentation     Consistency of the Focus database: stored values agree with the contract's rules,
...               and task statuses agree with the Kubernetes Jobs that exist.

Resource          ../../resources/fixtures/data_quality.resource
Resource          ../../resources/kubernetes.resource
Resource          ../../resources/fixtures/focus_api.resource

Suite Setup       Consistency Suite Setup
Suite Teardown    Consistency Suite Teardown

Test Tags         mongodb    data_quality    regression    own-data


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

Recordings Listed For A Range Are Every Stored One Overlapping It
    [Documentation]    ``GET /recordings?start=&end=`` over the newest complete recordings lists
    ...    exactly the live recordings MongoDB holds overlapping that range: every one, not a few.
    ${start}    ${end} =    Get Recent Recording Range
    Listed Recordings Should Be Every Stored One Overlapping    ${start}    ${end}

Task Statuses Agree With Their Jobs
    [Documentation]    Every waiting or running task has its gRPC Job, and every task Job belongs to a
    ...    waiting or running task: with a task of this test running its Job is there, and
    ...    once it is stopped its Job is removed (contract section 2). Holds the capacity alone,
    ...    so no other test's task comes or goes meanwhile.
    [Tags]    k8s
    [Setup]    Capacity Test Setup
    ${task} =    Start Running Live Task
    Task Jobs Should Match Active Tasks Within    30s    ${task}
    Stop Task    ${task}
    Task Jobs Should Match Active Tasks Within    30s
    [Teardown]    Stop All Tasks


*** Keywords ***
Consistency Suite Setup
    [Documentation]    The data-quality fixtures (a stored task and alert) and the cluster.
    [Tags]    own-data
    Data Quality Suite Setup
    Connect To Cluster

Consistency Suite Teardown
    [Documentation]    Closes every connection.
    [Tags]    own-data
    Data Quality Suite Teardown
    Disconnect From Cluster

Task Jobs Should Match Active Tasks Within
    [Documentation]    `Active Tasks Should Match Task Jobs` holds within ``${timeout}``.
    [Arguments]    ${timeout: timedelta}    ${task: dict | None}=${None}
    # On purpose: the whole comparison is retried. It reads two stores (MongoDB's tasks, the
    # cluster's Jobs) that the focus server updates one after the other; they must agree in
    # one reading, so neither side alone can be polled.
    Wait Until Keyword Succeeds    ${timeout}    1s    Active Tasks Should Match Task Jobs    ${task}

Active Tasks Should Match Task Jobs
    [Documentation]    The Jobs named after the waiting/running tasks are exactly the task Jobs that
    ...    exist; with ``${task}``, its Job is among them.
    [Arguments]    ${task}=${None}
    VAR    @{active_statuses} =    @{ACTIVE_TASK_STATUSES}
    VAR    &{status_filter} =    $in=${active_statuses}
    VAR    &{filter} =    status=${status_filter}
    ${task_ids} =    Get Field Values    tasks    task_id    ${filter}
    ${expected} =    Evaluate    sorted(map($GRPC_JOB_PREFIX.__add__, $task_ids))
    ${jobs} =    Get Task Job Names
    ${actual} =    Evaluate    sorted($jobs)
    Lists Should Be Equal    ${actual}    ${expected}    Task Jobs and waiting/running tasks differ
    IF    $task is not None
        Should Contain    ${actual}    ${GRPC_JOB_PREFIX}${task}[task_id]    The running task has no Job
    END
