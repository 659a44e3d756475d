*** Settings ***
Documentation    CSRF (contract section 2): the page's cookie session may read the API, but a
...              state-changing request without ``X-CSRF-Token`` is refused with 403, and the
...              same request with the page's token passes (the control).

Resource         ../../resources/fixtures/ui.resource

Test Setup       Open Live View For CSRF

Test Tags        ui    csrf    security    regression    own-data


*** Test Cases ***
Configure Without The Token Is Refused
    [Documentation]    ``POST /configure`` from the page's session without the token answers 403
    ...    and creates no task; with the token it answers 200, and the page's task is registered
    ...    for clean-up like an API task (`UI Test Teardown` stops it, also when the test fails).
    ${refused} =    Send From Page    POST    /focus-server/configure    ${DEFAULT_BODY}
    Should Be Equal As Integers    ${refused}[status]    403
    Should Be Equal    ${refused}[body][error][code]    CSRF_REJECTED
    ${accepted} =    Send From Page    POST    /focus-server/configure    ${DEFAULT_BODY}    csrf=${True}
    Should Be Equal As Integers    ${accepted}[status]    200
    Task Should Be Registered For Clean-up    ${accepted}[body]

Stop Without The Token Is Refused
    [Documentation]    ``DELETE /task/{id}`` without the token answers 403 and the task keeps running.
    ${task} =    Start Running Live Task
    ${refused} =    Send From Page    DELETE    /focus-server/task/${task}[task_id]
    Should Be Equal As Integers    ${refused}[status]    403
    Task Should Be Running    ${task}
    ${accepted} =    Send From Page    DELETE    /focus-server/task/${task}[task_id]    csrf=${True}
    Should Be Equal As Integers    ${accepted}[status]    200

Acknowledge Without The Token Is Refused
    [Documentation]    ``POST /alerts/{id}/ack`` without the token answers 403 before anything else
    ...    (an unknown alert would be 404 with it).
    ${refused} =    Send From Page    POST    /focus-server/alerts/no-such-alert/ack
    Should Be Equal As Integers    ${refused}[status]    403
    ${checked} =    Send From Page    POST    /focus-server/alerts/no-such-alert/ack    csrf=${True}
    Should Be Equal As Integers    ${checked}[status]    404

Logout Without The Token Is Refused
    [Documentation]    ``DELETE /liveView/session`` without the token answers 403 and the session
    ...    goes on; the page's own logout works.
    [Setup]    Open Live View For CSRF    new_session=${True}
    ${refused} =    Send From Page    DELETE    /liveView/session
    Should Be Equal As Integers    ${refused}[status]    403
    ${reads} =    Send From Page    GET    /focus-server/channels
    Should Be Equal As Integers    ${reads}[status]    200
    Log Out

Session Cookie Is HttpOnly Secure And Strict
    [Documentation]    The session cookie is HttpOnly (the page's script cannot read it), Secure and
    ...    SameSite=Strict.
    [Setup]    Open Live View For CSRF    new_session=${True}
    # Get Cookie logs the cookie's value: a credential, kept out of the log.
    ${level} =    Set Log Level    NONE
    ${cookie} =    Get Cookie    liveview_session
    Set Log Level    ${level}
    Should Be True    ${cookie.httpOnly}
    Should Be True    ${cookie.secure}
    Should Be Equal As Strings    ${cookie.sameSite}    Strict
    ${visible} =    Get Page Cookie Text
    Should Not Contain    ${visible}    liveview_session


*** Keywords ***
Open Live View For CSRF
    [Documentation]    A new context, logged in (``new_session``: not with the suite's saved
    ...    session); ``${DEFAULT_BODY}`` is a valid configure body.
    [Arguments]    ${new_session: bool}=${False}
    UI Test Setup
    Open Live View As Tester    new_session=${new_session}
    ${body} =    Build Configure Payload
    VAR    ${DEFAULT_BODY} =    ${body}    scope=TEST    # robocop: off=VAR06

Send From Page
    [Documentation]    Sends ``${method} ${path}`` with ``fetch`` from the logged-in page (its
    ...    cookie), with the page's CSRF token only when ``csrf``; returns status and JSON body.
    ...    A task a ``POST /configure`` created is registered for clean-up at once (`Register
    ...    Task`), like the API's own: `UI Test Teardown` stops it even when the test fails.
    [Arguments]    ${method}    ${path}    ${body}=${None}    ${csrf}=${False}
    ${request} =    Create Dictionary    method=${method}    path=${path}    body=${body}    csrf=${csrf}
    ${answer} =    Evaluate JavaScript
    ...    ${None}
    ...    async (r) => { const headers = { 'Content-Type': 'application/json' };
    ...    if (r.csrf) { const s = await (await fetch('/liveView/session')).json();
    ...    headers['X-CSRF-Token'] = s.csrf_token; }
    ...    const response = await fetch(r.path, { method: r.method, headers, credentials: 'same-origin',
    ...    body: r.body === null ? undefined : JSON.stringify(r.body) });
    ...    const text = await response.text(); let body = null; try { body = JSON.parse(text); } catch (e) {}
    ...    return { status: response.status, body }; }
    ...    arg=${request}
    IF    $method == 'POST' and $path.endswith('/configure') and $answer['status'] == 200
        Register Task    ${answer}[body]
    END
    RETURN    ${answer}
