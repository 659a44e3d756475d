*** Settings ***
Documentation    NFFT is a power of two: 128-65536 for SingleChannel, 128-4096 for the other
...              views. Every power of two inside each range is accepted (and stopped at once),
...              the values just outside and non-powers of two are rejected with 400 ``nfft``.

Resource         ../../resources/fixtures/focus_api.resource

Test Tags        api    regression    PZ-13874    own-data


*** Test Cases ***
MultiChannel Accepts Every Power Of Two From 128 To 4096
    [Documentation]    MultiChannel accepts each power of two from 128 to 4096.
    [Template]    NFFT Should Be Accepted
    MultiChannel    128
    MultiChannel    256
    MultiChannel    512
    MultiChannel    1024
    MultiChannel    2048
    MultiChannel    4096

Waterfall Accepts Every Power Of Two From 128 To 4096
    [Documentation]    Waterfall accepts each power of two from 128 to 4096.
    [Template]    NFFT Should Be Accepted
    Waterfall    128
    Waterfall    256
    Waterfall    512
    Waterfall    1024
    Waterfall    2048
    Waterfall    4096

ROI Accepts Every Power Of Two From 128 To 4096
    [Documentation]    ROI accepts each power of two from 128 to 4096.
    [Template]    NFFT Should Be Accepted
    ROI    128
    ROI    256
    ROI    512
    ROI    1024
    ROI    2048
    ROI    4096

SingleChannel Accepts Every Power Of Two From 128 To 65536
    [Documentation]    SingleChannel accepts each power of two from 128 to 65536.
    [Template]    NFFT Should Be Accepted
    SingleChannel    128
    SingleChannel    256
    SingleChannel    512
    SingleChannel    1024
    SingleChannel    2048
    SingleChannel    4096
    SingleChannel    8192
    SingleChannel    16384
    SingleChannel    32768
    SingleChannel    65536

NFFT Just Outside The Range Is Rejected
    [Documentation]    The powers of two just below and above each view's range are refused with 400 naming
    ...    ``nfft``.
    [Tags]    PZ-13875
    [Template]    NFFT Should Be Rejected
    MultiChannel    64
    MultiChannel    8192
    Waterfall    64
    Waterfall    8192
    ROI    64
    ROI    8192
    SingleChannel    64
    SingleChannel    131072

NFFT That Is Not A Power Of Two Is Rejected
    [Documentation]    An NFFT that is not a power of two (or not positive) is refused with 400 naming
    ...    ``nfft``.
    [Template]    NFFT Should Be Rejected
    MultiChannel    1000
    MultiChannel    1023
    MultiChannel    1025
    Waterfall    3000
    ROI    129
    SingleChannel    65535
    SingleChannel    100
    MultiChannel    0
    MultiChannel    -1024

NFFT Of The Wrong Type Is Rejected
    [Documentation]    An NFFT that is a string, a float, a bool or null is refused with 400 naming ``nfft``.
    [Template]    Configure Field Should Be Rejected
    nfft    ${{"1024"}}
    nfft    ${1024.5}
    nfft    ${True}
    nfft    ${None}
