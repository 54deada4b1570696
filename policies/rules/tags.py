"""Required tags / labels on every taggable resource the platform creates."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from . import defaults
from .base import Params, labels, resource_rule, strings

# Types that must carry the tags; the property is found by base.labels (tags, labels, metadata.labels).
TAGGED = frozenset(
    [
        *(
            f"aws:{t}"
            for t in (
                "ec2/vpc:Vpc",
                "ec2/subnet:Subnet",
                "ec2/securityGroup:SecurityGroup",
                "ec2/instance:Instance",
                "ec2/launchTemplate:LaunchTemplate",
                "ec2/natGateway:NatGateway",
                "ec2/eip:Eip",
                "ebs/volume:Volume",
                "autoscaling/group:Group",
                "lb/loadBalancer:LoadBalancer",
                "lb/targetGroup:TargetGroup",
                "lb/listener:Listener",
                "rds/instance:Instance",
                "rds/cluster:Cluster",
                "elasticache/replicationGroup:ReplicationGroup",
                "s3/bucket:Bucket",
                "kms/key:Key",
                "sqs/queue:Queue",
                "sns/topic:Topic",
                "cloudwatch/logGroup:LogGroup",
                "backup/vault:Vault",
                "backup/plan:Plan",
                "secretsmanager/secret:Secret",
                "cloudtrail/trail:Trail",
                "iam/role:Role",
                "appconfig/application:Application",
            )
        ),
        *(
            f"azure-native:{t}"
            for t in (
                "resources:ResourceGroup",
                "network:VirtualNetwork",
                "network:NetworkSecurityGroup",
                "network:PublicIPAddress",
                "network:ApplicationGateway",
                "network:WebApplicationFirewallPolicy",
                "network:PrivateEndpoint",
                "network:FlowLog",
                "privatedns:PrivateZone",
                "compute:VirtualMachineScaleSet",
                "compute:Disk",
                "compute:DiskEncryptionSet",
                "dbforpostgresql:Server",
                "redis:Redis",
                "storage:StorageAccount",
                "keyvault:Vault",
                "keyvault:Key",
                "keyvault:Secret",
                "managedidentity:UserAssignedIdentity",
                "monitor:ActionGroup",
                "monitor:AutoscaleSetting",
                "monitor:MetricAlert",
                "operationalinsights:Workspace",
                "dataprotection:BackupVault",
                "appconfiguration:ConfigurationStore",
                "servicebus:Namespace",
                "containerservice:ManagedCluster",
            )
        ),
        *(
            f"gcp:{t}"
            for t in (
                "compute/instance:Instance",
                "compute/instanceTemplate:InstanceTemplate",
                "compute/disk:Disk",
                "sql/databaseInstance:DatabaseInstance",
                "redis/instance:Instance",
                "storage/bucket:Bucket",
                "kms/cryptoKey:CryptoKey",
                "pubsub/topic:Topic",
                "container/cluster:Cluster",
            )
        ),
        *(
            f"kubernetes:{t}"
            for t in (
                "apps/v1:Deployment",
                "apps/v1:StatefulSet",
                "core/v1:Service",
                "core/v1:Namespace",
                "autoscaling/v2:HorizontalPodAutoscaler",
            )
        ),
    ]
)


@resource_rule(
    name="required-tags",
    description="Resources carry the environment, service, owner, cost-center and managed-by tags/labels.",
    remediation="Pass settings.tags_for(service) as tags (AWS/Azure), labels (GCP) or metadata.labels "
    "(Kubernetes); the platform's components do this for every resource they create.",
    schema={"requiredTags": strings(defaults.TAG_KEYS, "Tag / label keys every taggable resource carries")},
)
def required_tags(args: ResourceValidationArgs, report: ReportViolation, params: Params) -> None:
    if args.resource_type not in TAGGED:
        return
    missing = [key for key in params["requiredTags"] if not labels(args.props, args.resource_type).get(key)]
    if missing:
        report(f"{args.name}: missing tags {', '.join(missing)}.")


POLICIES = [required_tags]
