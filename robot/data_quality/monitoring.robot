*** Settings ***
Documentation     The monitoring agent's view: server metrics sampled around a workload, and
...               connections back to their baseline afterwards.
...
...               The connection count is global: the baseline test runs alone (see
...               `Keep MongoDB Connections Still During This Test`); clients outside the suite
...               that connect meanwhile need ``${CONNECTIONS_TOLERANCE}``.
...
...               Not here yet: MongoDB recovery after a pod delete (needs the Kubernetes library).

Resource          ../../resources/fixtures/mongodb.resource

Suite Setup       Connect To Focus Database
Suite Teardown    Disconnect From Focus Database

Test Tags         mongodb    data_quality    regression


*** Test Cases ***
Server Metrics Count The Operations Of A Workload
    [Documentation]    serverStatus opcounters sampled before and after a workload on a second connection grow.
    ${before} =    Get Server Metrics
    Run A Database Workload On A Second Connection
    ${after} =    Get Server Metrics
    Operation Counters Should Have Grown    ${before}    ${after}

Connections Return To Baseline After A Workload
    [Documentation]    Once the workload's connection is closed, the server's current
    ...    connections return to the baseline.
    Keep MongoDB Connections Still During This Test
    ${before} =    Get Server Metrics
    Run A Database Workload On A Second Connection
    Connections Should Return To Baseline    ${before}    tolerance=${CONNECTIONS_TOLERANCE}
    ...    timeout=${CONNECTIONS_TIMEOUT}
