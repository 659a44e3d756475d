*** Settings ***
Documentation    Every answer, success or error, carries ``Strict-Transport-Security`` and
...              ``X-Content-Type-Options: nosniff``: the API's, which also carry
...              ``Cache-Control: no-store``, and the web UI's.

Resource         ../../resources/security.resource

Test Timeout     2 minutes

Test Tags        security    api    regression


*** Test Cases ***
Successful Answers Carry The Security Headers
    [Documentation]    Public and authenticated answers with status 200 carry every header.
    [Tags]    shared
    [Template]    Answer Should Carry Security Headers
    GET    /health
    GET    /channels
    GET    /alerts

Error Answers Carry The Security Headers
    [Documentation]    401, 404, 400 and 413 answers carry every header too.
    [Tags]    shared
    [Template]    Answer Should Carry Security Headers
    GET    /channels    token=${EMPTY}
    GET    /metadata/no-such-task
    GET    /no-such-endpoint
    POST    /configure    body={
    POST    /configure    body=${{'{"pad": "' + 'x' * (1024 * 1024) + '"}'}}

UI Answers Carry The Security Headers
    [Documentation]    The liveView page, its stylesheet and script, and a UI file that does not exist
    ...    carry HSTS and ``nosniff`` too: every answer, not only the API's.
    [Template]    UI Answer Should Carry Security Headers
    ${EMPTY}
    /static/app.css
    /static/js/main.js
    /static/no-such-file.js
