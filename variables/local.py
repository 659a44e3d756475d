"""Local: the twin in results/twin (or $FOCUS_TWIN_DIR), which the suite starts on demand.

Endpoints and generated credentials are read from the files the twin writes
(see twin/README.md); nothing here is a fixed host or password.
"""

from robot.api.types import Secret

from contract import constants
from twin import control
from variables.environments import common_variables, unknown_user


def get_variables() -> dict:
    endpoints = control.endpoints()
    secrets = control.secrets()
    host = endpoints["host"]
    rabbit = endpoints["rabbitmq"]
    return {
        **common_variables(),
        "ENV_NAME": "local",
        "IS_PRODUCTION": False,
        "TWIN_DIR": str(control.twin_dir()),
        "FOCUS_BASE_URL": endpoints["focus"]["base_url"],
        "FOCUS_UI_URL": endpoints["focus"]["ui_url"],
        "FOCUS_USER": secrets["focus_user"],
        "FOCUS_PASSWORD": Secret(secrets["focus_password"]),
        "FOCUS_OTHER_USER": secrets.get("focus_other_user"),
        "FOCUS_OTHER_PASSWORD": Secret(secrets.get("focus_other_password") or ""),
        "FOCUS_UNKNOWN_USER": unknown_user(),
        "CA_BUNDLE": endpoints["ca"],
        "MONGO_HOST": host,
        "MONGO_PORT": endpoints["mongo"]["port"],
        "MONGO_USER": secrets["mongo_user"],
        "MONGO_PASSWORD": Secret(secrets["mongo_password"]),
        "MONGO_TLS": False,
        "RABBITMQ_HOST": host,
        "RABBITMQ_PORT": rabbit["amqp_port"],
        "RABBITMQ_USER": secrets["rabbitmq_user"],
        "RABBITMQ_PASSWORD": Secret(secrets["rabbitmq_password"]),
        "RABBITMQ_VHOST": rabbit["vhost"],
        "RABBITMQ_TLS": False,
        "RABBITMQ_MGMT_URL": f"http://{host}:{rabbit['mgmt_port']}",
        "KUBECONFIG": endpoints["kube"]["kubeconfig"],
        "KUBE_CONTEXT": None,
        "SEGY_ROOT": str(control.workload_dir(constants.SEGY_RECORDER_WORKLOAD)),
        "SITE_ID": constants.SITE_ID,
        "FIBRE_LENGTH_M": constants.FIBRE_LENGTH_M,
        **_ssh(endpoints),
    }


def _ssh(endpoints: dict) -> dict:
    """The twin's jump host and worker node (twin/ssh), as staging names them."""
    ssh = endpoints.get("ssh")
    if not ssh:
        names = ("SSH_HOST", "SSH_JUMP_HOST", "SSH_USER", "SSH_KEY", "SSH_KNOWN_HOSTS")
        return dict.fromkeys(names)
    host = endpoints["host"]
    return {
        "SSH_HOST": f"{host}:{ssh['worker_port']}",
        "SSH_JUMP_HOST": f"{host}:{ssh['jump_port']}",
        "SSH_USER": ssh["user"],
        "SSH_KEY": ssh["key"],
        "SSH_KNOWN_HOSTS": ssh["known_hosts"],
    }
