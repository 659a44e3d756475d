*** Settings ***
Documentation     The stack as deployed: its workloads and services exist, every workload is
...               ready, and no pod restarts while the system works.

Resource          ../../resources/kubernetes.resource
Resource          ../../resources/fixtures/focus_api.resource

Suite Setup       System Suite Setup
Suite Teardown    System Suite Teardown
Test Timeout      15 minutes

Test Tags         k8s    infrastructure    regression


*** Test Cases ***
Expected Workloads And Services Are Present
    [Documentation]    The four workloads of contract section 1 exist, and their services.
    [Tags]    critical
    Workloads Should Exist    ${FOCUS_SERVER_WORKLOAD}    ${MONGODB_WORKLOAD}    ${RABBITMQ_WORKLOAD}
    ...    ${SEGY_RECORDER_WORKLOAD}
    Services Should Exist    ${FOCUS_SERVER_WORKLOAD}    ${MONGODB_WORKLOAD}    ${RABBITMQ_WORKLOAD}

Every Workload Is Ready
    [Documentation]    Every workload has all replicas Ready and a Running pod.
    Stack Should Be Ready
    Every Workload Should Have A Ready Pod

Every Workload Runs One Replica
    [Documentation]    Each workload is one replica (contract section 1): it asks for one and has
    ...    exactly one pod.
    Every Workload Should Run One Replica

Restart Counts Stay Stable While Tasks Run
    [Documentation]    Running, streaming and stopping a task restarts no pod.
    [Tags]    own-data
    [Setup]    Focus Test Setup
    ${before} =    Get Restart Counts
    ${task} =    Start Running Live Task
    Live Task Should Be Streaming    ${task}
    Stop Task    ${task}
    Health Should Be OK
    Restart Counts Should Be Unchanged    ${before}
    [Teardown]    Focus Test Teardown


*** Keywords ***
System Suite Setup
    [Documentation]    The Kubernetes API and the Focus API.
    Connect To Cluster
    Focus Suite Setup

System Suite Teardown
    [Documentation]    Stops leftover tasks and closes every connection.
    Focus Suite Teardown
    Disconnect From Cluster
