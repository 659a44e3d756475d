*** Settings ***
Documentation     Recipe 2 of docs/TESTERS.md: a Historic task over the last 30 s of recorded data,
...               played back until it completes.

Resource          ../../resources/fixtures/focus_api.resource

Suite Setup       Focus Suite Setup
Suite Teardown    Focus Suite Teardown
Test Setup        Focus Test Setup
Test Teardown     Focus Test Teardown

Test Tags         api    regression    recipe    own-data


*** Test Cases ***
Historic Task Over The Last 30 Seconds Completes
    [Documentation]    ``Get Last Recorded Range`` gives the last 30 s of recorded data (it fails when
    ...    less was recorded); the Historic task over it has the range in its metadata and completes.
    ${start}    ${end} =    Get Last Recorded Range    30 s
    ${task} =    Configure Historic Task    start=${start}    end=${end}
    ${metadata} =    Metadata Should Have Every Field    ${task}
    Should Be Equal    ${metadata}[timeStatus]    Historic
    Get Task Status    ${task}    ==    completed    timeout=2 min
