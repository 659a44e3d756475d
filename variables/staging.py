"""Staging: every host, user and secret comes from the environment (no defaults).

Required: FOCUS_BASE_URL, FOCUS_USER, FOCUS_PASSWORD, MONGO_URI, RABBITMQ_URL, KUBECONFIG.
Optional: FOCUS_UI_URL (default: FOCUS_BASE_URL's host, /liveView), FOCUS_CA_BUNDLE,
FOCUS_OTHER_USER and FOCUS_OTHER_PASSWORD (a second account),
RABBITMQ_MGMT_URL, KUBE_CONTEXT, SEGY_ROOT, SITE_ID, FIBRE_LENGTH_M, SSH_HOST, SSH_JUMP_HOST,
SSH_USER, SSH_KEY (a private key file), SSH_KNOWN_HOSTS (default ~/.ssh/known_hosts),
FOCUS_UNKNOWN_USER (failed-login tests; default a random name), ALERT_REJECTED_EXCHANGE and
ALERT_REJECTED_ROUTING_KEY (the route of rejected alerts).
Use: ``robot -v ENV:staging robot/``.
"""

from variables.environments import remote_variables


def get_variables() -> dict:
    return remote_variables("staging", is_production=False)
