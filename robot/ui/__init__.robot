*** Settings ***
Documentation    liveView, the web UI of contract section 5, in Debian's chromium through the
...              Browser library: login and session, the configure form and its rules, the task
...              and tasks views, the alerts panel, CSRF, and visual regression.

Resource         ../../resources/common.resource

Suite Setup      Prepare Test Environment
