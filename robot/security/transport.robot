*** Settings ***
Documentation    HTTPS only: plain HTTP is refused or redirected, never served; TLS below 1.2
...              is refused while TLS 1.2 and 1.3 are accepted (contract section 2).

Resource         ../../resources/security.resource

Test Timeout     2 minutes

Test Tags        security    api    regression


*** Test Cases ***
Plain HTTP Is Refused Or Redirected
    [Documentation]    Plain HTTP to the Focus Server's port is never served, credentials included.
    [Template]    Plain HTTP Should Not Be Served
    /health
    /channels
    /auth/token

Old TLS Versions Are Refused
    [Documentation]    A client offering only TLS 1.0 or 1.1 gets no session.
    [Template]    Old TLS Version Should Be Refused
    TLSv1
    TLSv1.1

Current TLS Versions Are Accepted
    [Documentation]    The control of the test above: the same probe completes with TLS 1.2 and 1.3.
    [Template]    Current TLS Version Should Be Accepted
    TLSv1.2
    TLSv1.3
