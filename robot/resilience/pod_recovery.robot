*** Settings ***
Documentation     A deleted pod is a killed process; its controller replaces it and the stack
...               recovers. Each test logs its recovery time (delete request to the new pod's
...               Ready) in its message; ``benchmarks/recovery.py`` prints the speed figures.
...               Every test deletes pods: ``disruptive``, run alone under pabot.

Resource          ../../resources/outages.resource
Resource          ../../resources/fixtures/focus_api.resource
Resource          ../../resources/fixtures/alerts.resource

Suite Setup       Recovery Suite Setup
Suite Teardown    Recovery Suite Teardown
Test Setup        Use A Test Site
Test Teardown     Recovery Test Teardown
Test Timeout      15 minutes

Test Tags         k8s    resilience    regression    disruptive    pod-errors-expected


*** Variables ***
${PERSISTENT_MESSAGES}    20


*** Test Cases ***
Focus Server Pod Deleted Recovers With Its Tasks
    [Documentation]    Deleting the focus server pod: a new pod (a new name) is Ready, the old one is
    ...    gone and ``/health`` answers from the new one; the running task survives.
    [Tags]    critical
    ${task} =    Start Running Live Task
    ${pod} =    Delete Pod Of Workload    ${FOCUS_SERVER_WORKLOAD}
    Focus Server Should Recover Within    ${RECOVERY_TIMEOUT}
    Pod Should Be Replaced As Its Controller Does    ${FOCUS_SERVER_WORKLOAD}    ${pod}
    Task Should Be Running    ${task}

MongoDB Pod Deleted Keeps Its Data And The Focus Server Recovers
    [Documentation]    Deleting the MongoDB pod keeps tasks and alerts unchanged (this test first has
    ...    the system store one of each, so the comparison is never of two empty sets) and the
    ...    API healthy.
    [Tags]    critical    mongodb
    Connect To Focus Database
    Have The System Store A Task And An Alert
    ${before} =    Snapshot Of Focus Data
    Delete Pod Of Workload    ${MONGODB_WORKLOAD}
    MongoDB Should Recover Within    ${RECOVERY_TIMEOUT}
    ${after} =    Snapshot Of Focus Data
    Dictionaries Should Be Equal    ${after}    ${before}    Data changed across the pod delete
    Health Should Be OK    timeout=30s

RabbitMQ Pod Deleted Keeps Its Durable Exchange And Persistent Messages
    [Documentation]    Deleting the RabbitMQ pod (a StatefulSet's: same name, new uid) keeps the durable
    ...    exchange and every persistent message of a durable queue.
    [Tags]    critical    alerts
    Connect To Alert Broker
    ${queue} =    Publish Persistent Messages To A Durable Queue    ${PERSISTENT_MESSAGES}
    ${pod} =    Delete Pod Of Workload    ${RABBITMQ_WORKLOAD}
    RabbitMQ Should Recover Within    ${RECOVERY_TIMEOUT}
    Pod Should Be Replaced As Its Controller Does    ${RABBITMQ_WORKLOAD}    ${pod}
    Exchange Should Exist    ${RABBITMQ_EXCHANGE}    durable=${True}
    Get Queue Message Count    ${queue}    ==    ${PERSISTENT_MESSAGES}

Alert Consumer Reconnects After The RabbitMQ Pod Is Deleted
    [Documentation]    After the RabbitMQ pod is deleted the focus server's consumer reconnects and stores
    ...    new alerts.
    [Tags]    alerts
    Connect To Alert Broker
    # An earlier outage may still have the consumer backing off: start from a working pipeline.
    Consumer Should Store Alerts Again Within    30s
    Delete Pod Of Workload    ${RABBITMQ_WORKLOAD}
    RabbitMQ Should Recover Within    ${RECOVERY_TIMEOUT}
    Consumer Should Store Alerts Again Within    30s

SEG-Y Recorder Pod Deleted Resumes Recording Without Overlap Or Corruption
    [Documentation]    After the recorder pod is deleted, recording resumes: a new recording in progress,
    ...    started since the delete, no overlap, valid SEG-Y files.
    [Tags]    critical    mongodb    segy
    Connect To Focus Database
    ${before} =    Count Documents    recordings
    Delete Pod Of Workload    ${SEGY_RECORDER_WORKLOAD}
    SEG-Y Recorder Should Recover Within    ${RECOVERY_TIMEOUT}
    Count Documents    recordings    ${None}    >    ${before}
    Count Documents    recordings    {"classification": "in_progress"}    ==    1
    Recordings Should Not Overlap
    Every Complete Recording Should Have Its SEG-Y File

Several Pods Deleted At Once Recover
    [Documentation]    Deleting every workload's pod at once: the whole stack recovers and ``/health`` is ok.
    ${seconds} =    Delete Pods Of Workloads At Once
    ...    ${FOCUS_SERVER_WORKLOAD}    ${MONGODB_WORKLOAD}    ${RABBITMQ_WORKLOAD}
    ...    ${SEGY_RECORDER_WORKLOAD}
    Log Recovery Time    the whole stack    ${seconds}
    Health Should Be OK    timeout=60s


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
    [Tags]    own-data
    Stack Should Be Ready
    Stop All Tasks
    Close All RabbitMQ Connections
    Connect To Focus Database
    Delete Alerts Of The Test Site
    Disconnect From Focus Database

Have The System Store A Task And An Alert
    [Documentation]    A Live task configured and stopped through the API, and an alert of this
    ...    test's site published to RabbitMQ and stored by the consumer.
    [Tags]    own-data
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
    [Tags]    shared
    [Arguments]    ${count}
    ${suffix} =    Evaluate    uuid.uuid4().hex[:12]    modules=uuid
    ${queue} =    Declare Queue    test.resilience.${suffix}    durable=${True}
    Bind Queue    ${queue}    ${RABBITMQ_EXCHANGE}    test.resilience.${suffix}
    FOR    ${index}    IN RANGE    ${count}
        Publish Raw Message    {"index": ${index}}    routing_key=test.resilience.${suffix}
    END
    Get Queue Message Count    ${queue}    ==    ${count}
    RETURN    ${queue}
