*** Settings ***
Documentation    No error body gives away a stack trace, an internal error (database, driver),
...              the password or the token that was sent, whatever the bad request.

Resource         ../../resources/security.resource

Test Timeout     2 minutes

Test Tags        security    api    regression    shared


*** Test Cases ***
Bad Requests Leak Nothing
    [Documentation]    Malformed, hostile and unauthorised requests answer errors that leak nothing.
    ...    Hostile input (5,000-deep JSON) and a failed login change what others see on a live
    ...    system (the server's load, its failed-login counters): ``shared``.
    [Template]    Error Answer Should Not Leak
    POST    /configure    body={"nfft":
    POST    /configure    body={"timeStatus": {"$ne": ""}}
    POST    /configure    body=${{'[' * 5000 + ']' * 5000}}
    GET    /metadata/${{"%00"}}
    GET    /alerts?since=not-a-time
    GET    /channels    forged_token=${True}
    POST    /auth/token    body={"username": "${FOCUS_UNKNOWN_USER}", "password": "${{'y' * 50}}"}
    ...    forged_token=${True}

Wrong Password Is Not Echoed
    [Documentation]    A failed login answers 401 without echoing the password it was sent (as the
    ...    real user on the twin, as a user that does not exist elsewhere).
    ${user} =    Get User For Failed Logins    ${FOCUS_USER}
    ${body} =    Create Dictionary    username=${user}    password=${HOSTILE_TOKEN}
    ${response} =    Send Raw Request    POST    /auth/token    body=${body}    token=${EMPTY}
    ...    expected_status=401
    Error Body Should Not Leak    ${response}    ${FOCUS_PASSWORD}    ${HOSTILE_TOKEN}
