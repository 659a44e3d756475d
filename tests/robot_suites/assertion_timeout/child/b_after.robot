*** Settings ***
Library           libraries.assertions.Assertions
Library           ScopeProbe.py


*** Test Cases ***
A Sibling Suite Sees The Parent Setting Again
    Timeout Should Be    7 seconds

A Global Setting Is Overridden By A Suite Setting In Force
    Set Assertion Timeout    1s    scope=Global
    Timeout Should Be    7 seconds

A Zero Timeout Reads Once
    Set Assertion Timeout    0    scope=Test
    Getter Should Poll For    0
