"""Database auditing (prod): every PostgreSQL loads pgAudit and logs DDL and role changes (SPEC.md: Security).

Replicas are held to it too: a cross-region replica is promoted to be the prod database on failover.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from . import defaults
from .base import Params, items, stack_rule, strings
from .links import depends_on, known, names, of_types, report_each, same_parent

PGAUDIT_CLASSES = ("read", "write", "function", "role", "ddl", "misc", "misc_set")


def logged_classes(setting: Any) -> set[str]:
    """The statement classes a ``pgaudit.log`` value logs: ``ddl, role``, ``all``, ``all, -misc`` ..."""
    logged: set[str] = set()
    for part in str(setting or "").lower().split(","):
        name = part.strip().removeprefix("-")
        found = set(PGAUDIT_CLASSES) if name == "all" else {name} & set(PGAUDIT_CLASSES)
        logged = logged - found if part.strip().startswith("-") else logged | found
    return logged


def _loads_pgaudit(setting: Any) -> bool:
    return "pgaudit" in {library.strip().lower() for library in str(setting or "").split(",")}


def _problems(settings: Mapping[str, Any], params: Params, loaded_by: str) -> Iterator[str]:
    """What a database's settings (parameter name -> value) lack: pgAudit loaded, and pgaudit.log covering
    the required classes. ``loaded_by`` is the setting that loads it on this cloud."""
    if loaded_by == "shared_preload_libraries":
        if not _loads_pgaudit(settings.get(loaded_by)):
            yield "shared_preload_libraries does not load pgaudit"
    elif str(settings.get(loaded_by)).lower() not in ("on", "true"):
        yield f"{loaded_by} is not on"
    missing = [c for c in params["pgauditLogClasses"] if c not in logged_classes(settings.get("pgaudit.log"))]
    if missing:
        yield f"pgaudit.log ({settings.get('pgaudit.log') or 'unset'}) does not log {', '.join(missing)}"


def _parameters(group: PolicyResource) -> dict[str, Any]:
    return {str(p.get("name")).lower(): p.get("value") for p in items(group.props, "parameters")}


# RDS databases, the input naming their parameter group, and the parameter-group type it names.
RDS = {
    "aws:rds/instance:Instance": ("parameterGroupName", "aws:rds/parameterGroup:ParameterGroup"),
    "aws:rds/cluster:Cluster": ("dbClusterParameterGroupName", "aws:rds/clusterParameterGroup:ClusterParameterGroup"),
}


def _groups(db: PolicyResource, resources: Sequence[PolicyResource]) -> list[PolicyResource]:
    """The parameter groups of this stack the database names (by dependency or by name)."""
    key, group_type = RDS[db.resource_type]
    return [g for g in of_types(resources, [group_type]) if names(db, key, g, g.props.get("name"))]


def _rds_postgres(db: PolicyResource, resources: Sequence[PolicyResource]) -> bool:
    """PostgreSQL by engine (postgres, aurora-postgresql); a replica without one by its source's engine or
    its parameter group's family."""
    engine = str(known(db.props, "engine") or "")
    if engine:
        return "postgres" in engine
    sources = [r for r in resources if r.resource_type == db.resource_type and depends_on(db, "replicateSourceDb", r)]
    families = [str(known(g.props, "family") or "") for g in _groups(db, resources)]
    return any("postgres" in text for text in (*(str(known(s.props, "engine")) for s in sources), *families))


def _rds(db: PolicyResource, resources: Sequence[PolicyResource], params: Params) -> Iterator[str]:
    groups = _groups(db, resources)
    if not groups:
        key = RDS[db.resource_type][0]
        named = known(db.props, key) or "(default)"
        yield f"{key} {named} is not a parameter group of this stack, so pgAudit cannot be verified"
        return
    yield from _problems(_parameters(groups[0]), params, "shared_preload_libraries")


def _cloud_sql(db: PolicyResource, params: Params) -> Iterator[str]:
    flags = {str(f.get("name")).lower(): f.get("value") for f in items(db.props, "settings.databaseFlags")}
    yield from _problems(flags, params, "cloudsql.enable_pgaudit")


AZURE_SERVER = "azure-native:dbforpostgresql:Server"
AZURE_CONFIGURATION = "azure-native:dbforpostgresql:Configuration"


def _azure(server: PolicyResource, configurations: Sequence[PolicyResource], params: Params) -> Iterator[str]:
    """Flexible Server: server parameters are separate Configuration resources; pgAudit must also be allowed
    as an extension (azure.extensions) for CREATE EXTENSION pgaudit."""
    mine = [c for c in configurations if same_parent(c, server, "resourceGroupName", "serverName")]
    settings = {str(c.props.get("configurationName")).lower(): c.props.get("value") for c in mine}
    yield from _problems(settings, params, "shared_preload_libraries")
    if not _loads_pgaudit(settings.get("azure.extensions")):
        yield "azure.extensions does not allow pgaudit"


@stack_rule(
    name="postgres-pgaudit",
    description="Prod PostgreSQL (replicas too) loads pgAudit and logs DDL and role changes (SPEC.md: Security).",
    remediation="RDS: a parameter group of this stack with shared_preload_libraries including pgaudit and "
    "pgaudit.log 'ddl,role' (or wider), attached to the instance/cluster. Cloud SQL: databaseFlags "
    "cloudsql.enable_pgaudit=on and pgaudit.log. Azure Flexible Server: Configuration resources "
    "shared_preload_libraries and azure.extensions including pgaudit, and pgaudit.log.",
    schema={"pgauditLogClasses": strings(defaults.PGAUDIT_LOG_CLASSES, "Statement classes pgaudit.log must include")},
)
def postgres_pgaudit(args: StackValidationArgs, report: ReportViolation, params: Params) -> None:
    resources = list(args.resources)
    rds = [db for db in of_types(resources, RDS) if _rds_postgres(db, resources)]
    report_each(rds, lambda db: _rds(db, resources, params), report)
    cloud_sql = [
        db
        for db in of_types(resources, ["gcp:sql/databaseInstance:DatabaseInstance"])
        if str(known(db.props, "databaseVersion") or "").upper().startswith("POSTGRES")
    ]
    report_each(cloud_sql, lambda db: _cloud_sql(db, params), report)
    configurations = of_types(resources, [AZURE_CONFIGURATION])
    report_each(of_types(resources, [AZURE_SERVER]), lambda s: _azure(s, configurations, params), report)


POLICIES = [postgres_pgaudit]
