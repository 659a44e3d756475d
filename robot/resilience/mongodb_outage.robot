*** Settings ***
Documentation     A MongoDB outage (the Deployment scaled to 0): ``/health`` answers 503
...               ``degraded`` within 2 s (bug PZ-13640), ``/configure`` fails fast with a clear
...               error; scaling back to 1 recovers the whole stack. ``disruptive``.

Resource          ../../resources/kubernetes.resource
Resource          ../../resources/fixtures/focus_api.resource

Suite Setup       Outage Suite Setup
Suite Teardown    Outage Suite Teardown
Test Teardown     Restore MongoDB
Test Timeout      15 minutes

Test Tags         k8s    resilience    regression    disruptive    mongodb    pod-errors-expected


*** Test Cases ***
Health Answers Degraded Within Two Seconds During A MongoDB Outage
    [Documentation]    With MongoDB scaled to 0, ``/health`` answers 503 ``degraded`` within 2 s (bug
    ...    PZ-13640).
    [Tags]    PZ-13640    critical
    Scale Deployment    ${MONGODB_WORKLOAD}    0
    Health Should Answer Degraded Within Two Seconds    mongodb

Configure Fails Fast With A Clear Error During A MongoDB Outage
    [Documentation]    With MongoDB scaled to 0, ``/configure`` answers 503 with an error message
    ...    within ``${HEALTH_DEGRADED_WITHIN_S}`` s in total (a deadline on the whole answer).
    [Tags]    PZ-13640
    Scale Deployment    ${MONGODB_WORKLOAD}    0
    ${answer} =    Configure Live Task    expected_status=503    timeout=${HEALTH_DEGRADED_WITHIN_S}
    Should Not Be Empty    ${answer}[error][message]

Stack Recovers Fully After MongoDB Is Scaled Back
    [Documentation]    After MongoDB is scaled back, ``/health`` is ok again and a task runs.
    [Tags]    critical
    Scale Deployment    ${MONGODB_WORKLOAD}    0
    Health Should Answer Degraded Within Two Seconds    mongodb
    ${seconds} =    Scale Deployment    ${MONGODB_WORKLOAD}    1
    Log Recovery Time    ${MONGODB_WORKLOAD} (scaled back to 1)    ${seconds}
    Health Should Be OK    timeout=30s
    ${task} =    Start Running Live Task
    Stop Task    ${task}


*** Keywords ***
Outage Suite Setup
    [Documentation]    The Kubernetes API and the Focus API; MongoDB must be up to start with.
    Connect To Cluster
    Focus Suite Setup
    Wait Until Deployment Is Ready    ${MONGODB_WORKLOAD}

Outage Suite Teardown
    [Documentation]    Stops leftover tasks and closes every connection.
    Focus Suite Teardown
    Disconnect From Cluster

Restore MongoDB
    [Documentation]    Scales MongoDB back to one ready replica and waits for a healthy API.
    [Tags]    disruptive
    Scale Deployment    ${MONGODB_WORKLOAD}    1    timeout=${RECOVERY_TIMEOUT}
    Health Should Be OK    timeout=30s
    Stop All Tasks
