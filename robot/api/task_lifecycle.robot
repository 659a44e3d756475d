*** Settings ***
Documentation    A task's life: acknowledged ``waiting``, ``running`` within 30 s, waterfall rows
...              of one finite value per channel (PZ-13238), ``stopped`` after a stop.

Resource         ../../resources/fixtures/focus_api.resource

Test Tags        api    regression


*** Test Cases ***
Live Task Runs Within Thirty Seconds
    [Documentation]    A new Live task is ``waiting`` and becomes ``running`` within 30 s.
    [Tags]    critical    own-data
    ${task} =    Configure Live Task
    Should Be Equal    ${task}[status]    waiting
    Task Should Be Running    ${task}    timeout=${TASK_RUNNING_TIMEOUT_S}s

Running Task Serves gRPC Health At Its Stream
    [Documentation]    Contract section 2: ``running`` means the task's gRPC health service
    ...    (``grpc.health.v1``) answers ``SERVING`` at ``stream.host:stream.port``; checked once,
    ...    as soon as the status says ``running``.
    [Tags]    critical    own-data
    ${task} =    Start Running Live Task
    Get Task Stream Health    ${task}    ==    SERVING

Live Task Keeps Running Until It Is Stopped
    [Documentation]    A Live task runs until ``DELETE``: still ``running`` at every check for 20 s
    ...    (far beyond a Historic range's streaming), then ``stopped`` once stopped.
    [Tags]    own-data
    ${task} =    Start Running Live Task
    Task Should Keep Running    ${task}    20s
    Stop Task    ${task}
    Task Should Be Stopped    ${task}

Acknowledgement Names The Task
    [Documentation]    ``GET /ack/{id}`` answers the task's id.
    [Tags]    shared
    ${task} =    Configure Live Task
    ${ack} =    Send Raw Request    GET    /ack/${task}[task_id]    expected_status=200
    Should Be Equal    ${ack.json()}[task_id]    ${task}[task_id]

Waterfall Rows Have One Finite Value Per Channel
    [Documentation]    A running task's waterfall rows have one finite value per channel (bug PZ-13238:
    ...    waterfall failed).
    [Tags]    PZ-13238    smoke    -regression    critical    own-data
    ${task} =    Start Running Live Task    channel_min=100    channel_max=163
    Waterfall Should Have Rows    ${task}    min_rows=5    channel_count=64

Waterfall Answers The Rows Asked For
    [Documentation]    ``GET /waterfall/{id}?rows=N`` answers exactly N rows once the task has more:
    ...    1, 3 and 12 rows.
    [Tags]    own-data
    ${task} =    Start Running Live Task
    Waterfall Should Answer As Many Rows As Asked    ${task}    1    3    12

Waterfall Works For Every View Type
    [Documentation]    A running task of each view type streams waterfall rows (PZ-13238).
    [Tags]    PZ-13238    own-data
    [Template]    Waterfall Should Stream For View
    MultiChannel
    SingleChannel
    Waterfall
    ROI

Stopped Task Reports Stopped
    [Documentation]    ``DELETE /task/{id}`` answers ``stopped``, the task's status is ``stopped`` and
    ...    its stream no longer answers ``SERVING``.
    [Tags]    critical    own-data
    ${task} =    Start Running Live Task
    ${answer} =    Stop Task    ${task}
    Should Be Equal    ${answer}[status]    stopped
    Task Should Be Stopped    ${task}
    Get Task Stream Health    ${task}    !=    SERVING    timeout=30s


*** Keywords ***
Waterfall Should Stream For View
    [Documentation]    A running ``${view}`` task streams rows of one finite value per channel.
    [Tags]    own-data
    [Arguments]    ${view}
    ${payload} =    Build View Payload    ${view}
    ${task} =    Configure Task    ${payload}
    Live Task Should Be Streaming    ${task}
    Stop Task    ${task}
