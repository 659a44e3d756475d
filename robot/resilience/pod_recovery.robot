*** Settings ***
Documentation     A deleted pod is a killed process; its controller replaces it and the stack
...               recovers. Each test logs its recovery time (delete request to the new pod's
...               Ready) in its message; ``benchmarks/recovery.py`` prints the speed figures.
...               Every test deletes pods: ``destructive``, run alone under pabot.

Resource          ../../resources/kubernetes.resource
Resource          ../../resources/fixtures/focus_api.resource
Resource          ../../resources/mongodb.resource
Resource          ../../resources/fixtures/alerts.resource

Suite Setup       Recovery Suite Setup
Suite Teardown    Recovery Suite Teardown
Test Setup        Use A Test Site
Test Teardown     Recovery Test Teardown
Test Timeout      15 minutes

Test Tags         k8s    resilience    regression    destructive    pod-errors-expected


*** Variables ***
${PERSISTENT_MESSAGES}    20


*** Test Cases ***
Focus Server Pod Deleted Recovers With Its Tasks
    [Documentation]    Deleting the focus server pod: a new pod becomes Ready and the running task survives.
    [Tags]    critical
    ${task} =    Start Running Live Task
    Delete Workload Pod And Measure Recovery    ${FOCUS_SERVER_WORKLOAD}
    Wait Until Keyword Succeeds    30s    0.5s    Health Should Be OK
    Task Should Be Running    ${task}

MongoDB Pod Deleted Keeps Its Data And The Focus Server Recovers
    [Documentation]    Deleting the MongoDB pod keeps tasks and alerts unchanged (this test first has
    ...    the system store one of each, so the comparison is never of two empty sets) and the
    ...    API healthy.
    [Tags]    critical    mongodb
    Connect To Focus Database
    Have The System Store A Task And An Alert
    ${before} =    Snapshot Of Focus Data
    Delete Workload Pod And Measure Recovery    ${MONGODB_WORKLOAD}
    Wait Until MongoDB Is Reachable    timeout=30s
    ${after} =    Snapshot Of Focus Data
    Dictionaries Should Be Equal    ${after}    ${before}    Data changed across the pod delete
    Wait Until Keyword Succeeds    30s    0.5s    Health Should Be OK

RabbitMQ Pod Deleted Keeps Its Durable Exchange And Persistent Messages
    [Documentation]    Deleting the RabbitMQ pod keeps the durable exchange and every persistent message of a
    ...    durable queue.
    [Tags]    critical    alerts
    Connect To Alert Broker
    ${queue} =    Publish Persistent Messages To A Durable Queue    ${PERSISTENT_MESSAGES}
    Delete Workload Pod And Measure Recovery    ${RABBITMQ_WORKLOAD}
    Connect To Alert Broker
    Exchange Should Exist    ${RABBITMQ_EXCHANGE}    durable=${True}
    Get Queue Message Count    ${queue}    ==    ${PERSISTENT_MESSAGES}    timeout=10s

Alert Consumer Reconnects After The RabbitMQ Pod Is Deleted
    [Documentation]    After the RabbitMQ pod is deleted the focus server's consumer reconnects and stores
    ...    new alerts.
    [Tags]    alerts
    Connect To Alert Broker
    # An earlier outage may still have the consumer backing off: start from a working pipeline.
    Wait Until Keyword Succeeds    30s    1s    Valid Alert Should Be Stored
    Delete Workload Pod And Measure Recovery    ${RABBITMQ_WORKLOAD}
    Connect To Alert Broker
    Wait Until Keyword Succeeds    30s    1s    Valid Alert Should Be Stored

SEG-Y Recorder Pod Deleted Resumes Recording Without Overlap Or Corruption
    [Documentation]    After the recorder pod is deleted, recording resumes: new recordings, no overlap,
    ...    valid SEG-Y files.
    [Tags]    critical    mongodb    segy
    Connect To Focus Database
    ${before} =    Count Documents    recordings
    Delete Workload Pod And Measure Recovery    ${SEGY_RECORDER_WORKLOAD}
    Count Documents    recordings    ${None}    >    ${before}    timeout=30s
    Count Documents    recordings    {"classification": "in_progress"}    ==    1    timeout=30s
    Recordings Should Not Overlap
    Every Complete Recording Should Have Its SEG-Y File

Several Pods Deleted At Once Recover
    [Documentation]    Deleting every workload's pod at once: the whole stack recovers and ``/health`` is ok.
    ${seconds} =    Delete Pods Of Workloads At Once
    ...    ${FOCUS_SERVER_WORKLOAD}    ${MONGODB_WORKLOAD}    ${RABBITMQ_WORKLOAD}
    ...    ${SEGY_RECORDER_WORKLOAD}
    Log Recovery Time    the whole stack    ${seconds}
    Wait Until Keyword Succeeds    60s    1s    Health Should Be OK


*** Keywords ***
Recovery Suite Setup
    [Documentation]    The Kubernetes API and the Focus API; the stack must be ready to start with.
    Connect To Cluster
    Focus Suite Setup
    Stack Should Be Ready

Recovery Suite Teardown
    [Documentation]    Stops leftover tasks and closes every connection.
    Focus Suite Teardown
    Disconnect From Cluster

Recovery Test Teardown
    [Documentation]    Whatever happened, the stack is ready again for the next test. A teardown
    ...    runs every step even when one fails, and a failed step fails the test: cleanup
    ...    problems are reported, never hidden.
    Stack Should Be Ready
    Stop All Tasks
    Close All RabbitMQ Connections
    Connect To Focus Database
    Delete Alerts Of The Test Site
    Disconnect From Focus Database

Have The System Store A Task And An Alert
    [Documentation]    A Live task configured and stopped through the API, and an alert of this
    ...    test's site published to RabbitMQ and stored by the consumer.
    Connect To Alert Broker
    ${task} =    Configure Live Task
    Stop Task    ${task}
    ${alert} =    Publish Alert
    Alert Should Appear In API    ${alert}    timeout=10s

Snapshot Of Focus Data
    [Documentation]    Count and checksum of each collection the stack keeps (tasks, alerts); each
    ...    must hold at least one document.
    ${snapshot} =    Create Dictionary
    FOR    ${collection}    IN    tasks    alerts
        ${count} =    Count Documents    ${collection}    ${None}    >=    1
        ${checksum} =    Get Collection Checksum    ${collection}
        Set To Dictionary    ${snapshot}    ${collection}=${count} documents, ${checksum}
    END
    RETURN    ${snapshot}

Publish Persistent Messages To A Durable Queue
    [Documentation]    Declares a durable queue bound to the alert exchange with a routing key of
    ...    its own and publishes ``${count}`` persistent messages to it; returns the queue.
    [Arguments]    ${count}
    ${suffix} =    Evaluate    uuid.uuid4().hex[:12]    modules=uuid
    ${queue} =    Declare Queue    test.resilience.${suffix}    durable=${True}
    Bind Queue    ${queue}    ${RABBITMQ_EXCHANGE}    test.resilience.${suffix}
    FOR    ${index}    IN RANGE    ${count}
        Publish Raw Message    {"index": ${index}}    routing_key=test.resilience.${suffix}
    END
    Get Queue Message Count    ${queue}    ==    ${count}
    RETURN    ${queue}
