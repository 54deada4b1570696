"""Settings and the cloud's endpoints in a ConfigMap; credentials only in a Secret, and only as secrets."""

from __future__ import annotations

import pytest

from components.config import AppSettings
from infractl import runtime

from .objects import CONFIG_MAP, DEPLOYMENT, ON, SECRET, containers

SECRET_KEYS = {"DATABASE_PASSWORD", "REDIS_AUTH_TOKEN", "JWT_SIGNING_KEY"}


def test_config_map_holds_spec_app_settings_and_the_clouds_endpoints(plan) -> None:
    (config_map,) = plan("prod", ON).of_type(CONFIG_MAP)
    data = config_map.inputs["data"]
    assert AppSettings().as_env().items() <= data.items()
    assert data["DATABASE_POOL_SIZE"] == "20"
    assert data["TENANT_ISOLATION_LEVEL"] == "strict"
    assert data["DATABASE_HOST"].endswith(".rds.amazonaws.com")
    assert data["DATABASE_PORT"] == "5432"
    assert data["REDIS_HOST"].endswith(".cache.amazonaws.com")
    assert data["WORKER_QUEUE_URL"].startswith("https://sqs.")
    assert not SECRET_KEYS & data.keys()
    (changed,) = plan("prod", ON, "app.logLevel=warn").of_type(CONFIG_MAP)
    assert changed.inputs["data"]["LOG_LEVEL"] == "warn"


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
def test_pods_connect_to_the_first_clouds_services(plan, cloud: str) -> None:
    (config_map,) = plan("prod", ON, f'clouds=["{cloud}"]').of_type(CONFIG_MAP)
    host = config_map.inputs["data"]["DATABASE_HOST"]
    assert host.endswith(".rds.amazonaws.com") if cloud == "aws" else host.count(".") == 3  # Cloud SQL private IP


def test_changed_settings_roll_the_pods(plan) -> None:
    def settings_hash(*overrides: str) -> str:
        deployment = plan("prod", ON, *overrides).named(DEPLOYMENT, "web-blue")
        return deployment.inputs["spec"]["template"]["metadata"]["annotations"]["platform/settings-hash"]

    assert settings_hash() != settings_hash("app.logLevel=warn")


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
def test_credentials_reach_the_pods_only_as_a_secret(plan, cloud: str) -> None:
    p = plan("prod", ON, f'clouds=["{cloud}"]')
    (secret,) = p.of_type(SECRET)
    assert secret.inputs["stringData"] == runtime.SECRET  # the whole map, keys included
    assert "data" not in secret.inputs
    assert secret.inputs["metadata"]["name"] == "app-secrets"
    for deployment in p.of_type(DEPLOYMENT):
        assert {"secretRef": {"name": "app-secrets"}} in containers(deployment)[0]["envFrom"]
