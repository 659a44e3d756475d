*** Settings ***
Documentation     Integrity of the Focus database: files behind the recordings, unique ids,
...               no overlapping recordings and no timestamps in the future.

Resource          ../../resources/fixtures/data_quality.resource

Suite Setup       Data Quality Suite Setup
Suite Teardown    Data Quality Suite Teardown

Test Tags         mongodb    data_quality    regression    own-data


*** Test Cases ***
Every Complete Recording Has A Readable SEG-Y File With All Channels
    [Documentation]    Each complete recording's file exists under ${SEGY_ROOT}, opens with
    ...    segyio and has channel_count traces.
    Every Complete Recording Should Have Its SEG-Y File

Every SEG-Y File Has Exactly One Recording
    [Documentation]    The recorder stores one ``recordings`` document per file: each SEG-Y file under
    ...    ${SEGY_ROOT} is the ``file_path`` of exactly one recording: not of none, not of two.
    Every SEG-Y File Should Be One Recording

Recordings Do Not Overlap
    [Documentation]    No two live recordings (complete or in progress) share any time.
    Recordings Should Not Overlap

Recording Uuids Are Unique
    [Documentation]    No two recordings share a uuid.
    Values Should Be Unique    recordings    uuid

Task And Alert Ids Are Unique
    [Documentation]    No two tasks share a task_id and no two alerts an alertId.
    Values Should Be Unique    tasks    task_id
    Values Should Be Unique    alerts    alertId

No Timestamp Is In The Future
    [Documentation]    No date field of recordings, tasks or alerts is later than now (bug PZ-13984).
    [Tags]    PZ-13984
    No Stored Timestamp Should Be In The Future
