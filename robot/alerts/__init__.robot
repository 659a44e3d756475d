*** Settings ***
Documentation     Alerts over RabbitMQ (contract section 3): valid alerts stored once and listed,
...               invalid ones rejected with their reason, edges and bursts. Every suite connects
...               to the broker, the Focus API and the database once (this file's setup); each test
...               publishes under a site id of its own and deletes its alerts afterwards.

Resource          ../../resources/fixtures/alerts.resource

Suite Setup       Alerts Suite Setup
Suite Teardown    Alerts Suite Teardown
Test Setup        Alerts Test Setup
Test Teardown     Alerts Test Teardown
Test Timeout      15 minutes
