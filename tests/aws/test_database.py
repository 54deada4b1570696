"""PostgreSQL: private, encrypted with the data key, TLS-only, HA and protected in prod, replicated to DR."""

from __future__ import annotations

import pytest

from tests.conftest import STACKS

INSTANCE = "aws:rds/instance:Instance"
PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"
SUBNET_GROUP = "aws:rds/subnetGroup:SubnetGroup"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
KEY = "aws:kms/key:Key"


def _child(plan, component, type_):
    (resource,) = [r for r in plan.children(component) if r.type == type_]
    return resource


def _primary(plan):
    return _child(plan, "platform:aws:Database", INSTANCE)


def _parameters(group):
    return {p["name"]: p["value"] for p in group.inputs["parameters"]}


def test_prod_is_multi_az_protected_and_keeps_a_final_snapshot(plan):
    db = _primary(plan("prod"))
    assert db.inputs["multiAz"] is True
    assert db.inputs["deletionProtection"] is True
    assert db.protect is True
    assert db.inputs["skipFinalSnapshot"] is False
    assert db.inputs["finalSnapshotIdentifier"] == "platform-prod-postgres-final"
    assert db.inputs["backupRetentionPeriod"] == 7  # also the 7-day point-in-time window
    assert db.inputs["deleteAutomatedBackups"] is False
    assert db.inputs["instanceClass"] == "db.r6g.xlarge"
    assert (db.inputs["allocatedStorage"], db.inputs["maxAllocatedStorage"]) == (100, 1000)


def test_dev_is_single_disposable_instance(plan):
    db = _primary(plan("dev"))
    assert db.inputs["multiAz"] is False
    assert db.inputs["deletionProtection"] is False
    assert db.protect is False
    assert db.inputs["skipFinalSnapshot"] is True
    assert "finalSnapshotIdentifier" not in db.inputs


@pytest.mark.parametrize("stack", STACKS)
def test_postgres_14_private_in_data_subnets(plan, stack):
    p = plan(stack)
    db = _primary(p)
    assert db.inputs["identifier"] == f"platform-{stack}-postgres"
    assert db.inputs["engine"] == "postgres"
    assert db.inputs["engineVersion"].split(".")[0] == "14"
    assert db.inputs["publiclyAccessible"] is False
    assert db.inputs["storageType"] == "gp3"
    assert db.property_dependencies["vpcSecurityGroupIds"] == [
        next(r.urn for r in p.children("platform:aws:Network", "network") if r.name == "network-database-sg")
    ]
    subnets = _child(p, "platform:aws:Database", SUBNET_GROUP)
    assert db.property_dependencies["dbSubnetGroupName"] == [subnets.urn]
    assert sorted(p.by_urn(u).name for u in subnets.property_dependencies["subnetIds"]) == [
        f"network-data-{i}" for i in range(len(subnets.inputs["subnetIds"]))
    ]


def test_storage_secret_and_insights_encrypted_with_data_key(plan):
    p = plan("staging")
    db = _primary(p)
    data_key = p.named(KEY, "data").urn
    for field in ("kmsKeyId", "performanceInsightsKmsKeyId"):
        assert db.property_dependencies[field] == [data_key], field
        assert db.inputs[field] == p.outputs["aws_kms_key_id"].value, field
    assert db.inputs["storageEncrypted"] is True
    assert db.inputs["performanceInsightsEnabled"] is True


def test_password_is_generated_secret_and_stored_in_secrets_manager(plan):
    p = plan("prod")
    db = _primary(p)
    # Not RDS-managed: RDS refuses read replicas (the DR replica) of such instances.
    assert "manageMasterUserPassword" not in db.inputs
    assert db.inputs["password"] == "[secret]"
    generated = p.named("random:index/randomPassword:RandomPassword", "database-master")
    assert db.property_dependencies["password"] == [generated.urn]
    assert p.by_urn(generated.parent).type == "platform:aws:GeneratedCredentials"
    assert db.inputs["username"] == "platform_admin"
    assert db.inputs["iamDatabaseAuthenticationEnabled"] is True
    secret = p.outputs["aws_database_secret_id"]
    assert secret.value.startswith(
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:platform-prod/database-master-"
    )


def test_parameter_group_requires_tls_and_logs_slow_queries(plan):
    p = plan("prod")
    group = _child(p, "platform:aws:Database", PARAMETER_GROUP)
    assert group.inputs["family"] == "postgres14"
    params = _parameters(group)
    assert params["rds.force_ssl"] == "1"
    assert params["ssl_min_protocol_version"] == "TLSv1.2"
    assert params["log_min_duration_statement"] == "1000"  # SPEC: slow queries > 1 s
    assert params["log_connections"] == params["log_disconnections"] == "1"
    db = _primary(p)
    assert db.property_dependencies["parameterGroupName"] == [group.urn]
    assert db.inputs["caCertIdentifier"] == "rds-ca-rsa2048-g1"


