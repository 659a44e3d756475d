*** Settings ***
Documentation    ``channels``: 1 <= min <= max <= SensorsRange (2222); SingleChannel needs
...              min == max (bug PZ-13669 accepted min != max). Else 400 naming ``channels``.

Resource         ../../resources/fixtures/focus_api.resource

Test Tags        api    regression    PZ-13877    own-data


*** Test Cases ***
SingleChannel Needs Min Equal To Max
    [Documentation]    A SingleChannel task with min != max is refused with 400 naming ``channels`` (bug
    ...    PZ-13669 accepted it).
    [Tags]    PZ-13669    smoke    -regression    critical
    [Template]    Configuration Should Be Rejected
    SingleChannel    channels    channel_min=50    channel_max=51
    SingleChannel    channels    channel_min=11    channel_max=109
    SingleChannel    channels    channel_min=1    channel_max=2222

SingleChannel With Min Equal To Max Is Accepted
    [Documentation]    SingleChannel with min == max is accepted at both ends and in the middle of the
    ...    sensors range.
    [Tags]    PZ-13669
    [Template]    Configuration Should Be Accepted
    SingleChannel    channel_min=1    channel_max=1
    SingleChannel    channel_min=1111    channel_max=1111
    SingleChannel    channel_min=2222    channel_max=2222

Channel Ranges Inside The Sensors Range Are Accepted
    [Documentation]    Channel ranges at the edges of 1..2222 are accepted.
    [Template]    Configuration Should Be Accepted
    MultiChannel    channel_min=1    channel_max=2222
    MultiChannel    channel_min=7    channel_max=7
    ROI    channel_min=2221    channel_max=2222
    Waterfall    channel_min=1    channel_max=2

Channel Ranges Outside The Sensors Range Are Rejected
    [Documentation]    Channel ranges reaching outside 1..2222, or reversed, are refused with 400 naming
    ...    ``channels``.
    [Template]    Configuration Should Be Rejected
    MultiChannel    channels    channel_min=0    channel_max=10
    MultiChannel    channels    channel_min=-5    channel_max=10
    MultiChannel    channels    channel_min=1    channel_max=2223
    ROI    channels    channel_min=2223    channel_max=2223
    Waterfall    channels    channel_min=50    channel_max=40

Malformed Channel Ranges Are Rejected
    [Documentation]    A channels value that is not ``{min, max}`` of integers is refused with 400 naming
    ...    ``channels``.
    [Template]    Configure Field Should Be Rejected
    channels    ${{{"min": 11}}}
    channels    ${{{"min": 11.5, "max": 109}}}
    channels    ${{{"min": "11", "max": "109"}}}
    channels    11-109
    channels    ${None}
