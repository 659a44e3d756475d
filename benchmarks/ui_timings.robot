*** Settings ***
Documentation     Timings of the liveView UI for benchmarks/ui.py (not part of the suite): from a new
...               page to an interactive configure form, and from a publish to RabbitMQ to the row
...               in the alerts panel. Writes the samples as JSON to ``${RESULT_FILE}``.

Resource          ../resources/fixtures/ui_alerts.resource

Suite Setup       UI Alerts Suite Setup
Suite Teardown    UI Alerts Suite Teardown
Test Setup        UI Alerts Test Setup
Test Teardown     UI Alerts Test Teardown

Test Tags         benchmark


*** Variables ***
${RESULT_FILE}    ${OUTPUT_DIR}/ui_timings.json
${PAGES}          15
${ALERTS}         30


*** Test Cases ***
Measure New Page To Interactive Configure Form
    [Documentation]    ``${PAGES}`` new pages of a logged-in context: the page's own
    ...    ``performance.now()`` when the form became usable (session checked, rules applied).
    Open Live View As Tester
    ${samples} =    Create List
    FOR    ${_}    IN RANGE    ${PAGES}
        New Page    ${FOCUS_UI_URL}#/configure
        Get Attribute    ${APP}    data-ready    ==    configure
        Get Element States    ${CONFIGURE_SUBMIT}    contains    enabled
        ${ready} =    Get Attribute    ${APP}    data-first-ready-ms
        Append To List    ${samples}    ${{float($ready)}}
        Close Page
    END
    Save Samples    page_to_interactive_ms    ${samples}

Measure Publish To Visible In The Alerts Panel
    [Documentation]    ``${ALERTS}`` alerts published one at a time (unaligned with the panel's
    ...    poll); the page records when each row is added.
    Open Alerts Panel
    Record When Alert Rows Appear
    ${published} =    Publish Alerts One By One
    ${seen} =    Get Row Arrival Times
    ${samples} =    Evaluate
    ...    (lambda seen, sent: [seen[i] - sent[i] * 1000 for i in sent])($seen, $published)
    Save Samples    publish_to_visible_ms    ${samples}


*** Keywords ***
Publish Alerts One By One
    [Documentation]    Publishes ``${ALERTS}`` alerts, each once the previous one is listed; returns
    ...    the publish time (seconds since the epoch) by alert id.
    ${published} =    Create Dictionary
    FOR    ${index}    IN RANGE    ${ALERTS}
        ${alert}    ${sent} =    Publish Alert Timed
        Set To Dictionary    ${published}    ${alert}[alertId]=${sent}
        Alerts Panel Should List Alert    ${alert}
        Sleep    ${{0.05 + 0.037 * (${index} % 7)}}s    Unaligned with the 500 ms poll
    END
    RETURN    ${published}

Save Samples
    [Documentation]    Adds ``${samples}`` under ``${name}`` to ``${RESULT_FILE}``.
    [Arguments]    ${name}    ${samples}
    ${data} =    Evaluate    (lambda p: json.loads(p.read_text()) if p.exists() else {})(pathlib.Path($RESULT_FILE))
    ...    modules=json,pathlib
    Set To Dictionary    ${data}    ${name}=${samples}
    Evaluate    pathlib.Path($RESULT_FILE).write_text(json.dumps($data))    modules=json,pathlib
