"""Instance groups per tier and colour: hardened templates and SPEC.md's autoscaling signals."""

from __future__ import annotations

import json

import pytest

from tests.conftest import STACKS
from tests.gcp.support import gcp_plan, named

COMPUTE = "platform:gcp:Compute"
TEMPLATE = "gcp:compute/instanceTemplate:InstanceTemplate"
GROUPS = {"web-blue", "web-green", "api-blue", "api-green", "worker"}


@pytest.mark.parametrize("stack", STACKS)
def test_hardened_templates_with_cmek_disks_and_no_public_ip(plan, stack):
    p = gcp_plan(plan, stack)
    templates = named(p, COMPUTE, "gcp:compute/instanceTemplate:InstanceTemplate")
    assert set(templates) == GROUPS
    data_key = p.named("gcp:kms/cryptoKey:CryptoKey", "data")
    for name, template in templates.items():
        inputs = template.inputs
        assert inputs["shieldedInstanceConfig"] == {
            "enableSecureBoot": True,
            "enableVtpm": True,
            "enableIntegrityMonitoring": True,
        }
        (disk,) = inputs["disks"]
        assert disk["diskEncryptionKey"]["kmsKeySelfLink"].endswith("/cryptoKeys/platform-" + stack + "-data")
        assert disk["diskSizeGb"] == 20
        (nic,) = inputs["networkInterfaces"]
        assert "accessConfigs" not in nic
        assert inputs["metadata"]["enable-oslogin"] == "TRUE"
        assert inputs["metadata"]["block-project-ssh-keys"] == "TRUE"
        assert inputs["labels"]["tier"] == name.split("-")[0]
        assert data_key.urn in template.dependencies or data_key.urn in template.property_dependencies["disks"]


def test_machine_types_per_environment(plan):
    for stack, web, api in (("dev", "e2-medium", "e2-standard-2"), ("prod", "e2-standard-4", "n2-standard-4")):
        templates = named(gcp_plan(plan, stack), COMPUTE, "gcp:compute/instanceTemplate:InstanceTemplate")
        assert templates["web-blue"].inputs["machineType"] == web
        assert templates["api-green"].inputs["machineType"] == api


def test_app_settings_and_endpoints_reach_the_container(plan):
    p = gcp_plan(plan, "prod")
    template = named(p, COMPUTE, TEMPLATE)["api-blue"]
    env = json.loads(template.inputs["metadata"]["platform-env"])
    assert env["DATABASE_POOL_SIZE"] == "20" and env["DATABASE_TIMEOUT"] == "30000"  # SPEC's names
    assert (env["PORT"], env["METRICS_PORT"], env["APP_TIER"], env["APP_COLOR"]) == ("8080", "9090", "api", "blue")
    assert env["DATABASE_PORT"] == "5432" and env["REDIS_PORT"] == "6378"
    assert env["DATABASE_HOST"] == p.outputs["gcp_database_endpoint"].value
    assert env["REDIS_CA_CERT"].startswith("-----BEGIN CERTIFICATE-----")  # Memorystore's server CA, for TLS
    assert env["FEATURE_FLAGS_PARAMETER_ID"].endswith("/parameters/platform-prod-feature-flags")


@pytest.mark.parametrize("stack", STACKS)
def test_regional_groups_roll_out_and_autoheal(plan, stack):
    p = gcp_plan(plan, stack)
    groups = named(p, COMPUTE, "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager")
    assert set(groups) == GROUPS
    health_check = p.named("gcp:compute/healthCheck:HealthCheck", "app")
    assert health_check.inputs["httpHealthCheck"] == {"port": 8080, "requestPath": "/health"}
    for name, group in groups.items():
        assert group.inputs["region"] == "us-central1"
        assert group.inputs["namedPorts"] == [{"name": "http", "port": 8080}]
        # Surge first, nothing taken out of service (percentages apply only to groups of 10 or more).
        assert group.inputs["updatePolicy"] == {
            "type": "PROACTIVE",
            "minimalAction": "REPLACE",
            "maxSurgeFixed": 3,
            "maxUnavailableFixed": 0,
        }
        if name == "worker":  # serves no traffic: autohealing on an HTTP check would recreate it forever
            assert "autoHealingPolicies" not in group.inputs
            continue
        assert group.inputs["allInstancesConfig"]["labels"]["color"] == name.split("-")[1]
        assert group.inputs["autoHealingPolicies"]["initialDelaySec"] == 120
        assert group.property_dependencies["autoHealingPolicies"] == [health_check.urn]


@pytest.mark.parametrize("stack", STACKS)
def test_autoscalers_scale_on_each_tiers_signal(plan, stack):
    p = gcp_plan(plan, stack)
    scalers = {
        name: s.inputs["autoscalingPolicy"]
        for name, s in named(p, COMPUTE, "gcp:compute/regionAutoscaler:RegionAutoscaler").items()
    }
    assert set(scalers) == GROUPS
    for color in ("blue", "green"):
        web, api = scalers[f"web-{color}"], scalers[f"api-{color}"]
        assert web["cpuUtilization"] == {"target": 0.7}
        assert (web["minReplicas"], web["maxReplicas"]) == (2, 10)
        assert api["loadBalancingUtilization"] == {"target": 1.0}
        assert (api["minReplicas"], api["maxReplicas"]) == (3, 15)
    worker = scalers["worker"]
    (metric,) = worker["metrics"]
    assert metric["name"] == "pubsub.googleapis.com/subscription/num_undelivered_messages"
    assert metric["singleInstanceAssignment"] == 100
    assert 'subscription_id = "platform-' + stack + '-worker"' in metric["filter"]
    assert (worker["minReplicas"], worker["maxReplicas"]) == (2, 8)


def test_autoscaling_follows_config(plan):
    p = gcp_plan(plan, "dev", "compute.web.target=55", "compute.worker.maxSize=4")
    scalers = named(p, COMPUTE, "gcp:compute/regionAutoscaler:RegionAutoscaler")
    assert scalers["web-green"].inputs["autoscalingPolicy"]["cpuUtilization"] == {"target": 0.55}
    assert scalers["worker"].inputs["autoscalingPolicy"]["maxReplicas"] == 4


def test_worker_queue_is_encrypted_with_a_dead_letter_topic(plan):
    p = gcp_plan(plan, "prod")
    topic = p.named("gcp:pubsub/topic:Topic", "worker")
    assert topic.inputs["kmsKeyName"].endswith("/cryptoKeys/platform-prod-data")
    # Messages stay in the regional key's region (Pub/Sub may otherwise store them in any region).
    for any_topic in p.of_type("gcp:pubsub/topic:Topic"):
        assert any_topic.inputs["messageStoragePolicy"] == {"allowedPersistenceRegions": ["us-central1"]}
    subscription = p.named("gcp:pubsub/subscription:Subscription", "worker")
    assert subscription.inputs["deadLetterPolicy"]["maxDeliveryAttempts"] == 5
    assert subscription.inputs["deadLetterPolicy"]["deadLetterTopic"].endswith(
        "/topics/platform-prod-worker-dead-letter"
    )
