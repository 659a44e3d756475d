*** Settings ***
Documentation    ``frequencyRange``: FrequencyMin (0) <= min < max <= FrequencyMax (1000 Hz, the
...              Nyquist limit prr/2). Anything else: 400 naming ``frequencyRange`` (PZ-13878).

Resource         ../../resources/fixtures/focus_api.resource

Test Tags        api    regression    PZ-13878    own-data


*** Test Cases ***
Frequency Ranges Inside The Band Are Accepted
    [Documentation]    Frequency ranges inside 0..1000 Hz, edges included, are accepted.
    [Template]    Configuration Should Be Accepted
    MultiChannel    frequency_min=0    frequency_max=1000
    MultiChannel    frequency_min=0    frequency_max=1
    MultiChannel    frequency_min=999    frequency_max=1000
    Waterfall    frequency_min=0.5    frequency_max=0.75
    SingleChannel    frequency_min=100    frequency_max=200

Frequency Ranges Outside The Band Are Rejected
    [Documentation]    Frequency ranges below 0 or above 1000 Hz are refused with 400 naming
    ...    ``frequencyRange``.
    [Template]    Configuration Should Be Rejected
    MultiChannel    frequencyRange    frequency_min=-1    frequency_max=500
    MultiChannel    frequencyRange    frequency_min=0    frequency_max=1001
    MultiChannel    frequencyRange    frequency_min=0    frequency_max=1000.5
    MultiChannel    frequencyRange    frequency_min=1000    frequency_max=1000
    ROI    frequencyRange    frequency_min=1001    frequency_max=2000

Empty Or Reversed Frequency Ranges Are Rejected
    [Documentation]    A frequency range with min >= max is refused with 400 naming ``frequencyRange``.
    [Template]    Configuration Should Be Rejected
    MultiChannel    frequencyRange    frequency_min=500    frequency_max=500
    MultiChannel    frequencyRange    frequency_min=600    frequency_max=100
    SingleChannel    frequencyRange    frequency_min=0    frequency_max=0

Malformed Frequency Ranges Are Rejected
    [Documentation]    A frequencyRange that is not ``{min, max}`` of numbers is refused with 400.
    [Template]    Configure Field Should Be Rejected
    frequencyRange    ${{{"min": 0}}}
    frequencyRange    ${{{"min": "0", "max": "500"}}}
    frequencyRange    ${{[0, 500]}}
    frequencyRange    ${None}
