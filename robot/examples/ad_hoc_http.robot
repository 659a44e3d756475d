*** Settings ***
Documentation    Recipe 8 of docs/TESTERS.md: a request the FocusApi keywords do not cover, with
...              RequestsLibrary's keywords on a session from ``Open Focus Session`` (base URL, CA
...              bundle, a bearer token kept fresh and masked in the log).

Resource         ../../resources/focus_api.resource

Suite Setup      Connect To Focus API

Test Tags        api    regression    recipe    own-data


*** Test Cases ***
Channels And A Bad Request Through A RequestsLibrary Session
    [Documentation]    ``GET /channels`` answers the sensors range; a configure body with an NFFT that is
    ...    not a power of two answers 400. No token appears in log.html.
    Open Focus Session    alias=focus
    ${response} =    GET On Session    focus    /channels    expected_status=200
    Should Be Equal As Integers    ${response.json()}[highest_channel]    ${SENSORS_RANGE}
    ${payload} =    Build Configure Payload    nfft=1000
    POST On Session    focus    /configure    json=${payload}    expected_status=400
