"""Prod resilience: deletion protection and redundancy across availability zones."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from .backups import is_replica
from .base import Params, Requirement, check_table, integer, resource_rule, values

DELETION_PROTECTION: dict[str, list[Requirement]] = {
    "aws:rds/instance:Instance": [("deletionProtection", True)],
    "aws:rds/cluster:Cluster": [("deletionProtection", True)],
    "aws:lb/loadBalancer:LoadBalancer": [("enableDeletionProtection", True)],
    "gcp:sql/databaseInstance:DatabaseInstance": [("deletionProtection", True)],
    "gcp:container/cluster:Cluster": [("deletionProtection", True)],
    "gcp:storage/bucket:Bucket": [("forceDestroy", False)],
}
# Primaries also keep a final snapshot when deleted (replicas cannot take one).
FINAL_SNAPSHOT: dict[str, list[Requirement]] = {
    "aws:rds/instance:Instance": [("skipFinalSnapshot", False)],
    "aws:rds/cluster:Cluster": [("skipFinalSnapshot", False)],
}


@resource_rule(
    name="deletion-protection",
    description="Prod databases and load balancers are protected from deletion and keep a final snapshot.",
    remediation="Set deletionProtection / enableDeletionProtection to true and skipFinalSnapshot to false "
    "(platform:database.deletionProtection in the stack file).",
)
def deletion_protection(args: ResourceValidationArgs, report: ReportViolation, params: Params) -> None:
    check_table(DELETION_PROTECTION, args, report, "prod data must survive an accidental delete")
    if not is_replica(args.props):
        check_table(FINAL_SNAPSHOT, args, report, "prod data must survive an accidental delete")


ZONE_REDUNDANT: dict[str, list[Requirement]] = {
    "aws:rds/instance:Instance": [("multiAz", True)],
    "aws:elasticache/replicationGroup:ReplicationGroup": [("multiAzEnabled", True), ("automaticFailoverEnabled", True)],
    "azure-native:dbforpostgresql:Server": [("highAvailability.mode", "ZoneRedundant")],
    "gcp:sql/databaseInstance:DatabaseInstance": [("settings.availabilityType", "REGIONAL")],
    "gcp:redis/instance:Instance": [("tier", "STANDARD_HA")],
}
# Per type: the list of zones / subnets it spreads over.
ZONE_LISTS: dict[str, str] = {
    "aws:autoscaling/group:Group": "vpcZoneIdentifiers",
    "aws:lb/loadBalancer:LoadBalancer": "subnets",
    "aws:eks/nodeGroup:NodeGroup": "subnetIds",
    "azure-native:containerservice:AgentPool": "availabilityZones",
    "azure-native:cache:Redis": "zones",
    "gcp:container/nodePool:NodePool": "nodeLocations",
}


@resource_rule(
    name="zone-redundancy",
    description="Prod databases, caches and compute survive the loss of an availability zone.",
    remediation="Enable multi-AZ / zone-redundant HA with automatic failover, and spread groups and load "
    "balancers over at least minZones zones.",
    schema={"minZones": integer(2, "Fewest availability zones a group or load balancer spans")},
)
def zone_redundancy(args: ResourceValidationArgs, report: ReportViolation, params: Params) -> None:
    if not is_replica(args.props):
        check_table(ZONE_REDUNDANT, args, report, "prod must survive a zone failure")
    path = ZONE_LISTS.get(args.resource_type)
    zones = [z for z in values(args.props, f"{path}.*")] if path else []
    if path and len(zones) < params["minZones"]:
        report(f"{args.name}: {path} spans {len(zones)} zone(s); must span at least {params['minZones']}.")


POLICIES = [deletion_protection, zone_redundancy]
