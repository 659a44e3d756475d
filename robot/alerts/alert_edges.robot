*** Settings ***
Documentation    Edge cases of alerts (contract section 3): the ends of the fibre, timestamp
...              formats at the UTC boundary, and duplicate alert ids (stored once).

Resource         ../../resources/fixtures/alerts.resource

Test Tags        alerts    regression


*** Test Cases ***
Both Ends Of The Fibre Are Valid
    [Documentation]    ``dofM`` 0 and the fibre length (``FIBRE_LENGTH_M``) are inside the fibre.
    [Tags]    own-data
    [Template]    Valid Alert Should Be Stored
    dofM=${0}
    dofM=${FIBRE_LENGTH_M}
    dofM=${0.1}

Just Outside The Fibre Is Rejected
    [Documentation]    ``dofM`` below 0 or beyond the fibre length is rejected.
    [Tags]    pod-errors-expected    shared
    [Template]    Invalid Alert Should Be Rejected
    out_of_range    dofM    dofM=${-0.1}
    out_of_range    dofM    dofM=${{ $FIBRE_LENGTH_M + 0.1 }}
    out_of_range    dofM    dofM=${{ $FIBRE_LENGTH_M + 10 }}

UTC Timestamp Formats Are Valid
    [Documentation]    ISO-8601 UTC with ``Z``, with fractions and with ``+00:00`` is accepted.
    [Tags]    own-data
    [Template]    Alert At Time Should Be Stored
    %Y-%m-%dT%H:%M:%SZ
    %Y-%m-%dT%H:%M:%S.%fZ
    %Y-%m-%dT%H:%M:%S+00:00

Non UTC Or Malformed Timestamps Are Rejected
    [Documentation]    A time without zone, in another zone, impossible or not ISO-8601 is rejected.
    [Tags]    pod-errors-expected    shared
    [Template]    Invalid Alert Should Be Rejected
    invalid_value    alertTime    alertTime=2026-11-22T08:00:00
    invalid_value    alertTime    alertTime=2026-11-22T10:00:00+02:00
    invalid_value    alertTime    alertTime=2026-02-30T08:00:00Z
    invalid_value    alertTime    alertTime=22/11/2026 08:00
    invalid_value    alertTime    alertTime=${EMPTY}

Duplicate Alert Id Is Stored Once
    [Documentation]    A second message with the same ``alertId`` changes nothing: the first is kept.
    [Tags]    critical    own-data
    ${first} =    Publish Alert    severity=1
    Publish Alert    alertId=${first}[alertId]    severity=3    alertTime=${first}[alertTime]
    Consumer Should Still Store Alerts
    Alert Should Appear In API    ${first}
    Alert Should Be Listed Once    ${first}


*** Keywords ***
Alert At Time Should Be Stored
    [Documentation]    An alert whose ``alertTime`` is now, written with ``${format}``, is stored.
    [Tags]    own-data
    [Arguments]    ${format}
    ${time} =    Evaluate    datetime.datetime.now(datetime.UTC).strftime($format)    modules=datetime
    Valid Alert Should Be Stored    alertTime=${time}
