"""Environment selection and the variable files: clear one-line errors, Secrets typed."""

from __future__ import annotations

import pytest
from robot.api.types import Secret

from contract import constants
from variables import environments, production, staging

FULL = {
    "FOCUS_BASE_URL": "https://focus.example.invalid/focus-server/",
    "FOCUS_USER": "qa",
    "FOCUS_PASSWORD": "focus-pw",
    "MONGO_URI": "mongodb://prisma:mongo%40pw@mongo.example.invalid:27018/prisma?authSource=prisma&tls=true",
    "RABBITMQ_URL": "amqps://prisma:rabbit-pw@rabbit.example.invalid:5673/%2F",
    "KUBECONFIG": "/nonexistent/kubeconfig",
}


@pytest.fixture
def remote_env(monkeypatch: pytest.MonkeyPatch):
    for name in environments.REQUIRED + environments.OPTIONAL:
        monkeypatch.delenv(name, raising=False)
    for name, value in FULL.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


@pytest.mark.parametrize("missing", environments.REQUIRED)
def test_each_missing_variable_is_named_in_one_line(remote_env, missing):
    remote_env.delenv(missing)
    with pytest.raises(environments.EnvironmentError_) as error:
        staging.get_variables()
    message = str(error.value)
    assert missing in message and "\n" not in message
    assert "staging" in message


def test_all_missing_variables_are_named_together(remote_env):
    remote_env.delenv("FOCUS_PASSWORD")
    remote_env.delenv("MONGO_URI")
    message = str(pytest.raises(environments.EnvironmentError_, staging.get_variables).value)
    assert "FOCUS_PASSWORD, MONGO_URI" in message


def test_no_defaults_for_hosts_users_or_secrets(remote_env):
    for name in environments.REQUIRED:
        remote_env.delenv(name)
    message = str(pytest.raises(environments.EnvironmentError_, production.get_variables).value)
    assert all(name in message for name in environments.REQUIRED)


def test_staging_variables_come_from_the_environment_with_secrets_typed(remote_env):
    values = staging.get_variables()
    assert values["FOCUS_BASE_URL"] == "https://focus.example.invalid/focus-server"
    assert values["IS_PRODUCTION"] is False
    for name in ("FOCUS_PASSWORD", "MONGO_PASSWORD", "RABBITMQ_PASSWORD"):
        assert isinstance(values[name], Secret), name
        assert str(values[name]) == "<secret>"
    assert values["MONGO_PASSWORD"].value == "mongo@pw"
    assert (values["MONGO_HOST"], values["MONGO_PORT"]) == ("mongo.example.invalid", 27018)
    assert values["RABBITMQ_VHOST"] == "/"
    assert values["RABBITMQ_MGMT_URL"] == "https://rabbit.example.invalid:15671"
    assert not any("pw" in str(v) for k, v in values.items() if not isinstance(v, Secret))
    assert values["SENSORS_RANGE"] == constants.SENSORS_RANGE


def test_production_is_marked_production(remote_env):
    assert production.get_variables()["IS_PRODUCTION"] is True


def test_unknown_environment_lists_the_valid_ones():
    message = str(environments.unknown_environment("stagin"))
    assert "stagin" in message and "local, staging, production" in message


def test_malformed_uri_is_explained(remote_env):
    remote_env.setenv("MONGO_URI", "prisma:pw@host")
    message = str(pytest.raises(environments.EnvironmentError_, staging.get_variables).value)
    assert message.startswith("MONGO_URI must look like")


def test_constants_are_consistent():
    assert constants.PRR / 2 == constants.FREQUENCY_MAX
    assert constants.FIBRE_LENGTH_M == 22220
    assert constants.powers_of_two(128, 4096) == [128, 256, 512, 1024, 2048, 4096]
    assert constants.nfft_range("SingleChannel") == (128, 65536)


# ---------------------------------------------------------------- transport (TLS)

PLAINTEXT = {
    "MONGO_URI": "mongodb://prisma:mongo%40pw@mongo.example.invalid:27018/prisma",
    "RABBITMQ_URL": "amqp://prisma:rabbit-pw@rabbit.example.invalid:5672/%2F",
}


@pytest.mark.parametrize("module", [staging, production], ids=["staging", "production"])
@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("RABBITMQ_URL", PLAINTEXT["RABBITMQ_URL"], "RABBITMQ_URL is amqp:// (use amqps://)"),
        ("MONGO_URI", PLAINTEXT["MONGO_URI"], "MONGO_URI has no tls=true"),
        ("RABBITMQ_MGMT_URL", "http://rabbit.example.invalid:15672", "RABBITMQ_MGMT_URL is not"),
        ("FOCUS_BASE_URL", "http://focus.example.invalid/focus-server", "FOCUS_BASE_URL is not"),
    ],
    ids=["RABBITMQ_URL", "MONGO_URI", "RABBITMQ_MGMT_URL", "FOCUS_BASE_URL"],  # no password in ids
)
def test_remote_environments_require_tls(remote_env, module, name, value, named):
    remote_env.setenv(name, value)
    remote_env.delenv("ALLOW_PLAINTEXT", raising=False)
    with pytest.raises(environments.EnvironmentError_) as error:
        module.get_variables()
    message = str(error.value)
    assert "\n" not in message and named in message
    assert "needs TLS" in message and "ALLOW_PLAINTEXT=" in message
    assert "rabbit-pw" not in message and "mongo%40pw" not in message


def test_the_management_api_defaults_to_https_with_amqps(remote_env):
    assert staging.get_variables()["RABBITMQ_MGMT_URL"] == "https://rabbit.example.invalid:15671"


def test_allow_plaintext_names_the_environment(remote_env):
    for name, value in PLAINTEXT.items():
        remote_env.setenv(name, value)
    remote_env.setenv("ALLOW_PLAINTEXT", "staging")
    values = staging.get_variables()  # a lab: allowed, and the endpoints named for the warning
    assert values["RABBITMQ_MGMT_URL"] == "http://rabbit.example.invalid:15672"
    assert "RABBITMQ_URL is amqp:// (use amqps://)" in values["PLAINTEXT_ENDPOINTS"]
    assert "MONGO_URI has no tls=true" in values["PLAINTEXT_ENDPOINTS"]
    with pytest.raises(environments.EnvironmentError_, match="ALLOW_PLAINTEXT=production"):
        production.get_variables()  # staging's allowance does nothing on production


def test_tls_everywhere_needs_no_allowance(remote_env):
    remote_env.delenv("ALLOW_PLAINTEXT", raising=False)
    assert staging.get_variables()["PLAINTEXT_ENDPOINTS"] == []
