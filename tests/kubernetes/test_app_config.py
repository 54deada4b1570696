"""The cloud's endpoints in a ConfigMap, read as environment variables (a change rolls the pods); credentials only
in a Secret, read as mounted files (a change reaches running pods). Pulumi writes that Secret, only as secrets,
when the External Secrets Operator does not (test_secret_sync.py)."""

from __future__ import annotations

import pytest

from components.config import AppSettings
from components.kubernetes.app_config import content_hash
from infractl import runtime

from .objects import CLOUDS, CONFIG_MAP, DEPLOYMENT, ON, SECRET, SYNC_OFF, applied, containers, on, spec

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
    (config_map,) = plan("prod", *on(cloud)).of_type(CONFIG_MAP)
    host = config_map.inputs["data"]["DATABASE_HOST"]
    assert host.endswith(".rds.amazonaws.com") if cloud == "aws" else host.count(".") == 3  # Cloud SQL private IP


@pytest.mark.parametrize("cloud", CLOUDS)
def test_credentials_are_only_in_a_secret_that_can_change_in_place(plan, cloud: str) -> None:
    p = plan("prod", *on(cloud), SYNC_OFF)
    (secret,) = p.of_type(SECRET)
    assert secret.inputs["stringData"] == runtime.SECRET  # the whole map, keys included
    assert "data" not in secret.inputs
    assert secret.inputs["metadata"]["name"] == "app-secrets"
    assert "immutable" not in secret.inputs  # the kubelet refreshes mounted files from an updated Secret
    # Updated in place rather than replaced (a fixed name: delete, then create), so running pods see the change.
    (provider,) = (r for r in p.resources if r.type == "pulumi:providers:kubernetes")
    assert (provider.inputs["enableSecretMutable"], provider.inputs["enableConfigMapMutable"]) == ("true", "true")


@pytest.mark.parametrize("sync", [(), (SYNC_OFF,)], ids=["synced", "written"])
@pytest.mark.parametrize("cloud", CLOUDS)
def test_credentials_reach_every_container_as_read_only_files_named_by_file_variables(
    plan, cloud: str, sync: tuple[str, ...]
) -> None:
    """The same files whoever writes the Secret: the operator (by default) or Pulumi."""
    p = plan("prod", *on(cloud), *sync)
    for deployment in p.of_type(DEPLOYMENT):
        pod = spec(deployment)["template"]["spec"]
        (volume,) = (v for v in pod["volumes"] if "secret" in v)
        assert volume["secret"]["secretName"] == "app-secrets"
        # 0440: with the pod's fsGroup the kubelet adds group read to any mode; root owns the files.
        assert volume["secret"]["defaultMode"] == 0o440
        items = volume["secret"]["items"]
        assert all(item.keys() == {"key", "path"} for item in items)  # no item with a looser mode of its own
        files = {item["key"]: item["path"] for item in items}
        assert files.keys() == SECRET_KEYS, deployment.name
        for container in containers(deployment):
            (mount,) = (m for m in container["volumeMounts"] if m["name"] == volume["name"])
            # A subPath mount would never see a rotated value.
            assert mount == {"name": volume["name"], "mountPath": "/var/run/secrets/platform", "readOnly": True}
            env = {e["name"]: e for e in container["env"]}
            for key, path in files.items():
                assert env[f"{key}_FILE"] == {"name": f"{key}_FILE", "value": f"{mount['mountPath']}/{path}"}
                assert key not in env
            assert not any("valueFrom" in e for e in container["env"]), deployment.name
            assert container["envFrom"] == [{"configMapRef": {"name": "app-settings"}}], deployment.name


def test_content_hash_covers_every_key_and_value() -> None:
    endpoints = {"DATABASE_HOST": "db-1", "REDIS_PORT": "6379"}
    same = content_hash(dict(reversed(endpoints.items())))
    assert content_hash(endpoints) == same  # order does not matter
    assert content_hash({**endpoints, "DATABASE_HOST": "db-2"}) != same
    assert content_hash({**endpoints, "WORKER_QUEUE_URL": "q"}) != same


def rollout_hash(plan_: runtime.Plan, name: str = "web-blue") -> str:
    return spec(plan_.named(DEPLOYMENT, name))["template"]["metadata"]["annotations"][ROLLOUT_HASH]


def test_a_changed_endpoint_rolls_the_pods_of_every_deployment() -> None:
    before, after = applied("dev", ON), applied("dev", ON, "database.name=orders")
    assert isinstance(rollout_hash(before), str) and len(rollout_hash(before)) == 16  # not secret: a digest
    assert rollout_hash(before) == rollout_hash(applied("dev", ON))
    for name in ("web-blue", "api-green", "worker"):
        assert rollout_hash(after, name) != rollout_hash(before, name)


@pytest.mark.parametrize("cloud", CLOUDS)
def test_pod_templates_follow_the_endpoints_but_not_the_credential_values(plan, cloud: str) -> None:
    """Every resource whose output the ConfigMap carries (database, cache, ...) feeds the pod template, so a
    change to any of them rolls the pods; the generated credentials feed only the Secret, whose mounted files
    the kubelet refreshes, so a rotated credential reaches running pods without rolling them."""
    p = plan("prod", *on(cloud), SYNC_OFF)
    (config_map,) = p.of_type(CONFIG_MAP)
    (secret,) = p.of_type(SECRET)
    endpoints = set(config_map.property_dependencies["data"])
    credentials = set(secret.property_dependencies["stringData"]) - endpoints
    assert len(endpoints) >= 2 and credentials  # at least the database and the cache
    for deployment in p.of_type(DEPLOYMENT):
        template_sources = set(deployment.property_dependencies["spec"])
        assert endpoints <= template_sources, deployment.name
        assert not credentials & template_sources, deployment.name
