*** Settings ***
Documentation       Used by tests/test_robot_environment.py: logs every Secret on purpose.

Resource            ../../../resources/common.resource


*** Test Cases ***
Secrets Are Logged On Purpose
    Log    ${FOCUS_PASSWORD} ${MONGO_PASSWORD} ${RABBITMQ_PASSWORD}    level=WARN
    Log To Console    ${FOCUS_PASSWORD}
    Log Variables
    ${secrets}    Get Secret Values
    Log Many    @{secrets}

Destructive Test
    [Tags]    destructive
    Log    ran
