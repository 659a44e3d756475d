*** Settings ***
Documentation     Recipe 1 of docs/TESTERS.md: a Live MultiChannel task on channels 100-200, NFFT 1024
...               and 0-500 Hz: its metadata, its waterfall rows and its stop.

Resource          ../../resources/fixtures/focus_api.resource

Suite Setup       Focus Suite Setup
Suite Teardown    Focus Suite Teardown
Test Setup        Focus Test Setup
Test Teardown     Focus Test Teardown

Test Tags         api    regression    recipe    own-data


*** Test Cases ***
Live MultiChannel Task On Channels 100 To 200 Streams And Stops
    [Documentation]    The task runs, its metadata echoes the request with the contract's calculations
    ...    (101 channels), its waterfall rows hold one finite value per channel, and it stops.
    ${payload} =    Build Configure Payload    view_type=MultiChannel    channel_min=100    channel_max=200
    ...    nfft=1024    frequency_min=0    frequency_max=500
    ${task} =    Configure Task    ${payload}
    Task Should Be Running    ${task}
    ${metadata} =    Task Metadata Should Match Configuration    ${task}    ${payload}
    Should Be Equal As Integers    ${metadata}[channel_count]    101
    Waterfall Should Have Rows    ${task}    min_rows=3
    Stop Task    ${task}
    Task Should Be Stopped    ${task}
