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
# Azure resources have no deletion-protection property: Pulumi's ``protect`` option is what refuses the delete.
PROTECTED = frozenset(
    f"azure-native:{t}"
    for t in (
        "dbforpostgresql:Server",
        "redis:Redis",
        "storage:StorageAccount",
        "keyvault:Vault",
        "dataprotection:BackupVault",
        "network:ApplicationGateway",
    )
)
# Primaries also keep a final snapshot when deleted (replicas cannot take one).
FINAL_SNAPSHOT: dict[str, list[Requirement]] = {
    "aws:rds/instance:Instance": [("skipFinalSnapshot", False)],
    "aws:rds/cluster:Cluster": [("skipFinalSnapshot", False)],
}


@resource_rule(
    name="deletion-protection",
    description="Prod databases, data stores, key vaults and load balancers are protected from deletion and "
    "databases keep a final snapshot.",
    remediation="Set deletionProtection / enableDeletionProtection to true and skipFinalSnapshot to false; on Azure "
    "register the resource with protect=True (platform:database.deletionProtection in the stack file).",
)
def deletion_protection(args: ResourceValidationArgs, report: ReportViolation, params: Params) -> None:
    check_table(DELETION_PROTECTION, args, report, "prod data must survive an accidental delete")
    if args.resource_type in PROTECTED and not args.opts.protect:
        report(f"{args.name}: not protected (protect=True) against an accidental delete.")
    if not is_replica(args.props):
        check_table(FINAL_SNAPSHOT, args, report, "prod data must survive an accidental delete")


ZONE_REDUNDANT: dict[str, list[Requirement]] = {
    "aws:rds/instance:Instance": [("multiAz", True)],
    "aws:elasticache/replicationGroup:ReplicationGroup": [("multiAzEnabled", True), ("automaticFailoverEnabled", True)],
    "azure-native:dbforpostgresql:Server": [("highAvailability.mode", "ZoneRedundant")],
    "azure-native:storage:StorageAccount": [
        ("sku.name", ("Standard_ZRS", "Standard_GZRS", "Standard_RAGZRS", "Premium_ZRS"))
    ],
    "gcp:sql/databaseInstance:DatabaseInstance": [("settings.availabilityType", "REGIONAL")],
    "gcp:redis/instance:Instance": [("tier", "STANDARD_HA")],
}
# Per type: the list of zones / subnets it spreads over.
ZONE_LISTS: dict[str, str] = {
    "aws:autoscaling/group:Group": "vpcZoneIdentifiers",
    "aws:lb/loadBalancer:LoadBalancer": "subnets",
    "aws:eks/nodeGroup:NodeGroup": "subnetIds",
    "azure-native:containerservice:AgentPool": "availabilityZones",
    "azure-native:compute:VirtualMachineScaleSet": "zones",
    "azure-native:network:ApplicationGateway": "zones",
    "azure-native:network:PublicIPAddress": "zones",
    "azure-native:redis:Redis": "zones",
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
