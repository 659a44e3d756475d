*** Settings ***
Documentation    ``overlap`` (samples) is optional, default nfft/2, and 0 <= overlap < nfft (the
...              NFFT/overlap edge cases). Else 400 naming ``overlap``.

Resource         ../../resources/fixtures/focus_api.resource

Test Tags        api    regression    PZ-13876    own-data


*** Test Cases ***
Overlap Inside The Window Is Accepted
    [Documentation]    Overlap from 0 to nfft-1 is accepted.
    [Template]    Configuration Should Be Accepted
    MultiChannel    nfft=1024    overlap=0
    MultiChannel    nfft=1024    overlap=1023
    MultiChannel    nfft=128    overlap=127
    SingleChannel    nfft=65536    overlap=65535
    Waterfall    nfft=4096    overlap=1

Omitted Overlap Defaults To Half The NFFT
    [Documentation]    Without ``overlap`` the task's metadata has overlap = nfft/2.
    [Template]    Configuration Should Be Accepted
    MultiChannel    nfft=128
    SingleChannel    nfft=65536
    ROI    nfft=4096

Overlap Outside The Window Is Rejected
    [Documentation]    Overlap below 0 or at least nfft is refused with 400 naming ``overlap``.
    [Template]    Configuration Should Be Rejected
    MultiChannel    overlap    nfft=1024    overlap=1024
    MultiChannel    overlap    nfft=1024    overlap=2048
    MultiChannel    overlap    nfft=128    overlap=-1
    SingleChannel    overlap    nfft=65536    overlap=65536
    ROI    overlap    nfft=4096    overlap=4097

Overlap Of The Wrong Type Is Rejected
    [Documentation]    An overlap that is a string, a float or a bool is refused with 400 naming ``overlap``.
    [Template]    Configure Field Should Be Rejected
    overlap    ${{"512"}}
    overlap    ${511.5}
    overlap    ${False}
