*** Settings ***
Documentation     A RabbitMQ outage (its StatefulSet scaled to 0): ``/health`` answers 503
...               ``degraded`` naming RabbitMQ within 2 s (contract section 2); scaling back to 1
...               recovers the health and the alert consumer. ``disruptive``: it runs alone.

Resource          ../../resources/kubernetes.resource
Resource          ../../resources/fixtures/alerts.resource

Suite Setup       Outage Suite Setup
Suite Teardown    Outage Suite Teardown
Test Teardown     Restore RabbitMQ
Test Timeout      15 minutes

Test Tags         k8s    resilience    regression    disruptive    alerts    pod-errors-expected


*** Test Cases ***
Health Answers Degraded Within Two Seconds During A RabbitMQ Outage
    [Documentation]    With RabbitMQ scaled to 0, ``/health`` answers 503 ``degraded`` with
    ...    ``rabbitmq`` not ``ok``, within 2 s in total.
    [Tags]    critical
    Scale Deployment    ${RABBITMQ_WORKLOAD}    0
    Health Should Answer Degraded Within Two Seconds    rabbitmq


*** Keywords ***
Outage Suite Setup
    [Documentation]    The Kubernetes API, the broker, the Focus API and the database; RabbitMQ must
    ...    be up to start with.
    Connect To Cluster
    Alerts Suite Setup
    Wait Until Deployment Is Ready    ${RABBITMQ_WORKLOAD}

Outage Suite Teardown
    [Documentation]    Stops leftover tasks and closes every connection.
    Alerts Suite Teardown
    Disconnect From Cluster

Restore RabbitMQ
    [Documentation]    Scales RabbitMQ back to one ready replica, waits for a healthy API and for the
    ...    alert consumer to store alerts again, so the next suite finds a working pipeline.
    [Tags]    disruptive
    Scale Deployment    ${RABBITMQ_WORKLOAD}    1    timeout=${RECOVERY_TIMEOUT}
    Health Should Be OK    timeout=60s
    Connect To Alert Broker
    Use A Test Site
    Consumer Should Store Alerts Again Within    60s
    Alerts Test Teardown
