*** Settings ***
Documentation     Valid alerts (contract section 3): each class and severity is stored once and
...               listed by ``GET /alerts`` with the published fields, not acknowledged.

Resource          ../../resources/alerts.resource

Suite Setup       Alerts Suite Setup
Suite Teardown    Alerts Suite Teardown
Test Setup        Alerts Test Setup
Test Teardown     Alerts Test Teardown
Test Timeout      15 minutes

Test Tags         alerts    regression


*** Test Cases ***
SC And SD Alerts Of Every Severity Are Stored
    [Documentation]    Each class (103 SC, 104 SD) with each severity (1-3) is stored and listed.
    [Tags]    smoke    -regression    critical
    [Template]    Valid Alert Should Be Stored
    classId=103    severity=1
    classId=103    severity=2
    classId=103    severity=3
    classId=104    severity=1
    classId=104    severity=2
    classId=104    severity=3

Alert Is Stored With The Published Fields
    [Documentation]    A fractional ``dofM`` and the other fields come back from ``GET /alerts`` unchanged.
    ${alert} =    Publish Alert    classId=103    severity=2    dofM=1234.5
    Alert Should Appear In API    ${alert}

Filters By Class And Severity Find The Alert
    [Documentation]    The ``classId`` and ``severity`` filters of ``GET /alerts`` include and exclude it.
    ${alert} =    Publish Alert    classId=104    severity=1
    Alert Should Appear In API    ${alert}
    ${other_class} =    Find Alert In API    ${alert}[alertId]    class_id=103
    Should Be Equal    ${other_class}    ${None}
    ${other_severity} =    Find Alert In API    ${alert}[alertId]    severity=3
    Should Be Equal    ${other_severity}    ${None}
