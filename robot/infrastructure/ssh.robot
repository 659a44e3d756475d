*** Settings ***
Documentation     SSH to the worker node through the jump host (contract section 1): key-based
...               login, kubectl on the worker, a tunnel to MongoDB, and the Kubernetes library's
...               fallback to kubectl over SSH when the API cannot be reached from here.

Library           Collections
Library           OperatingSystem
Resource          ../../resources/ssh.resource
Resource          ../../resources/kubernetes.resource
Resource          ../../resources/mongodb.resource

Suite Setup       SSH Suite Setup
Suite Teardown    SSH Suite Teardown
Test Teardown     Close All Connections

Test Tags         ssh    infrastructure    regression


*** Test Cases ***
Worker Node Is Reached Through The Jump Host
    [Documentation]    A key login to the worker node goes through the jump host: the worker's
    ...    session reports the worker's port as the one it was reached on.
    [Tags]    shared
    Connect To Worker Node
    ${connection} =    Run Command On Worker Node    echo $SSH_CONNECTION
    ${_}    ${port} =    Split SSH Address    ${SSH_HOST}
    Should End With    ${connection.strip()}    ${SPACE}${port}
    Jump Host Connection Should Be Open

Hosts Offer Key Login Only
    [Documentation]    The jump host and the worker node (reached through it) offer public-key
    ...    login only: no password, no keyboard-interactive login is offered.
    SSH Hosts Should Offer Key Login Only

Kubectl Over SSH Agrees With The API
    [Documentation]    ``kubectl get pods`` on the worker node lists the same stack pods as the
    ...    Kubernetes API does from here.
    [Tags]    k8s    shared
    Connect To Worker Node
    ${selector} =    Stack Pod Selector
    ${over_ssh} =    Run Kubectl On Worker Node
    ...    get pods -n ${K8S_NAMESPACE} -l '${selector}' -o jsonpath='{.items[*].metadata.name}'
    ${from_api} =    List Pods    ${selector}
    ${names} =    Evaluate    $over_ssh.split()
    Sort List    ${names}
    Should Not Be Empty    ${from_api}    The API lists no stack pod
    Lists Should Be Equal    ${names}    ${from_api}    kubectl over SSH and the API disagree

Tunnel To MongoDB Serves Pymongo
    [Documentation]    A local tunnel through the worker node reaches MongoDB: pymongo logs in
    ...    through it and reads.
    [Tags]    mongodb
    Connect To Worker Node
    ${port} =    Open Tunnel To MongoDB
    Connect To MongoDB    127.0.0.1    ${port}    ${MONGO_USER}    ${MONGO_PASSWORD}
    ...    database=${MONGO_DATABASE}    auth_source=${MONGO_AUTH_SOURCE}    tls=${MONGO_TLS}
    ...    ca_bundle=${CA_BUNDLE}    alias=tunnel
    ${count} =    Count Documents    tasks
    Should Be True    ${count} >= 0
    [Teardown]    Close Tunnel And MongoDB

Wrong Key Is Refused With One Clear Line
    [Documentation]    A key the hosts do not authorize is refused: one line that names the
    ...    user, the host and what to check, no traceback. Off the twin the login is tried as
    ...    a user that does not exist (`Get User For Failed Logins`): failed logins of the real
    ...    account, repeated, can trip fail2ban or a lockout for everyone.
    [Tags]    shared
    ${wrong} =    Create Throwaway SSH Key
    ${user} =    Get User For Failed Logins    ${SSH_USER}
    ${error} =    Run Keyword And Expect Error    SSH login *refused*    Connect To Worker Node
    ...    key=${wrong}    user=${user}
    Should Not Contain    ${error}    \n
    Should Contain    ${error}    check SSH_USER and SSH_KEY

