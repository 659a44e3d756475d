*** Settings ***
Documentation    Contract section 2, authentication: ``POST /auth/token`` issues a bearer token for
...              the right credentials only, and every endpoint except ``/health`` and
...              ``/auth/token`` answers 401 ``UNAUTHORIZED`` to a request whose token is
...              missing, malformed, expired or badly signed. One template row per protected
...              endpoint and method: a new endpoint is one new row in each test.
...              The task and alert ids in the paths are unknown on purpose: a server that
...              skipped the token check would answer 404 or 400 instead of 401, and could
...              create nothing.

Resource         ../../resources/fixtures/focus_api.resource

Suite Setup      Authentication Suite Setup
Test Timeout     ${API_TEST_TIMEOUT}

Test Tags        api    security    regression    shared


*** Variables ***
${NO_TASK}     no-such-task
${NO_ALERT}    no-such-alert


*** Test Cases ***
# One template row per protected endpoint: a data matrix, not steps.
# robocop: off=LEN06
Missing Token Is Refused On Every Protected Endpoint
    [Documentation]    No ``Authorization`` header: 401 ``UNAUTHORIZED`` on every protected endpoint and method.
    [Tags]    smoke    -regression    critical
    [Template]    Request Without Token Should Be Unauthorized
    GET    /channels
    POST    /configure
    GET    /metadata/${NO_TASK}
    GET    /task/${NO_TASK}/metadata
    GET    /ack/${NO_TASK}
    GET    /waterfall/${NO_TASK}?rows=1
    POST    /config_task/${NO_TASK}
    DELETE    /task/${NO_TASK}
    GET    /alerts
    POST    /alerts/${NO_ALERT}/ack
    GET    /recordings

Malformed Authorization Header Is Refused On Every Protected Endpoint
    [Documentation]    An ``Authorization`` header that is not ``Bearer <token>`` (Basic, an empty
    ...    bearer, a bearer of two words): 401 on every protected endpoint and method.
    [Template]    Request With Authorization Header Should Be Unauthorized
    GET    /channels    Basic dXNlcjpwYXNz
    POST    /configure    Bearer
    GET    /metadata/${NO_TASK}    Bearer not a token
    GET    /task/${NO_TASK}/metadata    Token abc
    GET    /ack/${NO_TASK}    Basic dXNlcjpwYXNz
    GET    /waterfall/${NO_TASK}?rows=1    Bearer
    POST    /config_task/${NO_TASK}    Bearer not a token
    DELETE    /task/${NO_TASK}    Basic dXNlcjpwYXNz
    GET    /alerts    Bearer
    POST    /alerts/${NO_ALERT}/ack    Bearer not a token
    GET    /recordings    Basic dXNlcjpwYXNz

Token The Server Did Not Issue Is Refused On Every Protected Endpoint
    [Documentation]    A bearer token that is no token of this server (random text): 401 on every
    ...    protected endpoint and method.
    [Template]    Request With Token Should Be Unauthorized
    GET    /channels    not-a-token
    POST    /configure    a.b
    GET    /metadata/${NO_TASK}    ${{"x" * 300}}
    GET    /task/${NO_TASK}/metadata    not-a-token
    GET    /ack/${NO_TASK}    a.b
    GET    /waterfall/${NO_TASK}?rows=1    not-a-token
    POST    /config_task/${NO_TASK}    a.b
    DELETE    /task/${NO_TASK}    not-a-token
    GET    /alerts    a.b
    POST    /alerts/${NO_ALERT}/ack    not-a-token
    GET    /recordings    a.b

Expired Token Is Refused On Every Protected Endpoint
    [Documentation]    A genuine token of this server past its expiry: 401 on every protected
    ...    endpoint and method (the token is obtained by waiting its life out, never skipped).
    [Setup]    Use An Expired Token
    [Template]    Request With Token Should Be Unauthorized
    GET    /channels    ${EXPIRED_TOKEN}
    POST    /configure    ${EXPIRED_TOKEN}
    GET    /metadata/${NO_TASK}    ${EXPIRED_TOKEN}
    GET    /task/${NO_TASK}/metadata    ${EXPIRED_TOKEN}
    GET    /ack/${NO_TASK}    ${EXPIRED_TOKEN}
    GET    /waterfall/${NO_TASK}?rows=1    ${EXPIRED_TOKEN}
    POST    /config_task/${NO_TASK}    ${EXPIRED_TOKEN}
    DELETE    /task/${NO_TASK}    ${EXPIRED_TOKEN}
    GET    /alerts    ${EXPIRED_TOKEN}
    POST    /alerts/${NO_ALERT}/ack    ${EXPIRED_TOKEN}
    GET    /recordings    ${EXPIRED_TOKEN}

