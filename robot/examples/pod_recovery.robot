*** Settings ***
Documentation     Recipe 4 of docs/TESTERS.md: the focus-server pod deleted, the service recovered
...               within 30 s (a new pod Ready and answering, measured from the delete), and a new
...               task configured on it. Destructive: it runs alone, and not on production.

Resource          ../../resources/outages.resource

Suite Setup       Connect To Cluster
Suite Teardown    Disconnect From Cluster

Test Tags         k8s    resilience    regression    disruptive    recipe    pod-errors-expected


*** Test Cases ***
Focus Server Recovers Within 30 Seconds And Takes A New Task
    [Documentation]    ``Delete Pod Of Workload`` returns at once; ``Focus Server Should Recover Within``
    ...    waits for the new pod and fails past 30 s from the delete. Then a Live task runs.
    Connect To Focus API
    Delete Pod Of Workload    ${FOCUS_SERVER_WORKLOAD}
    Focus Server Should Recover Within    30 s
    ${task} =    Start Running Live Task
    Stop Task    ${task}
    [Teardown]    Stop All Tasks
