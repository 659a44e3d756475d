*** Settings ***
Documentation    ``timeStatus`` is ``Live`` or ``Historic``; ``viewType`` one of MultiChannel,
...              SingleChannel, Waterfall, ROI. Anything else: 400 naming the field (PZ-13873).

Resource         ../../resources/fixtures/focus_api.resource

Test Tags        api    regression    PZ-13873    own-data


*** Test Cases ***
Unknown Time Status Is Rejected
    [Documentation]    A timeStatus other than ``Live``/``Historic`` (case matters) is refused with 400
    ...    naming ``timeStatus``.
    [Template]    Configure Field Should Be Rejected
    timeStatus    live
    timeStatus    LIVE
    timeStatus    Realtime
    timeStatus    ${EMPTY}
    timeStatus    ${None}
    timeStatus    ${1}

Unknown View Type Is Rejected
    [Documentation]    A viewType outside the four known ones is refused with 400 naming ``viewType``.
    [Template]    Configure Field Should Be Rejected
    viewType    Multichannel
    viewType    Spectrogram
    viewType    ${EMPTY}
    viewType    ${None}
    viewType    ${{["ROI"]}}
