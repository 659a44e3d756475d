*** Settings ***
Documentation    Live takes no ``startTime``/``endTime``; Historic needs both, ISO-8601 UTC,
...              startTime < endTime <= now (bug PZ-13984 accepted future timestamps); a range no
...              recording covers is 404.

Resource         ../../resources/fixtures/focus_api.resource

Test Tags        api    regression    PZ-13879    own-data


*** Test Cases ***
Historic Task In The Future Is Rejected
    [Documentation]    A Historic task entirely in the future is refused with 400 (bug PZ-13984 accepted it).
    [Tags]    PZ-13984    smoke    -regression    critical
    Configure Historic Task In The Future

Historic Task Ending In The Future Is Rejected
    [Documentation]    A Historic task that starts in the past and ends in the future is refused with 400
    ...    naming ``endTime``.
    [Tags]    PZ-13984
    ${start} =    Get UTC Timestamp    offset=-1 min
    ${end} =    Get UTC Timestamp    offset=1 hour
    Configure Historic Task    start=${start}    end=${end}    expected_status=400    error_field=endTime

Historic Task Must Start Before It Ends
    [Documentation]    A Historic task with startTime >= endTime is refused with 400 naming ``startTime``.
    ${start}    ${end} =    Get Recorded Time Range
    Configure Historic Task    start=${end}    end=${start}    expected_status=400    error_field=startTime
    Configure Historic Task    start=${start}    end=${start}    expected_status=400    error_field=startTime

Historic Task Needs Both Times
    [Documentation]    A Historic task without startTime or endTime is refused with 400 naming the missing
    ...    one.
    [Template]    Historic Times Should Be Rejected
    startTime    ${None}    2026-01-01T00:00:00Z
    endTime    2026-01-01T00:00:00Z    ${None}
    startTime    ${None}    ${None}

Historic Times Must Be ISO-8601 UTC
    [Documentation]    Historic times that are not ISO-8601 UTC strings are refused with 400 naming the
    ...    field.
    [Template]    Historic Times Should Be Rejected
    startTime    yesterday    2026-01-01T00:00:00Z
    startTime    2026-01-01 00:00    2026-01-01T00:10:00Z
    startTime    2026-01-01T00:00:00+02:00    2026-01-01T00:10:00Z
    endTime    2026-01-01T00:00:00Z    ${12345}

Live Task With Times Is Rejected
    [Documentation]    A Live task with startTime or endTime is refused with 400 naming the field.
    [Template]    Live Times Should Be Rejected
    startTime    2026-01-01T00:00:00Z    2026-01-01T00:10:00Z
    startTime    2026-01-01T00:00:00Z    ${None}
    endTime    ${None}    2026-01-01T00:10:00Z

Historic Range Without Recordings Is Not Found
    [Documentation]    A Historic range that no recording covers answers 404.
    Configure Historic Task    start=2000-01-01T00:00:00Z    end=2000-01-01T00:01:00Z
    ...    expected_status=404


*** Keywords ***
Historic Times Should Be Rejected
    [Documentation]    Template: a Historic task from ``${start}`` to ``${end}`` is refused with 400
    ...    naming ``${field}``.
    [Tags]    own-data
    [Arguments]    ${field}    ${start}    ${end}
    ${payload} =    Build Configure Payload    time_status=Historic
    Set To Dictionary    ${payload}    startTime=${start}    endTime=${end}
    Payload Should Be Rejected    ${payload}    ${field}

Live Times Should Be Rejected
    [Documentation]    Template: a Live task with ``${start}``/``${end}`` is refused with 400 naming ``${field}``.
    [Tags]    own-data
    [Arguments]    ${field}    ${start}    ${end}
    ${payload} =    Build Configure Payload    start=${start}    end=${end}
    Payload Should Be Rejected    ${payload}    ${field}
