*** Settings ***
Documentation     The stack's control and data planes answer: the Kubernetes API, MongoDB and
...               RabbitMQ, each with the environment's credentials over verified TLS where used.

Resource          ../../resources/kubernetes.resource
Resource          ../../resources/mongodb.resource
Resource          ../../resources/fixtures/alerts.resource

Suite Setup       Connect To Cluster
Suite Teardown    Disconnect From Cluster

Test Tags         k8s    infrastructure    regression


*** Test Cases ***
Kubernetes API Lists The Stack's Pods
    [Documentation]    The Kubernetes API lists the focus server's pod and every workload has a Running pod.
    [Tags]    critical
    ${pods} =    List Pods    app=${FOCUS_SERVER_WORKLOAD}
    Should Not Be Empty    ${pods}    No pod labelled app=${FOCUS_SERVER_WORKLOAD} in ${K8S_NAMESPACE}
    Every Workload Should Have A Ready Pod

MongoDB Accepts An Authenticated Connection
    [Documentation]    An authenticated MongoDB connection with the environment's credentials reads
    ...    the recordings the recorder wrote, and a wrong password is refused (for the same user
    ...    on the twin, for a user that does not exist elsewhere: `Get User For Failed Logins`).
    [Tags]    mongodb    shared
    Connect To Focus Database
    Wait Until MongoDB Is Reachable    timeout=10s
    Count Documents    recordings    ${None}    >=    1    The authenticated connection sees no recording
    Wrong MongoDB Password Should Be Refused
    [Teardown]    Disconnect From Focus Database

RabbitMQ Accepts An Authenticated Connection
    [Documentation]    An authenticated AMQP connection works and the alert exchange exists.
    [Tags]    alerts
    Connect To Alert Broker
    Broker Should Be Reachable
    Exchange Should Exist    ${RABBITMQ_EXCHANGE}
    [Teardown]    Close All RabbitMQ Connections


*** Keywords ***
Wrong MongoDB Password Should Be Refused
    [Documentation]    Connecting with a wrong password fails (authentication is on): as
    ...    ``${MONGO_USER}`` on the twin, as a user that does not exist on a live system.
    ${wrong} =    Evaluate    robot.api.types.Secret("not-the-password")    modules=robot.api.types
    ${user} =    Get User For Failed Logins    ${MONGO_USER}
    Run Keyword And Expect Error    *OperationFailure*
    ...    Connect To MongoDB    ${MONGO_HOST}    ${MONGO_PORT}    ${user}    ${wrong}
    ...    database=${MONGO_DATABASE}    auth_source=${MONGO_AUTH_SOURCE}    tls=${MONGO_TLS}
    ...    ca_bundle=${CA_BUNDLE}    alias=wrong-password
