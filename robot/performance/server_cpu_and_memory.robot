*** Settings ***
Documentation    The Focus Server's CPU and RSS sampled while it serves load (psutil on the
...              twin's pod process tree), logged and bounded.

Resource         ../../resources/fixtures/load.resource

Test Tags        performance    api    regression    disruptive


*** Test Cases ***
Focus Server Memory Stays Bounded Under Load
    [Documentation]    15 s of the task cycle: RSS grows under 10 % and stays under 1 GiB.
    Focus Server Resources Should Stay Bounded Under Load    tasks    duration=15s
