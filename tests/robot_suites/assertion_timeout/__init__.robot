*** Settings ***
Documentation     Set Assertion Timeout: a Suite setting lasts for its suite and the child suites,
...               a Test setting for its test, a Global one for the rest of the run.
Library           libraries.assertions.Assertions
Suite Setup       Set Assertion Timeout    7s
