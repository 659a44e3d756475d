*** Settings ***
Documentation    End to end through the API: configure, metadata, running, waterfall rows,
...              stop, stopped. The Kubernetes Job/pod checks of the task (Job
...              ``focus-server-grpc-<task_id>`` while it runs, removed after the stop) belong
...              to the Kubernetes issue and are added there, not faked here.

Resource         ../../resources/fixtures/focus_api.resource

Test Tags        api    regression    e2e    own-data


*** Test Cases ***
Live Task From Configure To Stop
    [Documentation]    A Live task end to end: metadata matches the request, it runs, streams waterfall rows
    ...    of 100 channels, stops and reports ``stopped``.
    [Tags]    critical    PZ-13985    PZ-13238
    ${payload} =    Build Configure Payload    nfft=2048    channel_min=200    channel_max=299
    ${task} =    Configure Task    ${payload}
    Task Metadata Should Match Configuration    ${task}    ${payload}    prr=${PRR}
    Task Should Be Running    ${task}
    Waterfall Should Have Rows    ${task}    min_rows=3    channel_count=100
    Stop Task    ${task}
    Task Should Be Stopped    ${task}

Historic Task From Configure To Completion
    [Documentation]    A Historic task over a recorded 5 s range: metadata matches the request and the task
    ...    reaches ``completed``.
    ${payload} =    Build Historic Payload    span=5s
    ${task} =    Configure Task    ${payload}
    Task Metadata Should Match Configuration    ${task}    ${payload}    prr=${PRR}
    Get Task Status    ${task}    ==    completed    timeout=60s
