"""postgres-pgaudit: RDS through its parameter group, Cloud SQL through its flags, Azure Flexible Server through
its configuration resources; replicas included."""

from __future__ import annotations

from typing import Any

import pytest

from policies.rules import auditing

from .support import check, check_stack, resource

RDS = "aws:rds/instance:Instance"
GROUP = "aws:rds/parameterGroup:ParameterGroup"
AUDITED = [
    {"name": "shared_preload_libraries", "value": "pg_stat_statements,pgaudit", "applyMethod": "pending-reboot"},
    {"name": "pgaudit.log", "value": "ddl,role"},
]


UNVERIFIABLE = "is not a parameter group of this stack, so pgAudit cannot be verified."


def rule(*resources: Any) -> list[str]:
    return check_stack(auditing.postgres_pgaudit, list(resources))


def group(parameters: list[dict[str, Any]], name: str | None = None, family: str = "postgres14") -> Any:
    return resource(GROUP, "postgres", {"family": family, "parameters": parameters, **({"name": name} if name else {})})


@pytest.mark.parametrize(
    ("setting", "logged"),
    [
        ("ddl,role", {"ddl", "role"}),
        ("DDL, ROLE, write", {"ddl", "role", "write"}),
        ("all", set(auditing.PGAUDIT_CLASSES)),
        ("all, -misc", set(auditing.PGAUDIT_CLASSES) - {"misc"}),
        ("all,-ddl", set(auditing.PGAUDIT_CLASSES) - {"ddl"}),
        ("none", set()),
        (None, set()),
    ],
)
def test_pgaudit_log_classes(setting: str | None, logged: set[str]) -> None:
    assert auditing.logged_classes(setting) == logged


def test_rds_instance_with_its_parameter_group_by_reference_or_by_name() -> None:
    by_reference = group(AUDITED)
    db = resource(
        RDS, "db", {"engine": "postgres", "parameterGroupName": "postgres-137b73d"}, parameterGroupName=by_reference
    )
    assert rule(db, by_reference) == []
    by_name = group(AUDITED, name="platform-prod-postgres")
    assert (
        rule(resource(RDS, "db", {"engine": "postgres", "parameterGroupName": "platform-prod-postgres"}), by_name) == []
    )


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        ([], ["shared_preload_libraries does not load pgaudit", "pgaudit.log (unset) does not log ddl, role"]),
        ([AUDITED[0]], ["pgaudit.log (unset) does not log ddl, role"]),
        ([AUDITED[1]], ["shared_preload_libraries does not load pgaudit"]),
        ([AUDITED[0], {"name": "pgaudit.log", "value": "all,-ddl"}], ["pgaudit.log (all,-ddl) does not log ddl"]),
        (
            [{"name": "shared_preload_libraries", "value": "pgaudit_extra"}, AUDITED[1]],
            ["shared_preload_libraries does not load pgaudit"],
        ),
    ],
)
def test_rds_parameter_group_breaches(parameters: list[dict[str, Any]], expected: list[str]) -> None:
    pg = group(parameters)
    db = resource(RDS, "db", {"engine": "postgres"}, parameterGroupName=pg)
    assert rule(db, pg) == [f"db: {problem}." for problem in expected]


def test_rds_default_or_foreign_parameter_group_cannot_show_pgaudit() -> None:
    assert rule(resource(RDS, "db", {"engine": "postgres"})) == [
        "db: parameterGroupName (default) is not a parameter group of this stack, so pgAudit cannot be verified."
    ]
    assert rule(
        resource(RDS, "db", {"engine": "postgres", "parameterGroupName": "default.postgres14"}),
        group(AUDITED, name="x"),
    ) == [f"db: parameterGroupName default.postgres14 {UNVERIFIABLE}"]


def test_rds_replicas_are_audited_too_and_other_engines_are_not_checked() -> None:
    primary = resource(RDS, "primary", {"engine": "postgres"}, parameterGroupName=group(AUDITED))
    replica = resource(RDS, "replica", {"replicateSourceDb": "arn:aws:rds:us-east-1:1:db:p"}, replicateSourceDb=primary)
    found = rule(primary.property_dependencies["parameterGroupName"][0], primary, replica)
    assert found == [
        "replica: parameterGroupName (default) is not a parameter group of this stack, so pgAudit cannot be verified."
    ]
    # A replica of a source elsewhere is known as PostgreSQL by its parameter group's family.
    bare = group([])
    foreign = resource(RDS, "replica", {"replicateSourceDb": "arn:aws:rds:us-east-1:1:db:p"}, parameterGroupName=bare)
    assert rule(foreign, bare) == [
        "replica: shared_preload_libraries does not load pgaudit.",
        "replica: pgaudit.log (unset) does not log ddl, role.",
    ]
    assert rule(resource(RDS, "mysql", {"engine": "mysql"})) == []


