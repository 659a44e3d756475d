*** Settings ***
Documentation     Bad requests get the right 4xx with the contract's error body, never a 500:
...               unknown task 404, missing/invalid/expired token 401, malformed JSON 400, wrong
...               types 400, oversized body 413.

Resource          ../../resources/focus_api.resource

Suite Setup       Focus Suite Setup
Suite Teardown    Focus Suite Teardown
Test Setup        Focus Test Setup
Test Teardown     Focus Test Teardown
Test Timeout      ${API_TEST_TIMEOUT}

Test Tags         api    regression


*** Test Cases ***
Unknown Task Is Not Found On Every Endpoint
    [Documentation]    An unknown task id answers 404 on metadata, ack, waterfall and delete.
    Task Should Be Unknown    no-such-task-${{uuid.uuid4().hex}}

Request Without Token Is Unauthorized
    [Documentation]    Requests without a token answer 401 ``UNAUTHORIZED``.
    [Tags]    smoke    -regression    critical
    [Template]    Request Should Be Unauthorized
    GET    /channels    ${EMPTY}
    POST    /configure    ${EMPTY}
    GET    /alerts    ${EMPTY}

Request With An Invalid Token Is Unauthorized
    [Documentation]    Requests with a token the server did not issue answer 401.
    [Template]    Request Should Be Unauthorized
    GET    /channels    not-a-token
    GET    /channels    ${{"x" * 300}}
    POST    /configure    a.b

Malformed Authorization Header Is Unauthorized
    [Documentation]    An ``Authorization`` header that is not a bearer token answers 401.
    ${headers} =    Create Dictionary    Authorization=Basic dXNlcjpwYXNz
    Send Raw Request    GET    /channels    headers=${headers}    expected_status=401

Expired Token Is Unauthorized
    [Documentation]    A token past its expiry answers 401.
    ${token} =    Get Expired Token
    Send Raw Request    GET    /channels    token=${token}    expected_status=401

Wrong Credentials Are Unauthorized
    [Documentation]    ``POST /auth/token`` with a wrong password answers 401.
    ${body} =    Create Dictionary    username=${FOCUS_USER}    password=wrong-password
    Send Raw Request    POST    /auth/token    body=${body}    token=${EMPTY}    expected_status=401

Malformed JSON Is A Bad Request
    [Documentation]    A configure body that is not a JSON object answers 400, never 500.
    [Template]    Raw Configure Should Be A Bad Request
    {"timeStatus": "Live",
    not json at all
    ${EMPTY}
    \[1, 2, 3]

Wrong Types Are A Bad Request
    [Documentation]    A configure field of the wrong JSON type answers 400 naming the field.
    [Template]    Configure Field Should Be Rejected
    nfft    abc
    channels    ${{[11, 109]}}
    frequencyRange    0-500
    timeStatus    ${{{"value": "Live"}}}

Unknown Field Is A Bad Request
    [Documentation]    A configure body with a field the contract does not know answers 400 naming it.
    Configure Field Should Be Rejected    colour    red

Plain HTTP Is Not Served
    [Documentation]    Plain HTTP to the API port is refused or redirected to HTTPS, never served.
    Plain HTTP Should Not Be Served    /health
    Plain HTTP Should Not Be Served    /channels

Oversized Body Is Rejected
    [Documentation]    A configure body over 1 MiB answers 413.
    ${body} =    Build Oversized Body
    Send Raw Request    POST    /configure    body=${body}    expected_status=413


*** Keywords ***
Request Should Be Unauthorized
    [Documentation]    Template: ``${method} ${path}`` with ``${token}`` (empty: none) answers 401.
    [Arguments]    ${method}    ${path}    ${token}
    Send Raw Request    ${method}    ${path}    body=${{{}}}    token=${token}    expected_status=401
    ...    error_code=UNAUTHORIZED

Raw Configure Should Be A Bad Request
    [Documentation]    Template: ``POST /configure`` with the raw body ``${body}`` answers 400.
    [Arguments]    ${body}
    Send Raw Request    POST    /configure    body=${body}    expected_status=400
