*** Settings ***
Documentation    Hostile and malformed input gets a clear 4xx with the contract's error body,
...              never a 500 and never a wider query: JSON nested deeper than 64 levels (400),
...              huge numbers, NUL bytes and unicode, a body that is not declared JSON (415),
...              MongoDB operator objects in fields, query parameters, ids and the login.

Resource         ../../resources/security.resource
Resource         ../../resources/fixtures/focus_api.resource

Test Setup       Focus Test Setup
Test Teardown    Focus Test Teardown
Test Timeout     ${API_TEST_TIMEOUT}

Test Tags        security    api    regression    shared


*** Test Cases ***
Deeply Nested JSON Is A Bad Request
    [Documentation]    A body nested 65 or 1,000 levels deep answers 400 on every JSON endpoint
    ...    (it once answered 500 INTERNAL_ERROR).
    [Template]    Nested Body Should Be A Bad Request
    POST    /configure    1000
    POST    /configure    65
    POST    /config_task/any-task    1000
    POST    /auth/token    1000    field=username

JSON Nested Within The Limit Is Parsed
    [Documentation]    A body nested exactly 64 levels deep is parsed and judged on its content.
    Nested Body Within The Limit Should Be Parsed

Huge Numbers Are A Bad Request
    [Documentation]    Numbers beyond any valid range, beyond a double and beyond 4,300 digits
    ...    answer 400 naming the field (never 500, never an accepted task).
    [Template]    Raw Field Value Should Be Rejected
    nfft    1e999
    nfft    1208925819614629174706176
    nfft    ${{"9" * 5000}}    error_field=${NONE}
    channels    {"min": 11, "max": 1e308}
    frequencyRange    {"min": -1e308, "max": 1e308}

NUL Bytes And Unicode Are A Bad Request
    [Documentation]    NUL bytes, look-alike and right-to-left characters in enum fields and in
    ...    field names answer 400 naming the field.
    [Template]    Raw Field Value Should Be Rejected
    timeStatus    "Live\\u0000"
    viewType    "Multi\\u0000Channel"
    timeStatus    "L\\u0456ve"
    viewType    "\\u202eMultiChannel"
    ${{"\\x00"}}    1    error_field=${{"\\x00"}}

Body Not Declared As JSON Is Unsupported
    [Documentation]    A valid body sent with another content type answers 415 (it once created a task).
    [Template]    Body Of Content Type Should Be Unsupported
    /configure    text/plain
    /configure    application/x-www-form-urlencoded
    /configure    multipart/form-data; boundary=x
    /config_task/any-task    text/plain
    /auth/token    text/plain

Operator Objects In Fields Are A Bad Request
    [Documentation]    MongoDB operator objects where the contract wants a value answer 400.
    [Template]    Operator Object In Field Should Be Rejected
    timeStatus    {"$ne": ""}
    viewType    {"$in": ["MultiChannel"]}
    nfft    {"$gt": 0}
    channels    {"$gt": ""}
    frequencyRange    {"$where": "1 == 1"}

Operator Objects In Query Parameters Are A Bad Request
    [Documentation]    Operator text in a query parameter answers 400: it never widens a filter.
    [Template]    Operator Object In Query Should Be Rejected
    /alerts    classId    {"$gt": 0}
    /alerts    severity    {"$ne": 1}
    /alerts    since    {"$gt": ""}
    /recordings    start    {"$ne": null}

Operator Objects Never Log In
    [Documentation]    ``{"$ne": ""}`` as user name and password issues no token.
    Login With Operator Objects Should Fail

Hostile Task Ids Are Unknown
    [Documentation]    Operator text, NUL bytes, path traversal and unicode as a task id find no task.
    [Template]    Task Id Should Be Unknown
    {"$ne": null}
    ${{"\\x00"}}
    ../../health
    ${{"\\u202e" + "task"}}
    .*
