*** Settings ***
Documentation    Every answer of the API, success or error, carries ``Strict-Transport-Security``,
...              ``X-Content-Type-Options: nosniff`` and ``Cache-Control: no-store``.

Resource         ../../resources/security.resource

Test Timeout     2 minutes

Test Tags        security    api    regression


*** Test Cases ***
Successful Answers Carry The Security Headers
    [Documentation]    Public and authenticated answers with status 200 carry every header.
    [Template]    Answer Should Carry Security Headers
    GET    /health
    GET    /channels
    GET    /alerts

Error Answers Carry The Security Headers
    [Documentation]    401, 404, 400 and 413 answers carry every header too.
    [Template]    Answer Should Carry Security Headers
    GET    /channels    token=${EMPTY}
    GET    /metadata/no-such-task
    GET    /no-such-endpoint
    POST    /configure    body={
    POST    /configure    body=${{'{"pad": "' + 'x' * (1024 * 1024) + '"}'}}
