*** Settings ***
Library           libraries.assertions.Assertions
Library           ScopeProbe.py


*** Test Cases ***
A Parent Suite Setting Reaches The Child Suite
    Timeout Should Be    7 seconds

A Test Setting Lasts For Its Test
    ${previous} =    Set Assertion Timeout    2s    scope=Test
    Should Be Equal    ${previous.total_seconds()}    ${7.0}
    Timeout Should Be    2 seconds
    Getter Should Poll For    2

The Test Setting Is Gone In The Next Test
    Timeout Should Be    7 seconds

A Suite Setting Lasts Until Its Suite Ends
    Set Assertion Timeout    3s
    Timeout Should Be    3 seconds

The Suite Setting Holds In The Next Test
    Timeout Should Be    3 seconds
