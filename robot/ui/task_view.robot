*** Settings ***
Documentation    Each view type end to end through the page (contract section 5): the task view's
...              status reaches running (polled from ``/ack``), the waterfall canvas draws with a
...              known event visible, and Stop stops. Historic playback: ``task_view_playback.robot``.

Resource         ../../resources/fixtures/ui.resource

Test Setup       Open Form For A Task

Test Tags        ui    task-view    regression    own-data


*** Test Cases ***
MultiChannel Live Task Runs And Draws
    [Documentation]    A Live MultiChannel task submitted from the form reaches running and its waterfall canvas draws.
    [Template]    Live Task Should Run And Draw In The Page
    MultiChannel

SingleChannel Live Task Runs And Draws
    [Documentation]    A Live SingleChannel task submitted from the form reaches running and its waterfall canvas draws.
    [Template]    Live Task Should Run And Draw In The Page
    SingleChannel    channels.min=50    channels.max=50

Waterfall Live Task Runs And Draws
    [Documentation]    A Live Waterfall task submitted from the form reaches running and its waterfall canvas draws.
    [Template]    Live Task Should Run And Draw In The Page
    Waterfall

ROI Live Task Runs And Draws
    [Documentation]    A Live ROI task submitted from the form reaches running and its waterfall canvas draws.
    [Template]    Live Task Should Run And Draw In The Page
    ROI

Event At Channel 50 Is Visible On The Waterfall
    [Documentation]    The twin's 200 Hz event at channel 50 is on all the time: its column is
    ...    clearly brighter than the median column of channels 11-109 (PZ-13238).
    [Tags]    PZ-13238
    Fill Configure Form    frequencyRange.min=150    frequencyRange.max=250
    Submit Configure Form
    Task View Should Show Status    running
    Waterfall Should Show Event At Channel    50

Task View Shows The Metadata Of The API
    [Documentation]    The metadata shown equals ``GET /metadata`` for the task (PZ-13985).
    [Tags]    PZ-13985
    Fill Configure Form    nfft=512    overlap=128    channels.min=20    channels.max=60
    ${task_id} =    Submit Configure Form
    Task View Metadata Should Match API    ${task_id}

Stop Button Stops The Task
    [Documentation]    Stop in the task view stops the task: the page and the API say ``stopped``.
    ${task_id} =    Submit Configure Form
    Task View Should Show Status    running
    Stop Task From Task View
    Task Should Be Stopped    ${task_id}

Task View Opens From Its Address
    [Documentation]    A task configured through the API opens in the page from its address.
    ${task} =    Configure Live Task
    Open Task View    ${task}[task_id]
    Task View Should Show Status    running

A Late Metadata Answer Does Not Show On The Next Task
    [Documentation]    The task view asks for its task's metadata once, when it opens. When the
    ...    user goes on to another task before that answer arrives, the first task's metadata
    ...    must not fill the second task's view. The first task's ``/metadata`` answer is held
    ...    back 2 s here, so it arrives after the second task's.
    ${first} =    Configure Live Task    nfft=512
    ${second} =    Configure Live Task    nfft=2048
    Hold Back Page Answers    /metadata/${first}[task_id]    2 s
    Open Task View    ${first}[task_id]
    Wait For Held Back Requests    started
    Open Task View    ${second}[task_id]
    Task View Should Show Metadata    nfft    2048
    Wait For Held Back Requests    answered
    Task View Metadata Should Match API    ${second}[task_id]


*** Keywords ***
Open Form For A Task
    [Documentation]    A new context, logged in, on the configure form.
    UI Test Setup
    Open Live View As Tester

Live Task Should Run And Draw In The Page
    [Documentation]    Template: a Live ``${view}`` task (``&{fields}`` too) submitted from the form
    ...    reaches running and its waterfall canvas draws.
    [Tags]    own-data
    [Arguments]    ${view}    &{fields}
    Fill Configure Form    viewType=${view}    &{fields}
    Submit Configure Form
    Task View Should Show Status    running
    Task View Should Show Metadata    viewType    ${view}
    Waterfall Canvas Should Be Drawn    rows=2
