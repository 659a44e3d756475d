*** Settings ***
Documentation     Recipe 10 of docs/TESTERS.md: invalid alerts published to RabbitMQ are rejected with
...               their reason, never stored, and the consumer goes on. One row per kind of alert.

Resource          ../../resources/fixtures/alerts.resource

Suite Setup       Alerts Suite Setup
Suite Teardown    Alerts Suite Teardown
Test Setup        Alerts Test Setup
Test Teardown     Alerts Test Teardown
Test Template     Invalid Alert Should Be Rejected

Test Tags         alerts    regression    recipe    pod-errors-expected    shared


*** Test Cases ***    REASON    FIELD    ALERT FIELDS
Severity 4 Is Out Of Range
    [Documentation]    Severity is 1-3: an alert of severity 4 is rejected, not stored.
    out_of_range    severity    severity=${4}
Class 105 Is Unknown
    [Documentation]    Classes are 103 (SC) and 104 (SD): class 105 is rejected, not stored.
    unknown_class    classId    classId=${105}
A Severity Given As Text Has The Wrong Type
    [Documentation]    ``severity=3`` without ``${}`` is the text "3": rejected as the wrong type.
    wrong_type    severity    severity=3
