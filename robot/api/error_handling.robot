*** Settings ***
Documentation    Bad requests get the right 4xx with the contract's error body, never a 500:
...              unknown task 404, malformed JSON 400, wrong types 400, oversized body 413.
...              Tokens (401) are ``robot/security/authentication.robot``.

Resource         ../../resources/fixtures/focus_api.resource
Resource         ../../resources/security.resource

Test Tags        api    regression


*** Test Cases ***
Unknown Task Is Not Found On Every Endpoint
    [Documentation]    An unknown task id answers 404 on metadata, ack, waterfall and delete.
    [Tags]    shared
    Task Should Be Unknown    no-such-task-${{uuid.uuid4().hex}}

Malformed JSON Is A Bad Request
    [Documentation]    A configure body that is not a JSON object answers 400, never 500.
    [Tags]    shared
    [Template]    Raw Configure Should Be A Bad Request
    {"timeStatus": "Live",
    not json at all
    ${EMPTY}
    \[1, 2, 3]

Wrong Types Are A Bad Request
    [Documentation]    A configure field of the wrong JSON type answers 400 naming the field.
    [Tags]    own-data
    [Template]    Configure Field Should Be Rejected
    nfft    abc
    channels    ${{[11, 109]}}
    frequencyRange    0-500
    timeStatus    ${{{"value": "Live"}}}

Unknown Field Is A Bad Request
    [Documentation]    A configure body with a field the contract does not know answers 400 naming it.
    [Tags]    own-data
    Configure Field Should Be Rejected    colour    red

Oversized Body Is Rejected
    [Documentation]    A configure body over 1 MiB answers 413 (hostile input: ``shared``).
    [Tags]    shared
    ${body} =    Build Oversized JSON    ${MAX_BODY_BYTES}
    Send Raw Request    POST    /configure    body=${body}    expected_status=413

Body Of Exactly One MiB Is Read And One Byte More Is Refused
    [Documentation]    The limit is *over* 1 MiB: a body of exactly 1 MiB is read and judged on its
    ...    content (400 naming its unknown field), one byte more answers 413 (hostile input:
    ...    ``shared``).
    [Tags]    shared
    [Template]    Body Of Size Should Answer
    ${MAX_BODY_BYTES}    400    pad
    ${{$MAX_BODY_BYTES + 1}}    413    ${None}


*** Keywords ***
Body Of Size Should Answer
    [Documentation]    Template: ``POST /configure`` with a body of exactly ``${size}`` bytes answers
    ...    ``${status}`` (naming ``${field}`` when given).
    [Tags]    shared
    [Arguments]    ${size: int}    ${status: int}    ${field: str | None}
    ${body} =    Build JSON Of Size    ${size}
    Send Raw Request    POST    /configure    body=${body}    expected_status=${status}    error_field=${field}

Raw Configure Should Be A Bad Request
    [Documentation]    Template: ``POST /configure`` with the raw body ``${body}`` answers 400.
    [Tags]    shared
    [Arguments]    ${body}
    Send Raw Request    POST    /configure    body=${body}    expected_status=400
