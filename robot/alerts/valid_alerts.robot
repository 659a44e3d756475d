*** Settings ***
Documentation    Valid alerts (contract section 3): each class and severity is stored once and
...              listed by ``GET /alerts`` with the published fields, not acknowledged.

Resource         ../../resources/fixtures/alerts.resource

Test Tags        alerts    regression


*** Test Cases ***
SC And SD Alerts Of Every Severity Are Stored
    [Documentation]    Each class (103 SC, 104 SD) with each severity (1-3) is stored and listed.
    [Tags]    smoke    -regression    critical    own-data
    [Template]    Valid Alert Should Be Stored
    classId=103    severity=1
    classId=103    severity=2
    classId=103    severity=3
    classId=104    severity=1
    classId=104    severity=2
    classId=104    severity=3

Alert Is Stored With The Published Fields
    [Documentation]    A fractional ``dofM`` and the other fields come back from ``GET /alerts`` unchanged.
    [Tags]    own-data
    ${alert} =    Publish Alert    classId=103    severity=2    dofM=1234.5
    Alert Should Appear In API    ${alert}

Filters By Class And Severity Find The Alert
    [Documentation]    The ``classId`` and ``severity`` filters of ``GET /alerts`` include and exclude it.
    [Tags]    own-data
    ${alert} =    Publish Alert    classId=104    severity=1
    Alert Should Appear In API    ${alert}
    ${other_class} =    Find Alert In API    ${alert}[alertId]    class_id=103
    Should Be Equal    ${other_class}    ${None}
    ${other_severity} =    Find Alert In API    ${alert}[alertId]    severity=3
    Should Be Equal    ${other_severity}    ${None}

Alerts Before Since Are Left Out
    [Documentation]    ``GET /alerts?since=T`` lists the alerts from T on only: of three alerts a second
    ...    apart, ``since`` the middle one's time lists the newest and the middle one, not the oldest.
    [Tags]    own-data
    ${middle}    ${_}    ${newest} =    Publish Alerts At Times    -2s    -3s    -1s
    ${listed} =    Get Alerts    since=${middle}[alertTime]    limit=${API_LIMIT}
    Alerts Of The Test Site Should Be Exactly    ${listed}    ${newest}    ${middle}

Acknowledging One Alert Leaves The Others Unacknowledged
    [Documentation]    ``POST /alerts/{alertId}/ack`` marks that alert only: an alert published next to
    ...    it is still listed unacknowledged.
    [Tags]    shared
    ${first}    ${second} =    Publish Alerts At Times    -2s    -1s
    Send Raw Request    POST    /alerts/${first}[alertId]/ack    expected_status=200
    ${acknowledged} =    Find Alert In API    ${first}[alertId]    ${first}[alertTime]
    Should Be Equal    ${acknowledged}[acknowledged]    ${True}    The acknowledged alert is not listed as acknowledged
    ${other} =    Find Alert In API    ${second}[alertId]    ${second}[alertTime]
    Should Be Equal    ${other}[acknowledged]    ${False}    Acknowledging one alert acknowledged another

Alerts Are Listed Newest First
    [Documentation]    ``GET /alerts`` lists alerts newest first by ``alertTime``, not in the order they
    ...    arrived: three alerts published out of time order come back newest first, and the
    ...    whole page is in descending ``alertTime``.
    [Tags]    own-data
    [Setup]    Exclusive Alerts Test Setup
    ${middle}    ${oldest}    ${newest} =    Publish Alerts At Times    -2s    -3s    -1s
    ${listed} =    Get Alerts    since=${oldest}[alertTime]    limit=${API_LIMIT}
    Alerts Should Be Newest First    ${listed}
    Alerts Should Be Listed In This Order    ${listed}    ${newest}    ${middle}    ${oldest}

A Page Holds The Newest Alerts Only
    [Documentation]    ``limit=2`` answers exactly the two newest alerts, not any two.
    [Tags]    own-data
    [Setup]    Exclusive Alerts Test Setup
    ${middle}    ${oldest}    ${_} =    Publish Alerts At Times    -2s    -3s    -1s
    ${two} =    Get Alerts    since=${oldest}[alertTime]    limit=${2}
    Alert Page Should Hold The Newest    ${two}    ${2}    ${middle}

The Default Page Holds The Newest Alerts
    [Documentation]    Without ``limit`` the page holds ``${ALERTS_PAGE_SIZE}`` alerts, the newest: after
    ...    three older alerts, a page's worth of newer ones push them all out. Publishes a
    ...    page of alerts in a burst: ``disruptive``.
    [Tags]    disruptive
    [Setup]    Exclusive Alerts Test Setup
    ${_}    ${oldest}    ${newest} =    Publish Alerts At Times    -2s    -3s    -1s
    ${ids} =    Publish Alerts    ${ALERTS_PAGE_SIZE}
    Alerts Should Be Listed Exactly Once    ${ids}    since=${oldest}[alertTime]    timeout=10s
    Default Alert Page Should Be Full    ${oldest}    ${newest}

Acknowledged Alert Is Listed As Acknowledged
    [Documentation]    ``POST /alerts/{alertId}/ack`` (the UI's button) marks the alert acknowledged:
    ...    ``GET /alerts`` then lists it with ``acknowledged`` true; an unknown alert id is 404.
    [Tags]    shared
    ${alert} =    Publish Alert    classId=103    severity=3
    Alert Should Appear In API    ${alert}
    Send Raw Request    POST    /alerts/${alert}[alertId]/ack    expected_status=200
    ${listed} =    Find Alert In API    ${alert}[alertId]    ${alert}[alertTime]
    Should Be Equal    ${listed}[acknowledged]    ${True}    The acknowledged alert is not listed as acknowledged
    Send Raw Request    POST    /alerts/no-such-alert/ack    expected_status=404
