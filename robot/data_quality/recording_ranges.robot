*** Settings ***
Documentation     The recordings of a time range a tester names, in the testers' time formats: each
...               check covers exactly the recordings of the range, fails on an empty range unless
...               told to accept one, and treats a recording classified ``invalid`` as a finding.

Resource          ../../resources/fixtures/data_quality.resource
Library           DateTime

Suite Setup       Data Quality Suite Setup
Suite Teardown    Data Quality Suite Teardown

Test Tags         mongodb    data_quality    regression    segy    own-data


*** Test Cases ***
The Recordings Of The Last Minutes Are Complete, Valid And Classified
    [Documentation]    The live recordings between 5 and 1 minute ago cover the range, have valid SEG-Y
    ...    files and are classified as the rule says.
    Recordings Between    5 minutes ago    1 minute ago    Should Be Complete
    Recordings Between    5 minutes ago    1 minute ago    Should Have Valid SEG-Y Files
    Recordings Between    5 minutes ago    1 minute ago    Should Be Classified Correctly

Times Are Read As ISO-8601 And Epoch Seconds Too
    [Documentation]    The same kind of range written as ISO-8601 UTC and as epoch seconds.
    ${start} =    Get UTC Timestamp At    3 minutes ago
    ${end} =    Get Current Date    UTC    - 1 minute    result_format=epoch
    ${checked} =    Recordings Between    ${start}    ${end}    Should Have Valid SEG-Y Files
    Should Be True    ${checked} >= 1

An Empty Range Fails Unless An Empty Range Is Expected
    [Documentation]    No recording in 2001: the check fails saying nothing was checked; with
    ...    ``min_recordings=0`` it passes and says it checked none.
    Run Keyword And Expect Error    *No recording overlaps 2001-01-01T10:00:00Z..2001-01-01T10:05:00Z*
    ...    Recordings Between    2001-01-01 10:00    2001-01-01 10:05    Should Be Complete
    ${checked} =    Recordings Between    2001-01-01 10:00    2001-01-01 10:05    Should Be Complete
    ...    min_recordings=0
    Should Be Equal As Integers    ${checked}    0

A Recording Classified Invalid Is A Finding
    [Documentation]    A range holding a recording classified ``invalid`` fails each check, naming it;
    ...    with ``allow_invalid=True`` it passes and the recording is shown as a warning.
    ${start}    ${end} =    Get The Range Of An Invalid Recording
    Run Keyword And Expect Error    *classified invalid*
    ...    Recordings Between    ${start}    ${end}    Should Be Classified Correctly
    Run Keyword And Expect Error    *classified invalid*
    ...    Recordings Between    ${start}    ${end}    Should Have Valid SEG-Y Files
    Recordings Between    ${start}    ${end}    Should Be Classified Correctly    allow_invalid=${True}

The Last 30 Seconds Of Recorded Data Are 30 Seconds Long
    [Documentation]    ``Get Last Recorded Range    30 s`` gives 30 s of recorded data, all complete; more
    ...    than was ever recorded fails saying how much there is.
    ${start}    ${end} =    Get Last Recorded Range    30 s
    ${seconds} =    Subtract Date From Date    ${end}    ${start}
    Should Be Equal As Numbers    ${seconds}    30
    Recordings Between    ${start}    ${end}    Should Be Complete
    Run Keyword And Expect Error    *Only * s of uninterrupted recorded data end at *
    ...    Get Last Recorded Range    30 days


*** Keywords ***
Get The Range Of An Invalid Recording
    [Documentation]    Start and end of a recording classified ``invalid`` (the twin seeds one); the
    ...    test is skipped, saying so, where the environment has none.
    VAR    &{invalid} =    classification=invalid
    ${uuids} =    Get Field Values    recordings    uuid    ${invalid}
    Skip If    not $uuids    No recording is classified invalid here: nothing to show
    VAR    &{that_one} =    uuid=${uuids}[0]
    ${starts} =    Get Field Values    recordings    start_time    ${that_one}
    ${ends} =    Get Field Values    recordings    end_time    ${that_one}
    RETURN    ${starts}[0]    ${ends}[0]
