*** Settings ***
Documentation    Recipe 7 of docs/TESTERS.md: the configure form's rules in the browser, one row per
...              rule: the error next to the field, submit disabled. Add a rule by adding a row.

Resource         ../../resources/ui.resource

Test Setup       Open Live View As Tester
Test Teardown    Close Live View
Test Template    Configure Form Should Reject

Test Tags        ui    regression    recipe


*** Test Cases ***    FIELD    ERROR TEXT    FORM FIELDS
NFFT Must Be A Power Of Two
    [Documentation]    nfft 1000 is flagged next to NFFT.
    nfft    power of two    nfft=1000
Overlap Must Be Below NFFT
    [Documentation]    An overlap equal to nfft is flagged next to the overlap.
    overlap    less than nfft    overlap=1024
SingleChannel Needs One Channel
    [Documentation]    SingleChannel with channels 50-60 is flagged (bug PZ-13669 accepted it).
    channels.max    SingleChannel needs    viewType=SingleChannel    channels.min=50    channels.max=60
