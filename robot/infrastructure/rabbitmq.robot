*** Settings ***
Documentation     RabbitMQ of the Focus stack (contract sections 1 and 3): reachable over AMQP,
...               its management API healthy, the durable topic exchange ``prisma`` and the
...               durable rejected-alerts queue in place.

Resource          ../../resources/fixtures/alerts.resource

Suite Setup       Alerts Suite Setup
Suite Teardown    Alerts Suite Teardown
Test Timeout      15 minutes

Test Tags         infrastructure    alerts    regression


*** Test Cases ***
Broker Accepts Connections
    [Documentation]    A new AMQP connection opens, and the management API lists the focus server's
    ...    alert consumer on its queue (not only the suite's own connection).
    [Tags]    critical
    Broker Should Be Reachable
    Get Queue Consumer Count    ${ALERT_CONSUMER_QUEUE}    >=    1

Management API Is Healthy
    [Documentation]    The management API answers and reports no memory or disk alarm.
    Management API Should Be Healthy

Alert Exchange Is A Durable Topic Exchange
    [Documentation]    Exchange ``prisma`` exists, of type topic, durable.
    [Tags]    critical
    Exchange Should Exist    ${RABBITMQ_EXCHANGE}    type=topic    durable=True

Rejected Alerts Queue Exists
    [Documentation]    The rejected-alerts queue exists and is durable (management API), so rejected
    ...    alerts survive a broker restart.
    Queue Should Exist    ${ALERT_REJECTED_QUEUE}    durable=${True}

Alert Route Reaches A Test Queue
    [Documentation]    An alert published to ``prisma`` / ``Algorithm.AlertReport`` reaches a bound queue.
    ...    The alert carries this test's site id (the consumer stores it too; the teardown
    ...    deletes it), and the queue is the test's own (exclusive, expiring, bounded).
    [Tags]    own-data
    [Setup]    Alerts Test Setup
    ${queue} =    Declare Queue    test.rabbitmq.${{ uuid.uuid4().hex }}
    Bind Queue    ${queue}    ${RABBITMQ_EXCHANGE}    ${ALERT_ROUTING_KEY}
    ${alert} =    Publish Alert
    ${message} =    Wait For Message    ${queue}    contains=${alert}[alertId]
    Should Be Equal    ${message}[json]    ${alert}
    Get Queue Message Count    ${queue}    ==    0
    [Teardown]    Alerts Test Teardown
