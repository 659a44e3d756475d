*** Settings ***
Documentation    The Focus stack suite. Runs against the local twin unless ``-v ENV:<name>``
...              says otherwise; the twin starts on demand, once per run, and stops after it.

Resource         ../resources/common.resource

Suite Setup      Prepare Test Environment
