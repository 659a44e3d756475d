*** Settings ***
Documentation     Smoke: the Focus Server answers, is healthy and lists every channel.
...               No test here creates a task, so none holds the capacity lock.

Resource          ../../resources/focus_api.resource

Suite Setup       Focus Suite Setup
Suite Teardown    Focus Suite Teardown
Test Timeout      ${API_TEST_TIMEOUT}

Test Tags         api    regression


*** Test Cases ***
Health Reports OK With Its Dependencies
    [Tags]    smoke    critical
    Health Should Be OK

Health Status Is OK
    Get Health Status    ==    ok

Health Needs No Token
    Send Raw Request    GET    /health    token=${EMPTY}    expected_status=200

Channels Cover The Sensors Range
    [Tags]    smoke    critical
    Channels Should Cover The Sensors Range

Channels Need A Token
    Send Raw Request    GET    /channels    token=${EMPTY}    expected_status=401    error_code=UNAUTHORIZED

Recordings Are Listed
    ${recordings} =    Get Recordings
    Should Not Be Empty    ${recordings}    No recording at all: Historic playback is impossible
