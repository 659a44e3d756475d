*** Settings ***
Documentation     Which site ids the alert teardowns delete by. This file's own
...               `Delete Test Documents` takes precedence over the MongoDB library's and
...               only records its filter in ${DELETES}: no system is needed.

Library           OperatingSystem
Resource          ../../../resources/fixtures/alerts.resource


*** Variables ***
${SITE_ID}        real-site-of-the-environment
${DELETES}        ${OUTPUT_DIR}/deletes.txt


*** Test Cases ***
Setup Fails Before The Test Gets A Site
    [Documentation]    The teardown must not fall back to the environment's site id.
    [Setup]    Fail    Lock timed out
    No Operation
    [Teardown]    Alerts Test Teardown

Test With A Site Of Its Own
    [Documentation]    The teardown deletes by the test's own site id.
    [Setup]    Use A Test Site
    No Operation
    [Teardown]    Alerts Test Teardown


*** Keywords ***
Delete Test Documents
    [Documentation]    Records the site id it was asked to delete by.
    [Arguments]    ${collection}    ${filter}
    Append To File    ${DELETES}    ${collection} ${filter}[siteId]\n
