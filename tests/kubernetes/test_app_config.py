"""The cloud's endpoints in a ConfigMap; credentials only in a Secret, only as secrets; changes to either roll pods."""

from __future__ import annotations

import pytest

from components.config import AppSettings
from components.kubernetes.app_config import content_hash
from infractl import runtime

from .objects import CONFIG_MAP, DEPLOYMENT, ON, SECRET, applied, containers, spec

SECRET_KEYS = {"DATABASE_PASSWORD", "REDIS_AUTH_TOKEN", "JWT_SIGNING_KEY"}
ROLLOUT_HASH = "platform/rollout-hash"


def test_config_map_holds_the_clouds_endpoints(plan) -> None:
    (config_map,) = plan("prod", ON).of_type(CONFIG_MAP)
    data = config_map.inputs["data"]
    assert data["DATABASE_HOST"].endswith(".rds.amazonaws.com")
    assert data["DATABASE_PORT"] == "5432"
    assert data["REDIS_HOST"].endswith(".cache.amazonaws.com")
    assert data["WORKER_QUEUE_URL"].startswith("https://sqs.")
    assert not SECRET_KEYS & data.keys()
    # SPEC.md's settings are each container's own environment (test_workloads), not repeated here.
    assert not AppSettings().as_env().keys() & data.keys()


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
def test_pods_connect_to_the_first_clouds_services(plan, cloud: str) -> None:
    (config_map,) = plan("prod", ON, f'clouds=["{cloud}"]').of_type(CONFIG_MAP)
    host = config_map.inputs["data"]["DATABASE_HOST"]
    assert host.endswith(".rds.amazonaws.com") if cloud == "aws" else host.count(".") == 3  # Cloud SQL private IP


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
def test_credentials_reach_the_pods_only_as_a_secret(plan, cloud: str) -> None:
    p = plan("prod", ON, f'clouds=["{cloud}"]')
    (secret,) = p.of_type(SECRET)
    assert secret.inputs["stringData"] == runtime.SECRET  # the whole map, keys included
    assert "data" not in secret.inputs
    assert secret.inputs["metadata"]["name"] == "app-secrets"
    for deployment in p.of_type(DEPLOYMENT):
        assert {"secretRef": {"name": "app-secrets"}} in containers(deployment)[0]["envFrom"]


def test_content_hash_covers_every_key_and_value() -> None:
    endpoints, secrets = {"DATABASE_HOST": "db-1", "REDIS_PORT": "6379"}, {"DATABASE_PASSWORD": "old"}
    same = content_hash(dict(reversed(endpoints.items())), secrets)
    assert content_hash(endpoints, secrets) == same  # order does not matter
    assert content_hash(endpoints, {"DATABASE_PASSWORD": "rotated"}) != same
    assert content_hash({**endpoints, "DATABASE_HOST": "db-2"}, secrets) != same
    assert content_hash(endpoints, {**secrets, "JWT_SIGNING_KEY": "new"}) != same


def rollout_hash(plan_: runtime.Plan, name: str = "web-blue") -> str:
    return spec(plan_.named(DEPLOYMENT, name))["template"]["metadata"]["annotations"][ROLLOUT_HASH]


def test_a_changed_endpoint_rolls_the_pods_of_every_deployment() -> None:
    before, after = applied("dev", ON), applied("dev", ON, "database.name=orders")
    assert isinstance(rollout_hash(before), str) and len(rollout_hash(before)) == 16  # not secret: a digest
    assert rollout_hash(before) == rollout_hash(applied("dev", ON))
    for name in ("web-blue", "api-green", "worker"):
        assert rollout_hash(after, name) != rollout_hash(before, name)


def test_rollout_hash_is_computed_from_what_the_config_map_and_secret_hold(plan) -> None:
    """Every resource whose output the ConfigMap or the Secret carries (database, cache, queue, generated
    credentials) feeds the pod template, so a change to any of them rolls the pods."""
    p = plan("prod", ON)
    (config_map,) = p.of_type(CONFIG_MAP)
    (secret,) = p.of_type(SECRET)
    sources = set(config_map.property_dependencies["data"]) | set(secret.property_dependencies["stringData"])
    assert len(sources) >= 5
    for deployment in p.of_type(DEPLOYMENT):
        assert sources <= set(deployment.property_dependencies["spec"]), deployment.name
