"""Log retention: application and audit logs are kept at least the environment's minimum."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from . import defaults
from .base import Params, integer, number, resource_rule, values

# Per log store type: where its retention in days is, and the days kept when it is absent or 0 (None: forever).
RETENTION: dict[str, tuple[str, int | None]] = {
    "aws:cloudwatch/logGroup:LogGroup": ("retentionInDays", None),
    "azure-native:operationalinsights:Workspace": ("retentionInDays", 30),
    "azure-native:network:FlowLog": ("retentionPolicy.days", None),
    "gcp:logging/projectBucketConfig:ProjectBucketConfig": ("retentionDays", 30),
}
# Inputs holding a log store's cloud name, where "audit" marks audit logs.
NAME_INPUTS = ("name", "bucket", "workspaceName")
AUDIT_ARCHIVES = {"aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "rules.*.expiration.days"}


@resource_rule(
    name="log-retention",
    description="Logs are kept at least the environment's minimum: app/metrics 7/30/90 days, audit 30/90/365 "
    "(dev/staging/prod).",
    remediation="Raise the log group's / workspace's / bucket's retention to the minimum for its kind (audit "
    "logs are those with 'audit' in the name).",
    schema={
        "minAppRetentionDays": integer(defaults.PROD["minAppRetentionDays"], "Shortest app/metrics log retention"),
        "minAuditRetentionDays": integer(defaults.PROD["minAuditRetentionDays"], "Shortest audit log retention"),
    },
)
def log_retention(args: ResourceValidationArgs, report: ReportViolation, params: Params) -> None:
    names = (args.name, *(str(args.props.get(key, "")) for key in NAME_INPUTS))
    audit = "audit" in " ".join(names).lower()
    minimum = params["minAuditRetentionDays" if audit else "minAppRetentionDays"]
    path, default = RETENTION.get(args.resource_type, (AUDIT_ARCHIVES.get(args.resource_type, ""), None))
    if not path or (args.resource_type in AUDIT_ARCHIVES and not audit):
        return
    for found in values(args.props, path):
        days = number(found) or default
        if days is not None and days < minimum:  # None: kept forever
            kind = "audit" if audit else "application"
            report(f"{args.name}: {kind} logs kept {days:g} days; must be at least {minimum}.")


POLICIES = [log_retention]
