*** Settings ***
Documentation    A slowdown is caught in every regression, on a loaded machine too: each
...              endpoint's median is measured against a control request (an unknown path,
...              404) in the same run, and its ratio to the control must stay below 5x the
...              baseline ratio (``variables/baselines/<env>.json``, ``control_ratios``, which
...              ``make baseline`` records). A busy machine slows endpoint and control alike;
...              an endpoint 200 ms slower stands out. The finer +20 % p95 comparison is
...              ``regression.robot`` (nightly, quiet machine).

Resource         ../../resources/fixtures/load.resource

# The suite setup, the test teardown and the timeout are robot/performance/__init__.robot's;
# this suite shares the capacity (the folder's other suites hold it alone).
Test Setup       Focus Test Setup

Test Tags        performance    api    regression


*** Test Cases ***
No Endpoint Is Five Times Slower Than Its Baseline
    [Documentation]    Health, token, channels, configure, stop, metadata (both paths), ack,
    ...    waterfall, dynamic ROI, alerts and recordings: each one's median against the control's
    ...    stays below 5x its baseline ratio. The figures are in log.html.
    [Tags]    own-data
    ${measured} =    Measure Endpoints Against Control
    Endpoints Should Not Slow Down    ${measured}    limit=5
