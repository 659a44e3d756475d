*** Settings ***
Documentation     Completeness of the Focus database: a continuous recording history and
...               documents with every field the spec requires.

Resource          ../../resources/fixtures/data_quality.resource

Suite Setup       Data Quality Suite Setup
Suite Teardown    Data Quality Suite Teardown

Test Tags         mongodb    data_quality    regression    own-data


*** Test Cases ***
Recording History Has No Gaps
    [Documentation]    From the first recording until now, no stretch longer than
    ...    ``${RECORDING_GAP_TOLERANCE}`` lacks a recording.
    Recording History Should Be Continuous

Every Task Has Full Metadata
    [Documentation]    Every stored task has the spec's fields, its config's timeStatus, viewType,
    ...    nfft, channels and frequencyRange included.
    Every Task Should Have Full Metadata

Every Recording Has The Spec Fields
    [Documentation]    Every stored recording has the spec's fields and types (documents older
    ...    than the validator included).
    Documents Should Match Spec Schema    recordings    spec=${MONGODB_SPEC}

Every Alert Has The Spec Fields
    [Documentation]    Every stored alert has the spec's fields with the spec's types.
    Documents Should Match Spec Schema    alerts    spec=${MONGODB_SPEC}
