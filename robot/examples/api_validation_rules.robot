*** Settings ***
Documentation     Recipe 9 of docs/TESTERS.md: validation rules of ``POST /configure`` as a table, one
...               row per rule: a 400 naming the offending field. Add a rule by adding a row.

Resource          ../../resources/focus_api.resource

Suite Setup       Connect To Focus API
Suite Teardown    Stop All Tasks
Test Template     Configuration Should Be Rejected

Test Tags         api    regression    recipe    own-data


*** Test Cases ***    VIEW    FIELD    OVERRIDES
SingleChannel Needs One Channel
    [Documentation]    SingleChannel with channels 50-60 answers 400 on channels (bug PZ-13669).
    SingleChannel    channels    channel_min=50    channel_max=60
NFFT Must Be A Power Of Two
    [Documentation]    nfft 1000 answers 400 on nfft.
    MultiChannel    nfft    nfft=1000
Frequency Must Not Exceed 1000 Hz
    [Documentation]    A frequency range ending at 1001 Hz, above FrequencyMax, answers 400.
    MultiChannel    frequencyRange    frequency_max=1001
Channels Must Be Within The Sensors Range
    [Documentation]    Channel 2223, past SensorsRange 2222, answers 400 on channels.
    MultiChannel    channels    channel_max=2223