Token With A Bad Signature Is Refused On Every Protected Endpoint
    [Documentation]    A token of this server, unexpired, whose signature was altered (a forged
    ...    token): 401 on every protected endpoint and method.
    [Template]    Request With Token Should Be Unauthorized
    GET    /channels    ${FORGED_TOKEN}
    POST    /configure    ${FORGED_TOKEN}
    GET    /metadata/${NO_TASK}    ${FORGED_TOKEN}
    GET    /task/${NO_TASK}/metadata    ${FORGED_TOKEN}
    GET    /ack/${NO_TASK}    ${FORGED_TOKEN}
    GET    /waterfall/${NO_TASK}?rows=1    ${FORGED_TOKEN}
    POST    /config_task/${NO_TASK}    ${FORGED_TOKEN}
    DELETE    /task/${NO_TASK}    ${FORGED_TOKEN}
    GET    /alerts    ${FORGED_TOKEN}
    POST    /alerts/${NO_ALERT}/ack    ${FORGED_TOKEN}
    GET    /recordings    ${FORGED_TOKEN}

Health Needs No Token
    [Documentation]    ``GET /health`` is public: it answers 200 without a token.
    Send Raw Request    GET    /health    token=${EMPTY}    expected_status=200

Wrong Credentials Get No Token
    [Documentation]    ``POST /auth/token`` with a wrong or an empty password answers 401. The user is
    ...    ``${FAILED_LOGIN_USER}``: the real account on the twin, a user that does not exist on
    ...    a live system (failed logins of a real account can lock it).
    [Template]    Token Request Should Be Unauthorized
    ${FAILED_LOGIN_USER}    wrong-password
    ${FAILED_LOGIN_USER}    ${EMPTY}

Unknown User With The Right Password Gets No Token
    [Documentation]    ``POST /auth/token`` with the right password under a user name the server does
    ...    not know (``${FOCUS_UNKNOWN_USER}``) answers 401: the password alone is not enough.
    Token Should Be Refused For User    ${FOCUS_UNKNOWN_USER}    ${FOCUS_PASSWORD}

Token Endpoint Needs No Token
    [Documentation]    ``POST /auth/token`` without an ``Authorization`` header issues a token to the
    ...    right credentials, and that token is served.
    ${token} =    Get Token For User    ${FOCUS_USER}    ${FOCUS_PASSWORD}
    Send Raw Request    GET    /channels    token=${token}    expected_status=200


*** Keywords ***
Authentication Suite Setup
    [Documentation]    Logs in, and prepares a forged token and the user of failed logins
    ...    (`Get User For Failed Logins`) for the whole suite.
    Focus Suite Setup
    ${forged} =    Get Token With Bad Signature
    VAR    ${FORGED_TOKEN} =    ${forged}    scope=SUITE    # robocop: off=VAR05
    ${user} =    Get User For Failed Logins    ${FOCUS_USER}
    VAR    ${FAILED_LOGIN_USER} =    ${user}    scope=SUITE    # robocop: off=VAR05

Use An Expired Token
    [Documentation]    Test Setup: ``${EXPIRED_TOKEN}``, a genuine token of this server that has expired
    ...    (obtained by waiting its life out: about a second and a half on the twin).
    ${expired} =    Get Expired Token
    VAR    ${EXPIRED_TOKEN} =    ${expired}    scope=TEST    # robocop: off=VAR06

Request Without Token Should Be Unauthorized
    [Documentation]    Template: ``${method} ${path}`` without ``Authorization`` answers 401 ``UNAUTHORIZED``.
    [Tags]    shared
    [Arguments]    ${method}    ${path}
    Send Raw Request    ${method}    ${path}    body=${{{}}}    token=${EMPTY}    expected_status=401
    ...    error_code=UNAUTHORIZED

Request With Token Should Be Unauthorized
    [Documentation]    Template: ``${method} ${path}`` with the bearer ``${token}`` answers 401 ``UNAUTHORIZED``.
    [Tags]    shared
    [Arguments]    ${method}    ${path}    ${token}
    Send Raw Request    ${method}    ${path}    body=${{{}}}    token=${token}    expected_status=401
    ...    error_code=UNAUTHORIZED

Request With Authorization Header Should Be Unauthorized
    [Documentation]    Template: ``${method} ${path}`` with ``Authorization: ${header}`` answers 401.
    [Tags]    shared
    [Arguments]    ${method}    ${path}    ${header}
    VAR    &{headers} =    Authorization=${header}
    Send Raw Request    ${method}    ${path}    body=${{{}}}    headers=${headers}    expected_status=401
    ...    error_code=UNAUTHORIZED

Token Request Should Be Unauthorized
    [Documentation]    Template: ``POST /auth/token`` as ``${username}`` with ``${password}`` answers 401.
    [Tags]    shared
    [Arguments]    ${username}    ${password}
    VAR    &{body} =    username=${username}    password=${password}
    Send Raw Request    POST    /auth/token    body=${body}    token=${EMPTY}    expected_status=401
