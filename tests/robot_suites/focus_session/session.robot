*** Settings ***
Documentation     GET On Session on a session from Open Focus Session; the run writes the token it
...               used to token.txt (outside the log) so the pytest can look for it in the log.
Resource          ../../../resources/fixtures/focus_api.resource
Library           TokenProbe.py
Suite Setup       Focus Suite Setup
Suite Teardown    Focus Suite Teardown


*** Test Cases ***
GET On Session Answers With The Connection's Token
    Open Focus Session    alias=focus
    ${response} =    GET On Session    focus    /channels    expected_status=200
    Should Be Equal As Integers    ${response.json()}[highest_channel]    ${SENSORS_RANGE}
    POST On Session    focus    /configure    json=${{{"nfft": 100}}}    expected_status=400
    Write The Current Token Outside The Log    ${OUTPUT DIR}/token.txt

Send Raw Request Goes Through The Same Session
    ${response} =    Send Raw Request    GET    /channels    expected_status=200
    Should Be Equal    ${response.request.headers}[Authorization]    Bearer ********
