*** Settings ***
Documentation    Invalid alerts (contract section 3) are not stored: each is routed to
...              ``prisma.alerts.rejected`` with its reason (header ``x-reject-reason`` and a
...              JSON body naming the field), and the consumer goes on storing the next ones.

Resource         ../../resources/fixtures/alerts.resource

Test Tags        alerts    regression    pod-errors-expected    shared


*** Test Cases ***
Out Of Range Values Are Rejected
    [Documentation]    An unknown class or a severity outside 1-3 is rejected, not stored.
    [Tags]    critical
    [Template]    Invalid Alert Should Be Rejected
    unknown_class    classId    classId=${105}
    unknown_class    classId    classId=${0}
    out_of_range    severity    severity=${0}
    out_of_range    severity    severity=${4}

Wrong Types Are Rejected
    [Documentation]    A field of the wrong JSON type (a string number, a bool, a float severity) is rejected.
    [Template]    Invalid Alert Should Be Rejected
    wrong_type    classId    classId=104
    wrong_type    severity    severity=3
    wrong_type    severity    severity=${2.0}
    wrong_type    severity    severity=${True}
    wrong_type    dofM    dofM=4120
    wrong_type    dofM    dofM=${None}
    wrong_type    alertTime    alertTime=${1764000000}
    wrong_type    siteId    siteId=${210}
    invalid_value    alertId    alertId=not-a-uuid

Each Missing Field Is Rejected
    [Documentation]    An alert without one of its six fields is rejected, naming the field.
    [Template]    Alert Without Field Should Be Rejected
    alertId
    classId
    severity
    dofM
    alertTime
    siteId

Malformed Bodies Are Rejected
    [Documentation]    A body that is not a JSON object, or empty, is rejected.
    [Template]    Malformed Body Should Be Rejected
    this is not json    not_json
    {"alertId": "unclosed    not_json
    \[1, 2, 3]    not_json
    ${EMPTY}    empty_body

Body Over One MiB Is Rejected
    [Documentation]    A body over ``MAX_BODY_BYTES`` is rejected before it is parsed.
    ${body} =    Build Oversized Alert Body
    Malformed Body Should Be Rejected    ${body}    body_too_large

Rejection Keeps An Excerpt Of The Original
    [Documentation]    The rejection's body quotes the original message (its first KiB).
    ${alert} =    Publish Invalid Alert    severity=${9}
    ${rejection} =    Alert Should Be Rejected    ${alert}[message_id]    out_of_range    severity
    Should Contain    ${rejection}[json][original]    ${alert}[alertId]
