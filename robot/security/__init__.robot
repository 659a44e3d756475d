*** Settings ***
Documentation     The security rules of contract section 2: authentication, malformed and hostile
...               input, rate limits, HTTPS and TLS versions, security headers, no leaks in error
...               bodies. Every suite connects to the Focus API once (this file's setup).

Resource          ../../resources/fixtures/focus_api.resource

Suite Setup       Focus Suite Setup
Suite Teardown    Focus Suite Teardown
