*** Settings ***
Documentation    Historic playback of each view type through the page (contract section 5): a
...              Historic task over a recorded range, submitted from the configure form, reaches
...              completed in the task view and its waterfall canvas shows the played-back rows.
...              (A suite of its own so that pabot runs it beside ``task_view.robot``.)

Resource         ../../resources/fixtures/ui.resource

Test Setup       Open Form For A Task

Test Tags        ui    task-view    regression    own-data


*** Test Cases ***
MultiChannel Historic Playback Completes
    [Documentation]    A Historic MultiChannel task over a recorded range reaches completed; the canvas shows its rows.
    [Template]    Historic Playback Should Complete In The Page
    MultiChannel

SingleChannel Historic Playback Completes
    [Documentation]    A Historic SingleChannel task over a recorded range reaches completed; the canvas shows its rows.
    [Template]    Historic Playback Should Complete In The Page
    SingleChannel    channels.min=50    channels.max=50

Waterfall Historic Playback Completes
    [Documentation]    A Historic Waterfall task over a recorded range reaches completed; the canvas shows its rows.
    [Template]    Historic Playback Should Complete In The Page
    Waterfall

ROI Historic Playback Completes
    [Documentation]    A Historic ROI task over a recorded range reaches completed; the canvas shows its rows.
    [Template]    Historic Playback Should Complete In The Page
    ROI


*** Keywords ***
Open Form For A Task
    [Documentation]    A new context, logged in, on the configure form.
    UI Test Setup
    Open Live View As Tester

Historic Playback Should Complete In The Page
    [Documentation]    Template: a Historic ``${view}`` task over a recorded range reaches completed
    ...    and its waterfall canvas shows the played-back rows.
    [Tags]    own-data
    [Arguments]    ${view}    &{fields}
    ${start}    ${end} =    Get Recorded Time Range    span=10s
    Fill Configure Form    timeStatus=Historic    viewType=${view}    startTime=${start}    endTime=${end}
    ...    &{fields}
    Submit Configure Form
    Task View Should Show Status    completed
    Waterfall Canvas Should Be Drawn
