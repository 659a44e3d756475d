*** Settings ***
Documentation     The LiveViewPage keywords (libraries/ui) against a static page, for
...               tests/test_ui_page_library.py: no twin, Debian's chromium. Each check passes on
...               the page as it is and fails, with its message, where the page says otherwise.

Library           Browser    timeout=2s    run_on_failure=Take Screenshot \ EMBED
Library           libraries.ui.LiveViewPage
Library           Collections

Suite Setup       Open The Page
Suite Teardown    Close Browser    ALL

Test Tags         regression    ui


*** Variables ***
${CHROMIUM}    %{CHROMIUM_PATH=/usr/bin/chromium}


*** Test Cases ***
Waits In The Page See What The Page Shows
    [Documentation]    The page turns to the view ``task`` after 300 ms: the waits see it; a view it
    ...    never shows makes them return false after their timeout, not fail.
    ${shown} =    Wait In Page For View    task    timeout=5s
    Should Be True    ${shown}
    ${ready} =    Wait In Page For Ready View    login    task
    Should Be True    ${ready}
    ${left} =    Wait In Page For View Other Than    login    loading
    Should Be True    ${left}
    ${never} =    Wait In Page For View    alerts    timeout=300ms
    Should Not Be True    ${never}
    ${visible} =    Wait In Page For Visible Element    css=[data-testid="later"]
    Should Be True    ${visible}
    ${counted} =    Wait In Page For Element Count    css=[data-testid="row"]    2
    Should Be True    ${counted}
    ${drawn} =    Wait In Page For Element Number    css=[data-testid="striped"]    rowsDrawn    10
    Should Be True    ${drawn}

Counter Grows
    [Documentation]    The page's counter grows every 100 ms: it grows by 2; a counter the page does
    ...    not have fails naming it.
    ${now} =    Wait For Page Counter To Grow    refreshes    by=2
    Should Be True    ${now} >= 2
    Run Keyword And Expect Error    The page has no counter data-missing
    ...    Wait For Page Counter To Grow    missing

Canvas Checks
    [Documentation]    The striped canvas has two colours and a bright column 7; the flat one fails.
    ${colours} =    Canvas Should Not Be One Colour    css=[data-testid="striped"]
    Should Be Equal As Integers    ${colours}    2
    Run Keyword And Expect Error    The canvas * is one flat colour
    ...    Canvas Should Not Be One Colour    css=[data-testid="flat"]
    Canvas Column Should Stand Out    css=[data-testid="striped"]    17    first=10
    Run Keyword And Expect Error    Column 16 of * is not brighter than 1.5 x the median column*
    ...    Canvas Column Should Stand Out    css=[data-testid="striped"]    16    first=10
    Run Keyword And Expect Error    *has columns 10..29, no column 30
    ...    Canvas Column Should Stand Out    css=[data-testid="striped"]    30    first=10
    Element Number Should Be At Least    css=[data-testid="striped"]    rowsDrawn    10
    Run Keyword And Expect Error    *has data-rowsDrawn 10, expected at least 11
    ...    Element Number Should Be At Least    css=[data-testid="striped"]    rowsDrawn    11

Reads Of The Page
    [Documentation]    Attributes of every row, inputs without a label, a number against a row count.
    ${ids} =    Get Attribute Of Each    css=[data-testid="row"]    data-row-id
    Should Be Equal    ${ids}    ${{["a", "b"]}}
    ${unlabelled} =    Get Inputs Without Label    css=[data-testid="form"]
    Should Be Equal    ${unlabelled}    ${{["field-unlabelled"]}}
    ${active} =    Element Number Should Equal Row Count    css=[data-testid="capacity"]    active
    ...    css=[data-testid="row"]    minimum=1
    Should Be Equal As Integers    ${active}    2
    Run Keyword And Expect Error    *shows 2, expected at least 3
    ...    Element Number Should Equal Row Count    css=[data-testid="capacity"]    active
    ...    css=[data-testid="row"]    minimum=3

Rows Are Timed By The Page
    [Documentation]    A row added after Record When Rows Appear is stamped by the page's clock.
    ${sent} =    Get Time    epoch
    Record When Rows Appear    css=[data-testid="rows"]    data-row-id
    Evaluate JavaScript    css=[data-testid="rows"]
    ...    (list) => { const row = document.createElement('li'); row.dataset.rowId = 'c'; list.append(row); }
    ${after} =    Row Should Have Appeared Within    c    ${sent}    10s
    Should Be True    ${after} >= 0
    ${arrivals} =    Get Row Arrival Times
    Dictionary Should Contain Key    ${arrivals}    c
    Run Keyword And Expect Error    The page did not record when row z appeared*
    ...    Row Should Have Appeared Within    z    ${sent}    10s

Marker Survives Everything But A Reload
    [Documentation]    Mark Page, then a reload wipes the marker.
    Mark Page
    Page Should Not Have Reloaded
    Reload
    Run Keyword And Expect Error    The page reloaded*    Page Should Not Have Reloaded

Failed Check Embeds A Screenshot
    [Documentation]    Fails on purpose: the library's failure takes Browser's screenshot.
    Canvas Should Not Be One Colour    css=[data-testid="flat"]


*** Keywords ***
Open The Page
    [Documentation]    Debian's chromium on the static page.
    New Browser    chromium    headless=${True}    executablePath=${CHROMIUM}
    New Context
    New Page    file://${CURDIR}/page.html
