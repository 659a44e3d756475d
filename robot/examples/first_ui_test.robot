*** Settings ***
Documentation    Recipe 6 of docs/TESTERS.md: a first UI test needs only ui.resource. It opens
...              liveView, logs in, fills and submits the form, and its teardown stops the task.

Resource         ../../resources/ui.resource

Test Tags        ui    regression    recipe    own-data


*** Test Cases ***
A Task Submitted From The Form Runs
    [Documentation]    The form submitted with NFFT 2048 on channels 20-60 opens the task view, which
    ...    shows the task running with that NFFT; the teardown stops the task and closes the page.
    Open Live View As Tester
    Fill Configure Form    nfft=2048    channels.min=20    channels.max=60
    Submit Configure Form
    Task View Should Show Status    running
    Task View Should Show Metadata    nfft    2048
    Task View Should Show Metadata    channel_count    41
    [Teardown]    Close Live View
