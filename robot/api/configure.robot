*** Settings ***
Documentation    ``POST /configure`` accepts Live and Historic tasks of every view type; the
...              answer describes a waiting task with a stream, the metadata echoes the request.

Resource         ../../resources/fixtures/focus_api.resource

Test Tags        api    regression    own-data


*** Test Cases ***
Live Task With Default Values Is Accepted
    [Documentation]    The default Live configure answers 200 with a ``waiting`` task and a stream host and
    ...    port.
    [Tags]    smoke    -regression    critical
    ${task} =    Configure Live Task
    Should Be Equal    ${task}[status]    waiting
    Should Be Equal    ${task}[stream][host]    127.0.0.1
    Should Be True    0 < ${task}[stream][port] < 65536

Live Task Is Accepted For Every View Type
    [Documentation]    A Live task of each view type is accepted and its metadata echoes the request.
    [Tags]    PZ-13873
    [Template]    Configuration Should Be Accepted
    MultiChannel
    SingleChannel
    Waterfall
    ROI

Historic Task Is Accepted For Every View Type
    [Documentation]    A Historic task of each view type over a recorded range is accepted and its metadata
    ...    echoes the request.
    [Tags]    PZ-13873
    [Template]    Historic Configuration Should Be Accepted
    MultiChannel
    SingleChannel
    Waterfall
    ROI

Each Task Gets Its Own Id And Stream Port
    [Documentation]    Two tasks get different task ids and different stream ports.
    ${first} =    Configure Live Task
    ${second} =    Configure Live Task
    Should Not Be Equal    ${first}[task_id]    ${second}[task_id]
    Should Not Be Equal    ${first}[stream][port]    ${second}[stream][port]


*** Keywords ***
Historic Configuration Should Be Accepted
    [Documentation]    ``/configure`` accepts a Historic ``${view}`` task over a recorded range.
    [Tags]    own-data
    [Arguments]    ${view}
    ${payload} =    Build Historic Payload    ${view}
    Payload Should Be Accepted    ${payload}
