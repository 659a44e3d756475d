*** Settings ***
Documentation    Contract section 2, rate limit per token: beyond the configured rate the server
...              answers 429 ``RATE_LIMITED`` with ``Retry-After``; after that many seconds the
...              same token is served again. The flood uses a token of its own (the limit is per
...              token), so other tests keep their pace, but it floods the server: ``destructive``.

Resource         ../../resources/fixtures/focus_api.resource

Test Timeout     ${API_TEST_TIMEOUT}

Test Tags        api    security    regression    destructive


*** Test Cases ***
Flood Beyond The Rate Gets 429 With Retry-After Then Service Again
    [Documentation]    Requests with one token until the server answers 429 with ``Retry-After``
    ...    in whole seconds; after waiting that long the same token gets 200 again.
    ${limited} =    Send Requests Until Rate Limited    /channels
    Should Be True    ${limited}[retry_after] >= 1
    Sleep    ${limited}[retry_after]    The server asked to wait ${limited}[retry_after] s
    Send Raw Request    GET    /channels    token=${limited}[token]    expected_status=200
