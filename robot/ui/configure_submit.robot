*** Settings ***
Documentation    The configure form's boundaries are accepted, a valid submit opens the task view,
...              server errors show under the form, and the form works by keyboard alone with a
...              label on every input.

Resource         ../../resources/fixtures/ui.resource

Test Tags        ui    configure    own-data


*** Test Cases ***
Boundary Values Are Accepted
    [Documentation]    The edges each rule allows keep the form valid (PZ-13873..PZ-13876).
    [Tags]    regression    PZ-13873    PZ-13875    PZ-13876
    [Setup]    Open Form With Defaults
    [Template]    Configure Form Should Accept
    nfft=128    overlap=0
    nfft=4096    overlap=4095
    channels.min=1    channels.max=2222
    frequencyRange.min=0    frequencyRange.max=1000
    viewType=SingleChannel    nfft=65536    channels.min=50    channels.max=50
    overlap=${EMPTY}

Fixing The Field Enables Submit Again
    [Documentation]    An error goes away and submit is enabled again once the field is corrected.
    [Tags]    regression
    [Setup]    Open Form With Defaults
    Fill Configure Form    nfft=1000
    Configure Form Should Show Error    nfft    power of two
    Fill Configure Form    nfft=1024
    Configure Form Should Be Valid
    Get Text    css=[data-testid="error-nfft"]    ==    ${EMPTY}

Valid Submit Opens The Task View
    [Documentation]    A valid form submitted creates a task; its view shows it running. The task is
    ...    registered for clean-up like an API task.
    [Tags]    smoke
    [Setup]    Open Form With Defaults
    Fill Configure Form    nfft=2048    overlap=1024
    ${task_id} =    Submit Configure Form
    Task Should Be Registered For Clean-up    ${task_id}
    Task View Should Show Status    running
    Task View Should Show Metadata    nfft    2048

Server Error Is Shown Under The Form
    [Documentation]    A Historic range that no recording covers passes the browser's rules; the
    ...    server's 404 is shown under the form and the page stays on it.
    [Tags]    regression
    [Setup]    Open Form With Defaults
    Fill Configure Form    timeStatus=Historic    startTime=2001-01-01T00:00:00Z
    ...    endTime=2001-01-01T00:00:10Z
    Configure Form Should Be Valid
    Submit Should Show Server Error    no recording covers

Configure Form Works By Keyboard Alone
    [Documentation]    From the first field, Tab moves through the fields in order, arrow keys choose
    ...    from the lists, typing fills the inputs, and Enter submits.
    [Tags]    regression    accessibility
    [Setup]    Open Form With Defaults
    Focus    css=[data-testid="field-timeStatus"]
    Press Keys In Order    Tab    ArrowDown    Tab
    Type Into Focused Field    8192
    Press Keys In Order    Tab    Tab
    Type Into Focused Field    50
    Press Keys In Order    Tab
    Type Into Focused Field    50
    Submit Configure Form    key=Enter
    Task View Should Be Open With    viewType=SingleChannel    nfft=8192

Every Configure Input Has A Label
    [Documentation]    Each input and list of the configure form has a label that names it.
    [Tags]    regression    accessibility
    [Setup]    Open Form With Defaults
    Every Input Should Have A Label    ${CONFIGURE_FORM}


*** Keywords ***
Open Form With Defaults
    [Documentation]    A new context, logged in, on the configure form.
    UI Test Setup
    Open Live View As Tester

Press Keys In Order
    [Documentation]    Presses each key of ``@{keys}`` once, in order.
    [Arguments]    @{keys}
    FOR    ${key}    IN    @{keys}
        Keyboard Key    press    ${key}
    END

Type Into Focused Field
    [Documentation]    Replaces the text of the focused input by ``${text}``, typed key by key.
    [Arguments]    ${text}
    Keyboard Key    press    Control+A
    Keyboard Input    type    ${text}

Task View Should Be Open With
    [Documentation]    The task view is open and shows ``&{metadata}``.
    [Arguments]    &{metadata}
    Task View Should Be Open
    FOR    ${name}    ${text}    IN    &{metadata}
        Task View Should Show Metadata    ${name}    ${text}
    END
