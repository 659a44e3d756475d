*** Settings ***
Documentation    Response times under light load (Locust, 5 users for 10 s per scenario): every
...              endpoint's p95 under 500 ms, ``/health`` under 200 ms, no failure; 100
...              concurrent requests all answered. Figures and the trend PNG are in log.html.

Resource         ../../resources/fixtures/load.resource

Test Tags        performance    api    regression    disruptive


*** Test Cases ***
Health Answers Within 200 ms Under Light Load
    [Documentation]    ``GET /health`` p95 stays under 200 ms with 5 users hammering it.
    Scenario Should Answer Within    health    200 ms

Every Endpoint Answers Within 500 ms Under Light Load
    [Documentation]    Token, channels, configure, metadata, ack, waterfall and stop: p95 under
    ...    500 ms each, with 5 users per scenario. Light load for tasks: each user starts one
    ...    configure, metadata and stop every 2.5 s, 2 tasks a second between them (the
    ...    nightly's standard load runs them back to back, about 8 a second).
    [Template]    Scenario Should Answer Within
    channels    500 ms
    tasks    500 ms    pace=2.5 s
    waterfall    500 ms

One Hundred Concurrent Requests Are All Answered
    [Documentation]    100 users at once (the seeds' "100+ concurrent requests"): no failure, no
    ...    request slower than 10 s.
    Concurrent Requests Should All Be Answered    100
