*** Settings ***
Documentation     Recipe 5 of docs/TESTERS.md: the recordings of yesterday 10:00-10:05 (UTC) are
...               classified as the rule says and have valid SEG-Y files; a recording classified
...               ``invalid`` is reported (a warning and a row in log.html's table) instead of failing.

Resource          ../../resources/mongodb.resource

Suite Setup       Connect To Focus Database
Suite Teardown    Disconnect From Focus Database

Test Tags         mongodb    data_quality    segy    regression    recipe


*** Test Cases ***
Yesterday's Recordings From 10:00 To 10:05 Are Classified And Have Valid Files
    [Documentation]    Each keyword checks every recording overlapping the range and only those, fails
    ...    on an empty range, and logs a table of what it checked and skipped, and why.
    Recordings Between    yesterday 10:00    yesterday 10:05    Should Be Classified Correctly
    ...    allow_invalid=${True}
    Recordings Between    yesterday 10:00    yesterday 10:05    Should Have Valid SEG-Y Files
    ...    allow_invalid=${True}
