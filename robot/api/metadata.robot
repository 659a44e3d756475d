*** Settings ***
Documentation    Task metadata: every field present for Live and Historic (PZ-13985), and
...              ``channel_count``, ``frequency_resolution``, ``frequency_bins`` and
...              ``time_resolution`` computed by the contract's formulas.

Resource         ../../resources/fixtures/focus_api.resource

Test Tags        api    regression    own-data


*** Test Cases ***
Live Metadata Has Every Field
    [Documentation]    A Live task's metadata has every contract field (bug PZ-13985 missed some).
    [Tags]    PZ-13985    smoke    -regression    critical
    ${task} =    Configure Live Task
    Metadata Should Have Every Field    ${task}

Historic Metadata Has Every Field
    [Documentation]    A Historic task's metadata has every contract field, ``startTime`` and ``endTime``
    ...    included.
    [Tags]    PZ-13985    critical
    ${payload} =    Build Historic Payload
    ${task} =    Configure Task    ${payload}
    Metadata Should Have Every Field    ${task}

Metadata Is Served Under Both Paths
    [Documentation]    ``/metadata/{id}`` and ``/task/{id}/metadata`` answer the same metadata.
    ${task} =    Configure Live Task
    ${first} =    Get Task Metadata    ${task}
    ${second} =    Get Task Metadata    ${task}    path=/task/{}/metadata
    Should Be Equal    ${first}    ${second}

Metadata Follows The Formulas
    [Documentation]    channel_count = max - min + 1; frequency_resolution = prr / nfft;
    ...    frequency_bins = bins k in 0..nfft/2 inside the range; time_resolution = (nfft - overlap) / prr.
    [Template]    Configuration Should Be Accepted
    MultiChannel    nfft=128    frequency_min=100    frequency_max=200
    MultiChannel    nfft=4096    overlap=0
    MultiChannel    nfft=1024    channel_min=1    channel_max=2222    frequency_min=0    frequency_max=1000
    SingleChannel    nfft=65536    overlap=65535    channel_min=2222    channel_max=2222
    Waterfall    nfft=256    overlap=64    frequency_min=0.5    frequency_max=999.5
    ROI    nfft=2048    frequency_min=7.8125    frequency_max=7.8125001

Historic Metadata Echoes Its Time Range
    [Documentation]    A Historic ROI task's metadata echoes its time range, nfft and overlap.
    ${payload} =    Build Historic Payload    ROI    nfft=512    overlap=128
    Payload Should Be Accepted    ${payload}