Changed Host Key Is Refused Before Any Command
    [Documentation]    A worker node whose host key is not the one known_hosts lists (another
    ...    machine at its address, or someone in between) is refused with one line, and its
    ...    connection is closed before a command could run.
    [Tags]    own-data
    ${other} =    Create Throwaway SSH Key
    ${public} =    OperatingSystem.Get File    ${other}.pub
    ${known} =    Known Hosts With Worker Entry    ${public}
    ${error} =    Run Keyword And Expect Error    SSH host key of *    Connect To Worker Node
    ...    known_hosts=${known}
    Should Contain    ${error}    does not match known_hosts
    Should Not Contain    ${error}    \n
    Switch Connection    ${WORKER_ALIAS}
    Run Keyword And Expect Error    *    Execute Command    true

Unknown Host Is Refused With One Clear Line
    [Documentation]    A worker node known_hosts does not list is refused: the line says how to
    ...    add its key.
    ${known} =    Known Hosts With Worker Entry    ${EMPTY}
    ${error} =    Run Keyword And Expect Error    SSH host key of *    Connect To Worker Node
    ...    known_hosts=${known}
    Should Contain    ${error}    is unknown: add it to known_hosts
    Should Not Contain    ${error}    \n

Fallback Lists Pods While The API Port Is Closed
    [Documentation]    With the Kubernetes API's port closed to the tester, a connection without
    ...    SSH fails while the one with the SSH fallback lists the pods and reads their logs
    ...    through kubectl on the worker node. Closes a port: disruptive, runs alone.
    [Tags]    k8s    disruptive
    Skip If    $ENV_NAME != 'local'    Only the twin's API port can be closed by a test
    Close Kubernetes API Port
    Connect To Kubernetes    ${KUBECONFIG}    namespace=${K8S_NAMESPACE}    alias=direct
    Run Keyword And Expect Error    *    List Pods    app=${MONGODB_WORKLOAD}
    Connect To Cluster
    ${pods} =    List Pods    app=${MONGODB_WORKLOAD}
    Length Should Be    ${pods}    1
    ${logs} =    Get Pod Logs    ${pods}[0]    tail_lines=${5}
    Should Not Be Empty    ${logs}
    [Teardown]    Reopen Kubernetes API Port


*** Keywords ***
SSH Suite Setup
    [Documentation]    Prepares the environment, checks SSH is configured, connects to the cluster.
    SSH Should Be Configured
    Connect To Cluster

SSH Suite Teardown
    [Documentation]    Closes SSH and Kubernetes connections.
    Close All Connections
    Disconnect From Cluster

Jump Host Connection Should Be Open
    [Documentation]    The jump host's connection (through which the worker was reached) is open.
    ${info} =    Get Connection    ${JUMP_ALIAS}
    Should Not Be Equal    ${info.index}    ${None}    No jump host connection was opened

Stack Pod Selector
    [Documentation]    A label selector matching the pods of the stack's long-running workloads.
    ${workloads} =    Stack Workloads
    ${names} =    Catenate    SEPARATOR=,    @{workloads}
    RETURN    app in (${names})

Known Hosts With Worker Entry
    [Documentation]    A copy of ``${SSH_KNOWN_HOSTS}`` (in the output directory) whose worker node
    ...    line lists ``${public_key}`` instead of the real key, or no line when it is empty.
    [Arguments]    ${public_key: str}
    ${host}    ${port} =    Split SSH Address    ${SSH_HOST}
    VAR    ${name} =    [${host}]:${port}
    ${lines} =    OperatingSystem.Get File    ${SSH_KNOWN_HOSTS}
    ${kept} =    Evaluate    [line for line in text.splitlines() if line.split(' ')[0] != name]
    ...    namespace=${{ {'text': $lines, 'name': $name} }}
    IF    $public_key
        Append To List    ${kept}    ${name} ${public_key.strip()}
    END
    ${path} =    Join Path    ${OUTPUT_DIR}    known_hosts-${TEST_NAME.replace(' ', '_')}
    ${text} =    Catenate    SEPARATOR=\n    @{kept}
    Create File    ${path}    ${text}\n
    RETURN    ${path}

Close Tunnel And MongoDB
    [Documentation]    Closes the tunnel's MongoDB connection and every SSH connection.
    Close All MongoDB Connections
    Close All Connections
