*** Settings ***
Documentation    The tasks view: the tasks waiting or running with their status, and the capacity
...              in use (``N / 30``); the 31st configure shows the capacity error (PZ-13986).

Resource         ../../resources/fixtures/ui.resource
Resource         ../../resources/ui_tasks.resource

Test Timeout     10 minutes

Test Tags        ui    tasks    regression


*** Test Cases ***
Running Task Is Listed With The Capacity In Use
    [Documentation]    A running task is listed as running; the capacity counts the listed tasks.
    [Tags]    own-data
    ${task} =    Start Running Live Task
    Open Live View As Tester    tasks
    Tasks List Should Show Task    ${task}[task_id]    running
    Capacity Should Count The Listed Tasks

Stopped Task Leaves The List
    [Documentation]    A task stopped through the API disappears from the list without a reload.
    [Tags]    own-data
    ${task} =    Start Running Live Task
    Open Live View As Tester    tasks
    Tasks List Should Show Task    ${task}[task_id]
    Stop Task    ${task}
    Wait For Condition    Element Count    css=[data-testid="task-row"][data-task-id="${task}[task_id]"]
    ...    ==    0

Listed Task Opens Its Task View
    [Documentation]    A click on a listed task opens its task view.
    [Tags]    own-data
    ${task} =    Start Running Live Task
    Open Live View As Tester    tasks
    Tasks List Should Show Task    ${task}[task_id]
    Click    css=[data-testid="task-row"][data-task-id="${task}[task_id]"] >> css=[data-testid="task-link"]
    Live View Should Show    task
    Task View Should Show Status    running

A Late Answer Of The Tasks List Does Not Touch The Next View
    [Documentation]    The tasks view polls its list every second. An answer that arrives after
    ...    the user went on to another view neither redraws the list nor marks the tasks view
    ...    ready: seen under ``pabot --processes 10``, where the configure view stayed marked
    ...    ``data-ready=tasks`` and its test waited in vain. The page's ``/tasks`` answers are held
    ...    back 2 s here, so one is always still on its way when the user leaves.
    [Tags]    own-data
    Open Live View As Tester    tasks
    Hold Back Page Answers    /tasks    2 s
    Wait For Held Back Requests    started
    Go To View    configure
    Wait For Held Back Requests    answered
    Get Attribute    ${APP}    data-ready    ==    configure
    Get Attribute    ${APP}    data-view    ==    configure

Thirty First Configure Shows The Capacity Error
    [Documentation]    With 30 tasks active the list shows ``30 / 30`` and a submit from the form
    ...    shows the server's 503 capacity error (PZ-13986). Holds the capacity alone.
    [Tags]    disruptive    capacity    PZ-13986
    [Setup]    Capacity Test Setup
    Fill Capacity
    Open Live View As Tester    tasks
    Capacity Should Show    ${MAX_WINDOWS} / ${MAX_WINDOWS}
    Go To View    configure
    Submit Should Show Server Error    Capacity reached
    Get Text    ${CONFIGURE_SERVER_ERROR}    contains    503 CAPACITY_EXCEEDED
