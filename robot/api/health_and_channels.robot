*** Settings ***
Documentation    Smoke: the Focus Server answers, is healthy and lists every channel.
...              No test here creates a task, so none holds the capacity lock.

Resource         ../../resources/fixtures/focus_api.resource

Test Tags        api    regression


*** Test Cases ***
Health Reports OK With Its Dependencies
    [Documentation]    ``GET /health`` answers 200 ``ok`` with MongoDB and RabbitMQ ``ok``.
    [Tags]    smoke    -regression    critical
    Health Should Be OK

Channels Cover The Sensors Range
    [Documentation]    ``GET /channels`` lists every channel 1..2222 once, in order, with the lowest and
    ...    highest channel.
    [Tags]    critical
    Channels Should Cover The Sensors Range

Recordings Are Listed
    [Documentation]    ``GET /recordings`` lists at least one recording, so Historic playback is possible.
    ${recordings} =    Get Recordings
    Should Not Be Empty    ${recordings}    No recording at all: Historic playback is impossible

Recordings Listed For A Range Overlap It
    [Documentation]    ``GET /recordings?start=&end=`` lists the recordings overlapping the range, at
    ...    least the one it was taken from, and none outside it.
    ${start}    ${end} =    Get Recorded Time Range    span=10s
    ${recordings} =    Get Recordings    start=${start}    end=${end}
    Should Not Be Empty    ${recordings}    No recording listed for a recorded range ${start}..${end}
    Recordings Should Overlap    ${recordings}    ${start}    ${end}
