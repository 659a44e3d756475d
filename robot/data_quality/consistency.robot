*** Settings ***
Documentation     Consistency of the Focus database: stored values agree with the contract's rules.
...
...               Not here yet: task status against the existence of its Kubernetes Job (needs
...               the Kubernetes library).

Resource          ../../resources/mongodb.resource

Suite Setup       Connect To Focus Database
Suite Teardown    Disconnect From Focus Database

Test Tags         mongodb    data_quality    regression


*** Test Cases ***
Every Alert Has A Valid Class And Severity
    [Documentation]    Every stored alert has classId 103 (SC) or 104 (SD) and a severity of 1-3.
    Every Alert Should Have A Valid Class And Severity

Recording Classifications Follow The Rule
    [Documentation]    deleted / in_progress / complete (end after start, file present) / invalid.
    Recording Classifications Should Follow The Rule

At Most One Recording Is In Progress
    [Documentation]    The recorder writes one file at a time: at most one live recording is in progress.
    Count Documents    recordings    {"classification": "in_progress", "deleted": false}    <=    1
