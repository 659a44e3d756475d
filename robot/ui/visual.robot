*** Settings ***
Documentation     Visual regression: the login page, the configure form with an error, the task
...               view and an alert row look as in the baselines of ``robot/ui/baselines/``, with
...               the dynamic regions (ids, times, ports, the canvas) masked. ``make ui-baselines``
...               refreshes the baselines.

Resource          ../../resources/fixtures/ui_visual.resource

Suite Setup       UI Visual Suite Setup
Suite Teardown    UI Alerts Suite Teardown
Test Setup        UI Alerts Test Setup
Test Teardown     UI Alerts Test Teardown

Test Tags         ui    visual    regression    own-data


*** Variables ***
${VISUAL_SITE_ID}    prisma-210-1000.visual-baseline


*** Test Cases ***
Login Page Looks As In The Baseline
    [Documentation]    The login page, before anything is typed.
    Open Live View
    Page Should Match Baseline    login

Configure Form With An Error Looks As In The Baseline
    [Documentation]    The configure form with nfft 1000: the error next to NFFT, submit disabled.
    Open Live View As Tester
    Fill Configure Form    nfft=1000
    Configure Form Should Show Error    nfft    power of two
    Page Should Match Baseline    configure-error    css=[data-testid="user-box"]

Running Task View Looks As In The Baseline
    [Documentation]    A running task: status, metadata and the stop button; the id, creation time,
    ...    stream address, canvas and its caption are masked.
    Open Live View As Tester
    Submit Configure Form
    Task View Should Show Status    running
    Waterfall Canvas Should Be Drawn
    Page Should Match Baseline    task-view    ${TASK_ID_LABEL}    ${WATERFALL}
    ...    css=[data-testid="waterfall-caption"]    css=[data-testid="meta-created_at"]
    ...    css=[data-testid="meta-stream"]    css=[data-testid="user-box"]

High SC Alert Row Looks As In The Baseline
    [Documentation]    The row of a high SC alert: its red severity badge, class, distance, site id
    ...    and acknowledge button; only its time is masked. The alert has a fixed site id and the
    ...    panel is filtered to alerts from its time on, so the row shows the same text in the
    ...    same place whatever other tests publish.
    Use The Visual Site
    ${alert} =    Publish Alert    classId=103    severity=3    dofM=4120
    Open Alerts Panel
    Filter Alerts    class=103    severity=3    since=${alert}[alertTime]
    Alerts Panel Should List Alert    ${alert}
    ${row} =    Alert Row    ${alert}
    Page Should Match Baseline    alert-row-sc-high    ${row} >> css=[data-testid="alert-time"]
    ...    element=${row}


*** Keywords ***
Use The Visual Site
    [Documentation]    The test publishes under the fixed site id the baseline shows (the teardown
    ...    deletes its alerts, also those a failed run left).
    VAR    ${SITE_ID} =    ${VISUAL_SITE_ID}    scope=TEST    # robocop: off=VAR06
    VAR    ${TEST_SITE_ID} =    ${VISUAL_SITE_ID}    scope=TEST    # robocop: off=VAR06
