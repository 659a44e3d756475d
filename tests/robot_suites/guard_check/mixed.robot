*** Settings ***
Documentation       Destructive and ordinary tests together.

Resource            ../../../resources/common.resource
Library             OperatingSystem
Library             GuardProbe.py

Suite Setup         Touch    ${MARKS}/mixed-suite-setup
Suite Teardown      Touch    ${MARKS}/mixed-suite-teardown


*** Test Cases ***
Ordinary Test
    [Documentation]    Runs everywhere.
    Touch    ${MARKS}/mixed-ordinary

Ordinary Test Calling A Destructive Keyword
    [Documentation]    Not tagged destructive: the keyword itself refuses on production.
    Wreck Something    ${MARKS}/mixed-untagged-wreck

Destructive Test With Its Own Teardown
    [Documentation]    Its teardown must not run where the test is refused.
    [Tags]    destructive
    [Setup]    Touch    ${MARKS}/mixed-destructive-setup
    Wreck Something    ${MARKS}/mixed-destructive-body
    [Teardown]    Wreck Something    ${MARKS}/mixed-destructive-teardown
