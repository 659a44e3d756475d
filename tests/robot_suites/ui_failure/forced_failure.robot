*** Settings ***
Documentation     Fails on purpose, for tests/test_ui_failure_evidence.py: a failing Browser keyword
...               of a suite that uses ``resources/ui.resource`` must leave its screenshot embedded
...               in output.xml (Xray's evidence). No twin: the page is a ``data:`` URL.

Resource          ../../../resources/ui.resource

Test Teardown     Close Context    ALL


*** Test Cases ***
Failing UI Assertion Embeds A Screenshot
    [Documentation]    The title is not what the test expects: Get Text fails after its retries.
    [Tags]    regression    ui
    Open UI Browser
    New Context
    New Page    data:text/html,<h1 data-testid="title">liveView</h1>
    Get Text    css=[data-testid="title"]    ==    Something else

Passing UI Test Embeds Nothing
    [Documentation]    A passing test leaves no screenshot (log size).
    [Tags]    regression    ui
    Open UI Browser
    New Context
    New Page    data:text/html,<h1 data-testid="title">liveView</h1>
    Get Text    css=[data-testid="title"]    ==    liveView
