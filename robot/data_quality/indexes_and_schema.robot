*** Settings ***
Documentation     Indexes and validators of the Focus database against the spec (bug PZ-13983).
...
...               The spec is ``variables/mongodb_spec.yaml`` (contract section 4). Dropping any
...               index of the spec turns `Every Spec Index Exists` red and names the index.

Resource          ../../resources/mongodb.resource

Suite Setup       Connect To Focus Database
Suite Teardown    Disconnect From Focus Database
Test Teardown     Delete Documents Created By Tests

Test Tags         mongodb    data_quality    regression


*** Test Cases ***
MongoDB Is Reachable With Auth And Indexes Are Present
    [Documentation]    The smoke check: an authenticated connection works and every spec index exists.
    [Tags]    smoke    -regression    PZ-13983
    Wait Until MongoDB Is Reachable    timeout=10s
    Focus Database Should Have Every Spec Index

Every Spec Index Exists
    [Documentation]    One row per collection of the spec; the failure names the missing index.
    [Tags]    PZ-13983
    [Template]    Focus Database Should Have Every Spec Index
    recordings
    tasks
    alerts

Recording Uuid Index Is Unique
    [Documentation]    Two recordings can never share a uuid: the uuid index is unique.
    [Tags]    PZ-13983
    Index Should Exist    recordings    uuid    unique=True

Recording Time Range Index Exists
    [Documentation]    Historic playback looks recordings up by time range: the compound index exists.
    [Tags]    PZ-13983
    Index Should Exist    recordings    start_time, end_time

Validators Require And Type The Spec Fields
    [Documentation]    Each collection's $jsonSchema validator requires and types the fields of the spec.
    Focus Database Validators Should Match Spec

Recording Without Required Fields Is Rejected
    [Documentation]    The recordings validator refuses a document without start_time, file_path and deleted.
    ...    ``shared``: on a system with the bug, the bogus recording is in the live collection (a
    ...    recording has no site id of its own) until the teardown deletes it.
    [Tags]    shared
    Recording Without Required Fields Should Be Rejected

Alert With Out Of Range Severity Is Rejected
    [Documentation]    The alerts validator refuses a severity outside 1-3. The alert carries a test
    ...    site id and, if wrongly stored, the teardown deletes it by its id; the insert itself
    ...    goes to the live collection: ``shared``.
    [Tags]    shared
    Alert With Out Of Range Severity Should Be Rejected

Rejected Inserts Leave The Recording History Unchanged
    [Documentation]    An insert the validator refuses stores nothing: a recording that breaks the
    ...    schema, dated inside the history settled a minute ago, leaves that history's checksum
    ...    as it was (had it been stored, the checksum would cover it). ``shared`` as above.
    [Tags]    shared
    ${until} =    Evaluate    datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=1)
    ${before} =    Get Recording History Checksum    ${until}
    Settled Recording Breaking The Schema Should Be Rejected    ${until}
    ${after} =    Get Recording History Checksum    ${until}
    Should Be Equal    ${before}    ${after}    The settled recording history changed
