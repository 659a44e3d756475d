*** Settings ***
Documentation    The Focus stack suite. Runs against the local twin unless ``-v ENV:<name>``
...              says otherwise; the twin starts on demand, once per run, and stops after it.
...              Before any test, every service of the environment is checked at once; when one
...              is not ready the run stops with one table saying what failed and how to fix it.

Resource         ../resources/common.resource

Suite Setup      Prepare And Check Test Environment
