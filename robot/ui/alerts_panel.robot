*** Settings ***
Documentation     The alerts panel (contract sections 3 and 5), the seeds' frontend alert cases:
...               the list newest first, each class and severity with its colour, the filters,
...               a persistent acknowledge, live arrival without a reload, 100 alerts, invalid
...               alerts never shown, and the empty state. Each test publishes to RabbitMQ under
...               a site id of its own and deletes its alerts afterwards.

Resource          ../../resources/fixtures/ui_alerts.resource

Suite Setup       UI Alerts Suite Setup
Suite Teardown    UI Alerts Suite Teardown
Test Setup        UI Alerts Test Setup
Test Teardown     UI Alerts Test Teardown
Test Timeout      10 minutes

Test Tags         ui    alerts


*** Test Cases ***
Published Alerts Are Listed Newest First
    [Documentation]    Three alerts published with distinct times are listed newest first.
    [Tags]    regression    own-data
    ${alerts} =    Publish Alerts At Times    -3s    -2s    -1s
    Open Alerts Panel
    FOR    ${alert}    IN    @{alerts}
        Alerts Panel Should List Alert    ${alert}
    END
    Alerts Panel Should Show In Order    @{alerts}

Each Class And Severity Shows Its Label And Colour
    [Documentation]    An alert of each class (103 SC, 104 SD) and severity (1 low, 2 medium, 3 high)
    ...    is listed with its class label, severity name and severity colour: one row per pair.
    [Tags]    regression    own-data
    [Setup]    UI Alerts Test Setup With The Panel Open
    [Template]    Alert Should Show Class And Severity Colour
    # classId    severity
    103    1
    103    2
    103    3
    104    1
    104    2
    104    3

Filter By Class Shows Only That Class
    [Documentation]    With class SC chosen, only SC alerts are listed: this test's SD alert is not.
    [Tags]    regression    own-data
    ${sc}    ${sd} =    Publish Alerts Of Both Classes
    Open Alerts Panel
    Filter Alerts    class=103
    Alerts Panel Should List Alert    ${sc}
    Alerts Panel Should Not List Alert    ${sd}
    Every Listed Alert Should Have    class-id    103

Filter By Severity Shows Only That Severity
    [Documentation]    With severity 3 chosen, only high alerts are listed.
    [Tags]    regression    own-data
    ${high} =    Publish Alert    severity=3
    ${low} =    Publish Alert    severity=1
    Open Alerts Panel
    Filter Alerts    severity=3
    Alerts Panel Should List Alert    ${high}
    Alerts Panel Should Not List Alert    ${low}
    Every Listed Alert Should Have    severity    3

Filter By Class And Severity Together
    [Documentation]    Class SD and severity 2 together list the SD medium alert only.
    [Tags]    regression    own-data
    ${wanted} =    Publish Alert    classId=104    severity=2
    ${other_class} =    Publish Alert    classId=103    severity=2
    ${other_severity} =    Publish Alert    classId=104    severity=1
    Open Alerts Panel
    Filter Alerts    class=104    severity=2
    Alerts Panel Should List Alert    ${wanted}
    Alerts Panel Should Not List Alert    ${other_class}
    Alerts Panel Should Not List Alert    ${other_severity}

Clearing The Filters Lists Every Alert Again
    [Documentation]    After filtering, "Clear filters" brings back the alerts filtered out.
    [Tags]    regression    own-data
    ${sc}    ${sd} =    Publish Alerts Of Both Classes
    Open Alerts Panel
    Filter Alerts    class=104    severity=3
    Alerts Panel Should Not List Alert    ${sc}
    Clear Alert Filters
    Alerts Panel Should List Alert    ${sc}
    Alerts Panel Should List Alert    ${sd}

Acknowledge Survives A Reload And Shows In The API
    [Documentation]    Acknowledge marks the alert, a reload still shows it acknowledged, and
    ...    ``GET /alerts`` says ``acknowledged: true``.
    [Tags]    regression    own-data
    ${alert} =    Publish Alert
    Open Alerts Panel
    Alerts Panel Should List Alert    ${alert}
    Acknowledge Alert    ${alert}
    Reload Live View    alerts
    Alert Should Be Acknowledged In Panel    ${alert}
    Alert Should Be Acknowledged In API    ${alert}

