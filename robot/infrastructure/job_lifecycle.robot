*** Settings ***
Documentation     A task's gRPC Job: ``/configure`` creates Job ``focus-server-grpc-<id>`` and
...               NodePort Service ``grpc-service-<id>``; the Job's pod runs within 30 s; a stop
...               deletes the Job, its pod and its Service.

Resource          ../../resources/kubernetes.resource
Resource          ../../resources/fixtures/focus_api.resource

Suite Setup       Job Suite Setup
Suite Teardown    Job Suite Teardown
Test Setup        Focus Test Setup
Test Teardown     Focus Test Teardown
Test Timeout      15 minutes

Test Tags         k8s    infrastructure    regression    own-data


*** Test Cases ***
Configure Creates A Job Whose Pod Runs Within Thirty Seconds
    [Documentation]    ``/configure`` creates exactly one Job for the task, whose pod is Running within 30 s.
    [Tags]    critical
    ${task} =    Configure Live Task
    ${jobs} =    Get Jobs For Task    ${task}
    Length Should Be    ${jobs}    1
    ${seconds} =    Task Job Should Be Running    ${task}
    Log    Job pod Running ${seconds} s after the Job was seen
    Task Should Be Running    ${task}

Stop Removes The Job, Its Pod And Its Service
    [Documentation]    Stopping a task deletes its Job, its pod and its Service.
    [Tags]    critical
    ${task} =    Start Running Live Task
    Task Job Should Be Running    ${task}
    Stop Task    ${task}
    Task Job Should Be Gone    ${task}

Completed Historic Task Leaves No Job
    [Documentation]    On completion the task's Job, its pod and its Service are removed by themselves
    ...    (contract section 2: cleanup is automatic), without a stop.
    ${payload} =    Build Historic Payload    span=10s
    ${task} =    Configure Task    ${payload}
    ${jobs} =    Get Jobs For Task    ${task}
    Length Should Be    ${jobs}    1
    Get Task Status    ${task}    ==    completed    timeout=60s
    Task Job Should Be Gone    ${task}

Job Pod Logs Show The Task Serving
    [Documentation]    The running task Job's pod log says it is serving.
    ${task} =    Start Running Live Task
    Task Job Should Be Running    ${task}
    ${jobs} =    Get Jobs For Task    ${task}
    ${pods} =    List Pods    job-name=${jobs}[0]
    ${log} =    Get Pod Logs    ${pods}[0]    tail_lines=20
    Should Contain    ${log}    serving


*** Keywords ***
Job Suite Setup
    [Documentation]    The Kubernetes API and the Focus API.
    Connect To Cluster
    Focus Suite Setup

Job Suite Teardown
    [Documentation]    Stops leftover tasks and closes every connection.
    Focus Suite Teardown
    Disconnect From Cluster
