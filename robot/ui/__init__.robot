*** Settings ***
Documentation     liveView, the web UI of contract section 5, in Debian's chromium through the
...               Browser library: login and session, the configure form and its rules, the task
...               and tasks views, the alerts panel, CSRF, and visual regression. Every suite
...               connects to the Focus API and opens this process's browser once (this file's
...               setup); each test gets new contexts, closed with the tasks it created.

Resource          ../../resources/fixtures/ui.resource

Suite Setup       UI Suite Setup
Suite Teardown    UI Suite Teardown
Test Setup        UI Test Setup
Test Teardown     UI Test Teardown
Test Timeout      5 minutes
