*** Settings ***
Documentation    ``POST /config_task/{task_id}`` changes a running task's channels and/or
...              frequency range (dynamic ROI), with the same validation as ``/configure``.

Resource         ../../resources/fixtures/focus_api.resource

Test Tags        api    regression    own-data


*** Test Cases ***
Channels Of A Running Task Can Be Changed
    [Documentation]    ``/config_task`` changes a running task's channels; the answer and the metadata show
    ...    the new range.
    [Tags]    critical
    ${task} =    Start Running Live Task
    ${answer} =    Update Task ROI    ${task}    channels=20-40
    Should Be Equal As Integers    ${answer}[channel_count]    21
    ${changed} =    Build Configure Payload    channel_min=20    channel_max=40
    Task Metadata Should Match Configuration    ${task}    ${changed}    prr=${PRR}

Frequency Range Of A Running Task Can Be Changed
    [Documentation]    ``/config_task`` changes a running task's frequency range; the metadata follows the
    ...    formulas for it.
    ${task} =    Start Running Live Task
    Update Task ROI    ${task}    frequency_range=100-200
    ${changed} =    Build Configure Payload    frequency_min=100    frequency_max=200
    Task Metadata Should Match Configuration    ${task}    ${changed}    prr=${PRR}

Both Ranges Can Be Changed At Once
    [Documentation]    ``/config_task`` changes channels and frequency range in one request.
    ${task} =    Start Running Live Task
    Update Task ROI    ${task}    channels=1-2222    frequency_range=0-1000
    ${changed} =    Build Configure Payload    channel_min=1    channel_max=2222    frequency_max=1000
    Task Metadata Should Match Configuration    ${task}    ${changed}    prr=${PRR}

Waterfall Follows The New Channels
    [Documentation]    After a channel change the waterfall rows have one value per new channel.
    ${task} =    Start Running Live Task
    Update Task ROI    ${task}    channels=500-509
    Waterfall Should Have Rows    ${task}    channel_count=10

Invalid ROI Is Rejected
    [Documentation]    Each invalid ROI change is refused with 400 naming the field, and the task keeps
    ...    running.
    [Tags]    PZ-13877    PZ-13878
    [Template]    ROI Change Should Be Rejected
    channels    channels=0-10
    channels    channels=50-40
    channels    channels=1-2223
    frequencyRange    frequency_range=600-100
    frequencyRange    frequency_range=0-1001
    frequencyRange    frequency_range=500-500

ROI Of An Unknown Task Is Not Found
    [Documentation]    ``/config_task`` of an unknown task id answers 404.
    Update Task ROI    no-such-task    channels=20-40    expected_status=404

ROI Of A Stopped Task Is A Conflict
    [Documentation]    ``/config_task`` of a stopped task answers 409.
    ${task} =    Start Running Live Task
    Stop Task    ${task}
    Update Task ROI    ${task}    channels=20-40    expected_status=409

ROI Of A Completed Task Is A Conflict
    [Documentation]    ``/config_task`` of a Historic task that has completed answers 409: every
    ...    finished task, not only a stopped one.
    ${payload} =    Build Historic Payload    span=5s
    ${task} =    Configure Task    ${payload}
    Get Task Status    ${task}    ==    completed    timeout=60s
    Update Task ROI    ${task}    channels=20-40    expected_status=409


*** Keywords ***
ROI Change Should Be Rejected
    [Documentation]    Template: a ROI change ``&{change}`` of a running task is refused with 400
    ...    naming ``${field}``, and the task keeps running.
    [Tags]    own-data
    [Arguments]    ${field}    &{change}
    ${task} =    Start Running Live Task
    Update Task ROI    ${task}    &{change}    expected_status=400    error_field=${field}
    Task Should Be Running    ${task}
    Stop Task    ${task}
