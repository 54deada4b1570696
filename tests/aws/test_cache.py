"""Redis: TLS and AUTH required, encrypted with the data key, persistent outside dev, failover in prod."""

from __future__ import annotations

import pytest

from components.config import ConfigError
from tests.conftest import STACKS

GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
CACHE = "platform:aws:Cache"


def _redis(plan):
    (group,) = [r for r in plan.children(CACHE) if r.type == GROUP]
    return group


def test_dev_has_one_node_and_no_persistence(plan):
    p = plan("dev")
    redis = _redis(p)
    assert redis.inputs["numCacheClusters"] == 1
    assert redis.inputs["snapshotRetentionLimit"] == 0
    assert "snapshotWindow" not in redis.inputs
    assert redis.inputs["automaticFailoverEnabled"] is False
    assert redis.inputs["multiAzEnabled"] is False
    assert redis.protect is False


def test_staging_keeps_snapshots_on_a_single_node(plan):
    redis = _redis(plan("staging"))
    assert redis.inputs["snapshotRetentionLimit"] == 7
    assert redis.inputs["snapshotWindow"] == "04:00-05:00"
    assert redis.inputs["numCacheClusters"] == 1


def test_prod_has_a_replica_with_automatic_failover_across_zones(plan):
    redis = _redis(plan("prod"))
    assert redis.inputs["numCacheClusters"] == 2
    assert redis.inputs["automaticFailoverEnabled"] is True
    assert redis.inputs["multiAzEnabled"] is True
    assert redis.inputs["snapshotRetentionLimit"] == 7
    assert redis.inputs["nodeType"] == "cache.r6g.large"
    assert redis.protect is True


@pytest.mark.parametrize("stack", STACKS)
def test_tls_and_auth_required_and_encrypted_with_data_key(plan, stack):
    p = plan(stack)
    redis = _redis(p)
    assert redis.inputs["engine"] == "redis"
    assert redis.inputs["engineVersion"].split(".")[0] == "7"
    assert redis.inputs["transitEncryptionEnabled"] is True
    assert redis.inputs["transitEncryptionMode"] == "required"
    assert redis.inputs["atRestEncryptionEnabled"] is True
    assert redis.property_dependencies["kmsKeyId"] == [p.named("aws:kms/key:Key", "data").urn]
    assert redis.inputs["authToken"] == "[secret]"
    (token,) = redis.property_dependencies["authToken"]
    assert p.by_urn(token).type == "random:index/randomPassword:RandomPassword"
    assert p.by_urn(p.by_urn(token).parent).type == "platform:aws:AppSecrets"


def test_private_in_data_subnets_behind_cache_security_group(plan):
    p = plan("staging")
    redis = _redis(p)
    assert redis.inputs["port"] == 6379
    (sg,) = redis.property_dependencies["securityGroupIds"]
    assert p.by_urn(sg).name == "network-cache-sg"
    (subnets,) = [r for r in p.children(CACHE) if r.type == "aws:elasticache/subnetGroup:SubnetGroup"]
    assert redis.property_dependencies["subnetGroupName"] == [subnets.urn]
    subnet_names = sorted(p.by_urn(u).name for u in subnets.property_dependencies["subnetIds"])
    assert subnet_names == ["network-data-0", "network-data-1", "network-data-2"]
    (params,) = [r for r in p.children(CACHE) if r.type == "aws:elasticache/parameterGroup:ParameterGroup"]
    assert params.inputs["family"] == "redis7"
    assert redis.property_dependencies["parameterGroupName"] == [params.urn]


@pytest.mark.parametrize(("stack", "days"), [("dev", 7), ("prod", 90)])
def test_slow_log_goes_to_encrypted_log_group(plan, stack, days):
    p = plan(stack)
    redis = _redis(p)
    (delivery,) = redis.inputs["logDeliveryConfigurations"]
    assert delivery["logType"] == "slow-log"
    assert delivery["destinationType"] == "cloudwatch-logs"
    (group,) = [r for r in p.children(CACHE) if r.type == "aws:cloudwatch/logGroup:LogGroup"]
    assert delivery["destination"] == group.inputs["name"]
    assert group.inputs["retentionInDays"] == days
    assert group.property_dependencies["kmsKeyId"] == [p.named("aws:kms/key:Key", "logs").urn]


@pytest.mark.parametrize("stack", STACKS)
def test_maintenance_window_is_pinned_away_from_the_snapshot_window(plan, stack):
    assert _redis(plan(stack)).inputs["maintenanceWindow"] == "sun:06:00-sun:07:00"
    assert _redis(plan(stack, "aws.cacheMaintenanceWindow=wed:02:00-wed:03:30")).inputs["maintenanceWindow"] == (
        "wed:02:00-wed:03:30"
    )


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("aws.cacheMaintenanceWindow=tue:04:30-tue:05:30", 'overlaps cache.snapshotWindow "04:00-05:00"'),
        ("aws.cacheMaintenanceWindow=sun:23:30-mon:04:15", 'overlaps cache.snapshotWindow "04:00-05:00"'),
        ("cache.snapshotWindow=05:30-06:30", 'overlaps cache.snapshotWindow "05:30-06:30"'),
        ("aws.cacheMaintenanceWindow=sun:06:00-sun:06:30", "at least 60 minutes"),
        ("aws.cacheMaintenanceWindow=sunday:06:00-sun:07:00", "must be ddd:hh:mm-ddd:hh:mm"),
    ],
)
def test_maintenance_windows_elasticache_would_refuse_are_refused_in_config(plan, override, message):
    with pytest.raises(ConfigError, match=message):
        plan("staging", override)


def test_config_overrides_flow_through(plan):
    redis = _redis(plan("dev", "cache.replicas=2", "cache.automaticFailover=true", "cache.snapshotRetentionDays=3"))
    assert redis.inputs["numCacheClusters"] == 3
    assert redis.inputs["automaticFailoverEnabled"] is True
    assert redis.inputs["snapshotRetentionLimit"] == 3
    assert redis.inputs["snapshotWindow"] == "04:00-05:00"
