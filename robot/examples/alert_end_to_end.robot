*** Settings ***
Documentation     Recipe 3 of docs/TESTERS.md: an SD alert of severity 2 from RabbitMQ to the API and
...               the liveView panel, acknowledged in the panel and still acknowledged after a reload.

Resource          ../../resources/fixtures/ui_alerts.resource

Suite Setup       UI Alerts Suite Setup
Suite Teardown    UI Alerts Suite Teardown
Test Setup        UI Alerts Test Setup
Test Teardown     UI Alerts Test Teardown

Test Tags         alerts    ui    regression    recipe    own-data


*** Test Cases ***
SD Severity 2 Alert Is Acknowledged In The Panel And Stays Acknowledged
    [Documentation]    The alert is listed by ``GET /alerts`` and by the panel as SD, medium; the
    ...    panel's Acknowledge marks it, a reload still shows it acknowledged, and so does the API.
    ${alert} =    Publish Alert    classId=104    severity=2
    Alert Should Appear In API    ${alert}
    Open Alerts Panel
    Alerts Panel Should List Alert    ${alert}
    Acknowledge Alert    ${alert}
    Reload Live View    alerts
    Alert Should Be Acknowledged In Panel    ${alert}
    Alert Should Be Acknowledged In API    ${alert}
