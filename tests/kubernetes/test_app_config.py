"""Application settings in a ConfigMap; secret values only in Secrets, and only as secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.config import AppSettings
from infractl import runtime
from infractl.stackconfig import Project

from .objects import CONFIG_MAP, DEPLOYMENT, ON, SECRET, containers

PROGRAM = Path(__file__).parent / "program"


@pytest.fixture(scope="module")
def with_secrets() -> runtime.Plan:
    """A program handing deploy() secret values, as the cloud secret store would."""
    return runtime.run(Project.load(PROGRAM), "test")


def test_config_map_holds_spec_app_settings(plan) -> None:
    (config_map,) = plan("prod", ON).of_type(CONFIG_MAP)
    assert config_map.inputs["data"] == AppSettings().as_env()
    assert config_map.inputs["data"]["DATABASE_POOL_SIZE"] == "20"
    assert config_map.inputs["data"]["TENANT_ISOLATION_LEVEL"] == "strict"
    (changed,) = plan("prod", ON, "app.logLevel=warn").of_type(CONFIG_MAP)
    assert changed.inputs["data"]["LOG_LEVEL"] == "warn"


def test_changed_settings_roll_the_pods(plan) -> None:
    def settings_hash(*overrides: str) -> str:
        deployment = plan("prod", ON, *overrides).named(DEPLOYMENT, "web-blue")
        return deployment.inputs["spec"]["template"]["metadata"]["annotations"]["platform/settings-hash"]

    assert settings_hash() != settings_hash("app.logLevel=warn")


def test_no_secret_without_secret_values(plan) -> None:
    p = plan("prod", ON)
    assert p.of_type(SECRET) == []
    assert all("secretRef" not in str(containers(d)) for d in p.of_type(DEPLOYMENT))


def test_secrets_hold_only_secret_values(with_secrets: runtime.Plan) -> None:
    (secret,) = with_secrets.of_type(SECRET)
    assert secret.inputs["stringData"] == runtime.SECRET  # the whole map, keys included
    assert "data" not in secret.inputs
    assert secret.inputs["metadata"]["name"] == "app-secrets"
    for deployment in with_secrets.of_type(DEPLOYMENT):
        assert {"secretRef": {"name": "app-secrets"}} in containers(deployment)[0]["envFrom"]
    assert "db-pass" not in str(with_secrets.resources)
