*** Settings ***
Documentation    Performance regression: the standard runs (``make baseline`` records them in
...              ``variables/baselines/<env>.json``) stay within 20 % of the baseline p95 per
...              endpoint (at least 100 ms of slack). Skipped where no baseline is recorded.
...              Tagged ``nightly``: a timing comparison needs a machine as quiet as the one that
...              recorded the baseline, which ``make test`` on shared cores is not.

Resource         ../../resources/fixtures/load.resource

Test Tags        performance    api    nightly    disruptive


*** Test Cases ***
Standard Runs Do Not Regress
    [Documentation]    Health, channels and the task cycle (configure, metadata, stop) against the baseline.
    [Template]    Standard Load Should Not Regress
    health
    channels
    tasks