def test_aurora_postgresql_cluster_parameter_group() -> None:
    cluster_group = resource(
        "aws:rds/clusterParameterGroup:ClusterParameterGroup",
        "aurora",
        {"family": "aurora-postgresql15", "parameters": AUDITED},
    )
    cluster = resource(
        "aws:rds/cluster:Cluster", "aurora", {"engine": "aurora-postgresql"}, dbClusterParameterGroupName=cluster_group
    )
    assert rule(cluster, cluster_group) == []
    assert rule(resource("aws:rds/cluster:Cluster", "aurora", {"engine": "aurora-postgresql"})) == [
        f"aurora: dbClusterParameterGroupName (default) {UNVERIFIABLE}"
    ]


CLOUD_SQL = "gcp:sql/databaseInstance:DatabaseInstance"


def cloud_sql(flags: list[dict[str, str]], version: str = "POSTGRES_14", **props: Any) -> dict[str, Any]:
    return {"databaseVersion": version, "settings": {"databaseFlags": flags}, **props}


PGAUDIT_FLAGS = [{"name": "cloudsql.enable_pgaudit", "value": "on"}, {"name": "pgaudit.log", "value": "all,-misc"}]


def test_cloud_sql_flags() -> None:
    assert check(auditing.postgres_pgaudit, CLOUD_SQL, cloud_sql(PGAUDIT_FLAGS)) == []
    replica = cloud_sql(PGAUDIT_FLAGS[:1], masterInstanceName="platform-prod-postgres")
    assert check(auditing.postgres_pgaudit, CLOUD_SQL, replica) == ["r: pgaudit.log (unset) does not log ddl, role."]
    off = cloud_sql([{"name": "cloudsql.enable_pgaudit", "value": "off"}, PGAUDIT_FLAGS[1]])
    assert check(auditing.postgres_pgaudit, CLOUD_SQL, off) == ["r: cloudsql.enable_pgaudit is not on."]
    assert check(auditing.postgres_pgaudit, CLOUD_SQL, cloud_sql([], version="MYSQL_8_0")) == []


SERVER = "azure-native:dbforpostgresql:Server"
CONFIGURATION = "azure-native:dbforpostgresql:Configuration"
NAMES = {"resourceGroupName": "platform-prod", "serverName": "platform-prod-postgres"}
AZURE_AUDIT = {
    "shared_preload_libraries": "pg_cron,pgaudit",
    "azure.extensions": "PGAUDIT,PG_STAT_STATEMENTS",
    "pgaudit.log": "DDL,ROLE",
}


def configurations(settings: dict[str, str], server: Any = None, **names: str) -> list[Any]:
    found = []
    for name, value in settings.items():
        props = {**(names or NAMES), "configurationName": name, "value": value, "source": "user-override"}
        found.append(resource(CONFIGURATION, name, props, **({"serverName": server} if server else {})))
    return found


def test_azure_flexible_server_configurations_by_name_or_dependency() -> None:
    server = resource(SERVER, "database", NAMES)
    assert rule(server, *configurations(AZURE_AUDIT)) == []
    by_dependency = configurations(AZURE_AUDIT, server, resourceGroupName="platform-prod", serverName="unknown-yet")
    assert rule(server, *by_dependency) == []


@pytest.mark.parametrize(
    ("missing", "expected"),
    [
        ("shared_preload_libraries", "database: shared_preload_libraries does not load pgaudit."),
        ("pgaudit.log", "database: pgaudit.log (unset) does not log ddl, role."),
        ("azure.extensions", "database: azure.extensions does not allow pgaudit."),
    ],
)
def test_azure_flexible_server_breaches(missing: str, expected: str) -> None:
    server = resource(SERVER, "database", NAMES)
    settings = {k: v for k, v in AZURE_AUDIT.items() if k != missing}
    assert rule(server, *configurations(settings)) == [expected]
    # The same settings on another server, or on a namesake in another resource group, do not count.
    elsewhere = configurations(AZURE_AUDIT, resourceGroupName="platform-prod", serverName="platform-prod-postgres-dr")
    assert expected in rule(server, *configurations(settings), *elsewhere)
    namesake = configurations(AZURE_AUDIT, resourceGroupName="platform-prod-dr", serverName="platform-prod-postgres")
    assert expected in rule(server, *configurations(settings), *namesake)
