*** Settings ***
Documentation    The configure form applies every rule of contract section 2 in the browser: the
...              error next to its field (``aria-invalid``), submit disabled while invalid; a
...              fixed form becomes valid again. One test per rule (requirements PZ-13873..79).

Resource         ../../resources/fixtures/ui.resource

Test Setup       Open Form For Rule
Test Template    Configure Form Should Reject

Test Tags        ui    configure    regression    own-data


*** Variables ***
${FAR_FUTURE_START}    2999-01-01T00:00:00Z
${FAR_FUTURE_END}      2999-01-01T01:00:00Z
${PAST_START}          2026-01-01T00:00:00Z
${PAST_END}            2026-01-01T00:05:00Z


*** Test Cases ***    FIELD    TEXT    FIELDS
NFFT Must Be A Power Of Two
    [Documentation]    nfft 1000 is flagged next to NFFT: not a power of two.
    [Tags]    PZ-13873
    nfft    power of two    nfft=1000
NFFT Below 128 Is Refused
    [Documentation]    nfft 64, a power of two below 128, is flagged next to NFFT.
    [Tags]    PZ-13873
    nfft    128..4096    nfft=64
NFFT Above 4096 Is Refused For MultiChannel
    [Documentation]    nfft 8192 is flagged for MultiChannel, whose limit is 4096.
    [Tags]    PZ-13873
    nfft    MultiChannel needs nfft in 128..4096    nfft=8192
NFFT Above 65536 Is Refused For SingleChannel
    [Documentation]    nfft 131072 is flagged for SingleChannel, whose limit is 65536.
    [Tags]    PZ-13873
    nfft    SingleChannel needs nfft in 128..65536    viewType=SingleChannel    channels.max=11    nfft=131072
NFFT Is Required
    [Documentation]    An empty NFFT is flagged as required.
    [Tags]    PZ-13873
    nfft    required    nfft=${EMPTY}
NFFT Must Be A Whole Number
    [Documentation]    Letters in NFFT are flagged: it must be a whole number.
    [Tags]    PZ-13873
    nfft    whole number    nfft=abc
Overlap Must Be Below NFFT
    [Documentation]    An overlap equal to nfft is flagged next to the overlap (0 <= overlap < nfft).
    [Tags]    PZ-13874
    overlap    less than nfft    overlap=1024
Overlap Must Not Be Negative
    [Documentation]    A negative overlap is flagged next to the overlap.
    [Tags]    PZ-13874
    overlap    at least 0    overlap=-1
First Channel Must Be At Least 1
    [Documentation]    Channel 0 as first channel is flagged next to it.
    [Tags]    PZ-13875
    channels.min    at least 1    channels.min=0
Last Channel Must Be Within The Sensors Range
    [Documentation]    Channel 2223, past SensorsRange 2222, is flagged next to the last channel.
    [Tags]    PZ-13875
    channels.max    at most 2222    channels.max=2223
Channel Range Must Not Be Reversed
    [Documentation]    A last channel below the first is flagged next to the last channel.
    [Tags]    PZ-13875
    channels.max    not be below    channels.min=200    channels.max=100
SingleChannel Needs One Channel
    [Documentation]    Bug PZ-13669 accepted min != max for SingleChannel.
    [Tags]    PZ-13669
    channels.max    SingleChannel needs    viewType=SingleChannel    channels.min=50    channels.max=51
Frequency Must Not Be Negative
    [Documentation]    A frequency range starting below FrequencyMin 0 is flagged.
    [Tags]    PZ-13876
    frequencyRange.min    at least 0    frequencyRange.min=-1
Frequency Must Not Exceed Nyquist
    [Documentation]    A frequency range ending above FrequencyMax 1000 (prr/2) is flagged.
    [Tags]    PZ-13876
    frequencyRange.max    at most 1000    frequencyRange.max=1001
Frequency Range Must Not Be Empty
    [Documentation]    A frequency range with min == max is flagged next to its end.
    [Tags]    PZ-13876
    frequencyRange.max    above frequency from    frequencyRange.min=500    frequencyRange.max=500
Live Task Takes No Start Time
    [Documentation]    A Live task with a start time is flagged next to the start time.
    [Tags]    PZ-13877
    startTime    Live task takes no startTime    startTime=${PAST_START}
Historic Task Needs A Start Time
    [Documentation]    A Historic task without a start time is flagged next to it.
    [Tags]    PZ-13878
    startTime    needs startTime    timeStatus=Historic    endTime=${PAST_END}
Historic Times Must Be ISO-8601 UTC
    [Documentation]    A Historic end time that is not ISO-8601 UTC is flagged next to it.
    [Tags]    PZ-13878
    endTime    ISO-8601    timeStatus=Historic    startTime=${PAST_START}    endTime=yesterday
Historic Start Must Precede End
    [Documentation]    A Historic start after its end is flagged next to the start time.
    [Tags]    PZ-13878
    startTime    before endTime    timeStatus=Historic    startTime=${PAST_END}    endTime=${PAST_START}
Historic End Must Not Be In The Future
    [Documentation]    Bug PZ-13984 accepted future timestamps.
    [Tags]    PZ-13984
    endTime    not be in the future    timeStatus=Historic    startTime=${FAR_FUTURE_START}
    ...    endTime=${FAR_FUTURE_END}


*** Keywords ***
Open Form For Rule
    [Documentation]    A new context, logged in, on the configure form with its valid defaults.
    UI Test Setup
    Open Live View As Tester
    Configure Form Should Be Valid