New Alert Appears Without A Reload
    [Documentation]    An alert published to RabbitMQ while the panel is open appears within 2 s,
    ...    as timed by the page itself, and the page was not reloaded.
    [Tags]    smoke    own-data
    Open Alerts Panel
    Mark Page
    Record When Alert Rows Appear
    ${alert}    ${sent} =    Publish Alert Timed    classId=103    severity=3
    Alerts Panel Should List Alert    ${alert}
    Alert Should Have Appeared Within    ${alert}    ${sent}    2s
    Page Should Not Have Reloaded

A Late Answer Of The Alerts Panel Does Not Touch The Next View
    [Documentation]    The panel polls its alerts every 0.5 s. An answer that arrives after the
    ...    user went on to another view neither redraws the panel nor marks it ready (the
    ...    tasks view had that race: robot/ui/tasks_list.robot). The page's ``/alerts``
    ...    answers are held back 2 s, so one is always still on its way when the user leaves.
    [Tags]    regression    own-data
    Open Alerts Panel
    Hold Back Page Answers    /alerts    2 s
    Wait For Held Back Requests    started
    Go To View    configure
    Wait For Held Back Requests    answered
    Get Attribute    ${APP}    data-ready    ==    configure
    Get Attribute    ${APP}    data-view    ==    configure

One Hundred Alerts Render
    [Documentation]    100 alerts published in a burst are all listed by the panel (a flood:
    ...    destructive, never on production).
    [Tags]    regression    disruptive
    Open Alerts Panel
    Publish Alerts    100    siteId=${SITE_ID}
    Alerts Panel Should Count Site Alerts    100    timeout=20s

Invalid Alert Never Appears
    [Documentation]    An alert with severity 7 is rejected by the consumer and never listed, while
    ...    a valid alert published after it appears.
    [Tags]    regression    shared
    Open Alerts Panel
    ${invalid} =    Publish Invalid Alert    severity=${7}
    Alert Should Be Rejected    ${invalid}[message_id]    out_of_range    severity
    ${valid} =    Publish Alert
    Alerts Panel Should List Alert    ${valid}
    Alerts Panel Should Not List Alert    ${invalid}

Empty State Shows When No Alert Matches
    [Documentation]    With a time filter after every stored alert the panel shows its empty state;
    ...    an alert arriving after that time replaces it without a reload.
    [Tags]    regression    own-data
    [Setup]    Exclusive UI Alerts Test Setup
    Open Alerts Panel
    ${since} =    Get UTC Timestamp    offset=1s
    Filter Alerts    since=${since}
    Alerts Panel Should Show Empty State
    Sleep    1.2s    The next alert must be later than the filter's time
    ${alert} =    Publish Alert
    Alerts Panel Should List Alert    ${alert}
    Alerts Panel Should Not Show Empty State


*** Keywords ***
UI Alerts Test Setup With The Panel Open
    [Documentation]    `UI Alerts Test Setup`, then the alerts panel opens: the rows of a template
    ...    test publish into the open panel, which lists new alerts without a reload.
    UI Alerts Test Setup
    Open Alerts Panel

Alert Should Show Class And Severity Colour
    [Documentation]    Template: an alert of ``${class_id}`` and ``${severity}`` published now is listed
    ...    by the open panel with its class label, severity name and severity colour.
    [Tags]    own-data
    [Arguments]    ${class_id}    ${severity}
    ${alert} =    Publish Alert    classId=${class_id}    severity=${severity}
    Alerts Panel Should List Alert    ${alert}
    Alert Severity Colour Should Be    ${alert}

Publish Alerts Of Both Classes
    [Documentation]    Publishes an SC low and an SD high alert; returns both.
    [Tags]    own-data
    ${sc} =    Publish Alert    classId=103    severity=1
    ${sd} =    Publish Alert    classId=104    severity=3
    RETURN    ${sc}    ${sd}
