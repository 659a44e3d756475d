*** Settings ***
Documentation    Login and session end (contract section 5): a cookie session, refused with
...              wrong or empty credentials, ended by logout and by expiry.

Resource         ../../resources/fixtures/ui.resource
Library          OperatingSystem

Test Tags        ui    login    own-data


*** Test Cases ***
Tester Logs In And Sees The Configure Form
    [Documentation]    The right credentials open the configure form with the user's name shown.
    [Tags]    smoke
    Open Live View
    Log In As Tester
    Get Element States    ${CONFIGURE_SUBMIT}    contains    enabled

Wrong Password Is Refused
    [Documentation]    A wrong password keeps the login page and says so; no session starts. The
    ...    user is the real one on the twin, one that does not exist on a live system.
    [Tags]    regression    shared
    Open Live View
    ${user} =    Get User For Failed Logins    ${FOCUS_USER}
    Log In With    ${user}    not-the-password
    Login Should Fail With    Wrong username or password
    Reload Live View    login

Unknown User Is Refused
    [Documentation]    An unknown user name (``${FOCUS_UNKNOWN_USER}``) is refused like a wrong password.
    [Tags]    regression    shared
    Open Live View
    Log In With    ${FOCUS_UNKNOWN_USER}    not-the-password
    Login Should Fail With    Wrong username or password

Empty Fields Are Flagged Before Sending
    [Documentation]    Empty username and password are marked next to each field, nothing is sent.
    [Tags]    regression
    Open Live View
    Log In With    ${EMPTY}    ${EMPTY}
    Login Field Should Show Error    username    Enter your username
    Login Field Should Show Error    password    Enter your password
    Live View Should Show    login

Empty Password Alone Is Flagged
    [Documentation]    A username without a password flags only the password field.
    [Tags]    regression
    Open Live View
    Log In With    ${FOCUS_USER}    ${EMPTY}
    Login Field Should Show Error    password    Enter your password
    Get Text    css=[data-testid="login-username-error"]    ==    ${EMPTY}

Logout Ends The Session
    [Documentation]    After logout the login page shows, and a reload does not bring the session back.
    [Tags]    regression
    Open Live View As Tester    new_session=${True}
    Log Out
    Reload Live View    login
    Go To    ${FOCUS_UI_URL}#/alerts
    Live View Should Show    login

Logged Out Session Is Refused By The Server
    [Documentation]    Logout ends the session on the server, not only in this browser: a copy of
    ...    the session's cookie taken before the logout is refused afterwards.
    [Tags]    regression
    Open Live View As Tester    new_session=${True}
    Logout Should End The Session On The Server

Expired Session Returns To Login With A Message
    [Documentation]    A session that ends while the page is open brings back the login page with
    ...    a message; logging in again returns to the view the user was on. The page is on the
    ...    tasks route before the login, so the short session ends on that view however slow the
    ...    machine: navigating after the login raced the session's end under pabot 10.
    [Tags]    regression
    Connect To Focus API
    Open Live View Page    ${FOCUS_UI_URL}#/tasks
    Live View Should Show    login
    Log In As Tester    session_lifetime=8
    Live View Should Show    tasks
    Live View Should Show    login    timeout=20s
    Get Text    ${LOGIN_MESSAGE}    contains    ${SESSION_EXPIRED_TEXT}
    Log In As Tester
    Live View Should Show    tasks

Every Login Input Has A Label
    [Documentation]    Each visible input of the login form has a label that names it.
    [Tags]    regression    accessibility
    Open Live View
    Every Input Should Have A Label    css=[data-testid="login-form"]


*** Keywords ***
Logout Should End The Session On The Server
    [Documentation]    In a logged-in page: keeps a copy of the session (its cookie, as another browser
    ...    or a stolen cookie would have it, in a private temporary directory removed at the end),
    ...    logs out, then opens liveView in a new context with that copy: the login page shows,
    ...    because the server itself refuses the ended session.
    ...    | `Logout Should End The Session On The Server` |
    ${directory} =    Evaluate    tempfile.mkdtemp(prefix='liveview-copy-')    modules=tempfile
    TRY
        Save Storage State    ${directory}/state.json
        Log Out
        New Context    viewport=${UI_VIEWPORT}
        ...    storageState=${directory}/state.json
        New Page    ${FOCUS_UI_URL}#/configure
        Live View Should Show    login
    FINALLY
        Remove Directory    ${directory}    recursive=True
    END