@pytest.mark.parametrize(("stack", "days"), [("dev", 7), ("staging", 30), ("prod", 90)])
def test_log_groups_exist_encrypted_before_the_instance(plan, stack, days):
    p = plan(stack)
    db = _primary(p)
    groups = {g.name: g for g in p.children("platform:aws:Database") if g.type == LOG_GROUP}
    assert set(groups) == set(db.inputs["enabledCloudwatchLogsExports"]) == {"postgresql", "upgrade"}
    logs_key = p.named(KEY, "logs").urn
    for export, group in groups.items():
        assert group.inputs["name"] == f"/aws/rds/instance/platform-{stack}-postgres/{export}"
        assert group.inputs["retentionInDays"] == days
        assert group.property_dependencies["kmsKeyId"] == [logs_key]
        assert group.urn in db.dependencies


def test_enhanced_monitoring_role_trusts_rds_monitoring(plan):
    p = plan("dev")
    db = _primary(p)
    (role_urn,) = db.property_dependencies["monitoringRoleArn"]
    role = p.by_urn(role_urn)
    assert "monitoring.rds.amazonaws.com" in role.inputs["assumeRolePolicy"]
    assert db.inputs["monitoringInterval"] == 60


def test_config_overrides_flow_through(plan):
    p = plan("dev", "database.backupRetentionDays=3", "database.slowQueryMs=250", "database.highAvailability=true")
    db = _primary(p)
    assert db.inputs["backupRetentionPeriod"] == 3
    assert db.inputs["multiAz"] is True
    assert _parameters(_child(p, "platform:aws:Database", PARAMETER_GROUP))["log_min_duration_statement"] == "250"


def test_prod_replica_is_encrypted_in_dr_region(plan):
    p = plan("prod")
    replica = _child(p, "platform:aws:DatabaseReplica", INSTANCE)
    assert "aws-dr" in replica.provider
    assert replica.inputs["replicateSourceDb"] == "arn:aws:rds:us-east-1:123456789012:db:platform-prod-postgres"
    assert replica.property_dependencies["replicateSourceDb"] == [_primary(p).urn]
    assert replica.inputs["storageEncrypted"] is True
    assert replica.property_dependencies["kmsKeyId"] == [p.named(KEY, "dr-data").urn]
    assert replica.inputs["kmsKeyId"].startswith("arn:aws:kms:us-west-2:")
    assert replica.inputs["publiclyAccessible"] is False
    assert replica.inputs["deletionProtection"] is True and replica.protect is True
    assert replica.inputs["skipFinalSnapshot"] is True
    assert replica.inputs["backupRetentionPeriod"] == 7  # point-in-time recovery once promoted
    assert "username" not in replica.inputs and "engine" not in replica.inputs


def test_replica_has_own_dr_groups_with_the_primary_settings(plan):
    p = plan("prod")
    replica = _child(p, "platform:aws:DatabaseReplica", INSTANCE)
    group = _child(p, "platform:aws:DatabaseReplica", PARAMETER_GROUP)
    subnets = _child(p, "platform:aws:DatabaseReplica", SUBNET_GROUP)
    assert "aws-dr" in group.provider and "aws-dr" in subnets.provider
    assert replica.property_dependencies["parameterGroupName"] == [group.urn]
    assert replica.property_dependencies["dbSubnetGroupName"] == [subnets.urn]
    assert _parameters(group) == _parameters(_child(p, "platform:aws:Database", PARAMETER_GROUP))


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_no_replica_without_disaster_recovery(plan, stack):
    assert plan(stack).children("platform:aws:DatabaseReplica") == []
    assert len(plan(stack).of_type(INSTANCE)) == 1


@pytest.mark.parametrize("component", ["platform:aws:Database", "platform:aws:DatabaseReplica"])
def test_pgaudit_logs_ddl_and_role_changes_with_cis_logging_flags(plan, component):
    group = _child(plan("prod"), component, PARAMETER_GROUP)
    params = _parameters(group)
    assert params["shared_preload_libraries"].split(",") == ["pg_stat_statements", "pgaudit"]
    assert set(params["pgaudit.log"].split(",")) == {"ddl", "role"}
    assert params["log_checkpoints"] == params["log_lock_waits"] == "1"
    assert params["log_hostname"] == "0"  # CIS PostgreSQL: no reverse DNS per connection; %r logs the address


def test_static_preload_waits_for_a_reboot_and_dynamic_parameters_apply_at_once(plan):
    group = _child(plan("staging"), "platform:aws:Database", PARAMETER_GROUP)
    methods = {p["name"]: p["applyMethod"] for p in group.inputs["parameters"]}
    # RDS refuses "immediate" for a static parameter; the instance created with the group boots with it.
    assert methods.pop("shared_preload_libraries") == "pending-reboot"
    assert set(methods.values()) == {"immediate"}


def test_prod_replica_exports_its_logs_to_encrypted_groups_in_the_dr_region(plan):
    p = plan("prod")
    replica = _child(p, "platform:aws:DatabaseReplica", INSTANCE)
    groups = {g.name: g for g in p.children("platform:aws:DatabaseReplica") if g.type == LOG_GROUP}
    assert set(groups) == set(replica.inputs["enabledCloudwatchLogsExports"]) == {"postgresql", "upgrade"}
    dr_logs_key = p.named(KEY, "dr-logs").urn
    for export, group in groups.items():
        assert group.inputs["name"] == f"/aws/rds/instance/platform-prod-postgres-dr/{export}"
        assert "aws-dr" in group.provider
        assert group.inputs["retentionInDays"] == 90
        assert group.property_dependencies["kmsKeyId"] == [dr_logs_key]
        assert group.urn in replica.dependencies
