*** Settings ***
Documentation       Every test destructive: on production nothing of this suite may run.

Resource            ../../../resources/common.resource
Library             OperatingSystem
Library             GuardProbe.py

Suite Setup         Touch    ${MARKS}/all-suite-setup
Suite Teardown      Touch    ${MARKS}/all-suite-teardown
Test Setup          Touch    ${MARKS}/all-test-setup
Test Teardown       Touch    ${MARKS}/all-test-teardown

Test Tags           destructive


*** Test Cases ***
Destructive Test With Setup Body And Teardown
    [Documentation]    Would act on the system in every phase.
    Wreck Something    ${MARKS}/all-body

Another Destructive Test
    [Documentation]    Tagged by its own [Tags] too, with another case and spaces.
    [Tags]    DESTRUCTIVE
    Touch    ${MARKS}/all-body-2
