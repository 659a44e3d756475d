*** Settings ***
Resource            ../../../resources/common.resource

Suite Setup         Prepare Test Environment
