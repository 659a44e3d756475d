*** Settings ***
Documentation     Extreme configurations are either accepted (and then stream finite values) or
...               refused with a clear 4xx; the server stays healthy either way.

Resource          ../../resources/fixtures/load.resource

Suite Setup       Focus Suite Setup
Suite Teardown    Focus Suite Teardown
Test Setup        Load Test Setup
Test Teardown     Focus Test Teardown
Test Timeout      ${CAPACITY_TEST_TIMEOUT}

Test Tags         stress    api    regression    disruptive


*** Test Cases ***
Single Channel At The Largest NFFT
    [Documentation]    SingleChannel with nfft 65536.
    Extreme Configuration Should Be Handled    SingleChannel    nfft=${65536}    overlap=${0}

Every Channel At NFFT 4096 Over The Full Band
    [Documentation]    MultiChannel over channels 1-2222 at nfft 4096, 0-1000 Hz.
    Extreme Configuration Should Be Handled    MultiChannel    nfft=${4096}    channel_min=${1}
    ...    channel_max=${2222}    frequency_min=${0}    frequency_max=${1000}

Every View At Its Maximum
    [Documentation]    Each view at its largest NFFT, widest channels and full band.
    [Template]    Extreme Configuration Should Be Handled
    Waterfall    nfft=${4096}    channel_min=${1}    channel_max=${2222}    frequency_min=${0}    frequency_max=${1000}
    ROI    nfft=${4096}    channel_min=${1}    channel_max=${2222}    frequency_min=${0}    frequency_max=${1000}
    MultiChannel    nfft=${4096}    overlap=${4095}    channel_min=${1}    channel_max=${2222}
