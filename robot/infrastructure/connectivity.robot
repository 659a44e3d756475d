*** Settings ***
Documentation     The stack's control and data planes answer: the Kubernetes API, MongoDB and
...               RabbitMQ, each with the environment's credentials over verified TLS where used.

Resource          ../../resources/kubernetes.resource
Resource          ../../resources/mongodb.resource
Resource          ../../resources/alerts.resource

Suite Setup       Connect To Cluster
Suite Teardown    Disconnect From Cluster

Test Tags         k8s    infrastructure    smoke


*** Test Cases ***
Kubernetes API Lists The Stack's Pods
    [Tags]    critical
    ${pods} =    List Pods    app=${FOCUS_SERVER_WORKLOAD}
    Should Not Be Empty    ${pods}    No pod labelled app=${FOCUS_SERVER_WORKLOAD} in ${K8S_NAMESPACE}
    Every Workload Should Have A Ready Pod

MongoDB Accepts An Authenticated Connection
    [Tags]    mongodb
    Connect To Focus Database
    Wait Until MongoDB Is Reachable    timeout=10s
    ${count} =    Count Documents    tasks
    Should Be True    ${count} >= 0
    [Teardown]    Disconnect From Focus Database

RabbitMQ Accepts An Authenticated Connection
    [Tags]    alerts
    Connect To Alert Broker
    Broker Should Be Reachable
    Exchange Should Exist    ${RABBITMQ_EXCHANGE}
    [Teardown]    Close All RabbitMQ Connections
