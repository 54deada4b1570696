"""Mock provider answers that look like the real ones: ids, ARNs, endpoints and names.

Realistic values matter because components wire them into other resources (an ARN into
a policy, an endpoint into a secret), and tests and policies read those inputs.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pulumi

ACCOUNT_ID = "123456789012"
AZURE_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"

# Physical names the engine would derive: the first of these inputs that is set.
_NAME_INPUTS = (
    "name",
    "identifier",
    "replicationGroupId",
    "bucket",
    "functionName",
    "roleName",
    "topicName",
    "queueName",
    "clusterIdentifier",
    "backupVaultName",
)
# EC2-style ids ("vpc-0a1b2c...") by resource type.
_ID_PREFIXES = {
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/securityGroup:SecurityGroup": "sg",
    "aws:ec2/internetGateway:InternetGateway": "igw",
    "aws:ec2/natGateway:NatGateway": "nat",
    "aws:ec2/eip:Eip": "eipalloc",
    "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt",
    "aws:ec2/flowLog:FlowLog": "fl",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
    "aws:kms/key:Key": "",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc",
}
# ARN service names where they differ from the Pulumi module.
_ARN_SERVICES = {
    "lb": "elasticloadbalancing",
    "alb": "elasticloadbalancing",
    "cloudwatch": "cloudwatch",
    "cfg": "config",
    "appconfig": "appconfig",
    "backup": "backup",
}


def _digest(*parts: str, length: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


class RealisticMocks(pulumi.runtime.Mocks):
    """Answers resource registrations and provider calls like AWS, Azure and GCP would."""

    def __init__(self, provider_inputs: dict[str, dict[str, Any]]):
        self._provider_inputs = provider_inputs

    def _region(self, provider_ref: str, default: str = "us-east-1") -> str:
        inputs = self._provider_inputs.get(provider_ref.rsplit("::", 1)[0], {})
        return str(inputs.get("region") or inputs.get("location") or default)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list]:
        region = self._region(args.provider or "")
        token = args.token
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT_ID, "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/ci", "userId": "AIDAEXAMPLE"}, []
        if token == "aws:index/getRegion:getRegion":
            return {"name": region, "region": region, "id": region}, []
        if token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}, []
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            zones = [f"{region}{z}" for z in "abc"]
            return {"names": zones, "zoneIds": [f"use1-az{i}" for i in range(1, 4)], "id": region}, []
        return {}, []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        inputs = dict(args.inputs)
        if args.typ.startswith("pulumi:providers:"):
            return f"{args.name}-provider", inputs
        package = args.typ.split(":")[0]
        physical = next((inputs[k] for k in _NAME_INPUTS if isinstance(inputs.get(k), str)), None)
        physical = physical or f"{args.name}-{_digest(args.typ, args.name, length=7)}"
        if package == "aws":
            return self._aws(args, inputs, physical)
        if package == "azure-native":
            resource_id = (
                f"/subscriptions/{AZURE_SUBSCRIPTION}/resourceGroups/{inputs.get('resourceGroupName', physical)}"
                f"/providers/{args.typ.split(':')[1]}/{physical}"
            )
            return resource_id, {"name": physical, "id": resource_id, **inputs}
        if package == "gcp":
            project = inputs.get("project", "platform-example")
            self_link = f"https://www.googleapis.com/{args.typ.split(':')[1]}/v1/projects/{project}/{physical}"
            return f"projects/{project}/{physical}", {"name": physical, "selfLink": self_link, **inputs}
        return physical, {"name": physical, **inputs}

    def _aws(self, args: pulumi.runtime.MockResourceArgs, inputs: dict, physical: str) -> tuple[str, dict]:
        region = self._region(args.provider or "")
        module = args.typ.split(":")[1].split("/")[0]
        service = _ARN_SERVICES.get(module, module)
        kind = args.typ.split("/")[-1].split(":")[0]
        prefix = _ID_PREFIXES.get(args.typ)
        resource_id = f"{prefix}-0{_digest(args.typ, args.name)}" if prefix else physical
        if args.typ == "aws:kms/key:Key":
            resource_id = f"{_digest(args.name, length=8)}-1234-5678-9abc-{_digest(args.name, 'k', length=12)}"
        arn = f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{kind}/{resource_id}"
        state: dict[str, Any] = {"arn": arn, "id": resource_id, "name": physical, **inputs}
        extra = _AWS_EXTRAS.get(args.typ)
        if extra:
            state.update(extra(physical, region, arn, inputs))
        return state["id"], state


def _rds_instance(physical: str, region: str, arn: str, inputs: dict) -> dict:
    address = f"{physical}.c{_digest(physical, length=10)}.{region}.rds.amazonaws.com"
    port = inputs.get("port", 5432)
    secrets = []
    if inputs.get("manageMasterUserPassword"):
        secrets = [
            {
                "secretArn": f"arn:aws:secretsmanager:{region}:{ACCOUNT_ID}:secret:rds!db-{_digest(physical)[:8]}",
                "kmsKeyId": inputs.get("masterUserSecretKmsKeyId", ""),
                "secretStatus": "active",
            }
        ]
    return {
        "address": address,
        "endpoint": f"{address}:{port}",
        "port": port,
        "masterUserSecrets": secrets,
        "arn": f"arn:aws:rds:{region}:{ACCOUNT_ID}:db:{physical}",
        "resourceId": f"db-{_digest(physical).upper()}",
    }


def _replication_group(physical: str, region: str, arn: str, inputs: dict) -> dict:
    base = f"{physical}.{_digest(physical, length=6)}.ng.0001.{region[:3]}1.cache.amazonaws.com"
    return {
        "primaryEndpointAddress": f"master.{base}",
        "readerEndpointAddress": f"replica.{base}",
        "arn": f"arn:aws:elasticache:{region}:{ACCOUNT_ID}:replicationgroup:{physical}",
        "memberClusters": [f"{physical}-00{i}" for i in range(1, 2 + int(inputs.get("replicasPerNodeGroup", 0)))],
    }


def _load_balancer(physical: str, region: str, arn: str, inputs: dict) -> dict:
    suffix = f"app/{physical}/{_digest(physical, length=16)}"
    return {
        "dnsName": f"{physical}-{_digest(physical, length=10)}.{region}.elb.amazonaws.com",
        "arnSuffix": suffix,
        "zoneId": "Z35SXDOTRQ7X7K",
        "arn": f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT_ID}:loadbalancer/{suffix}",
    }


def _target_group(physical: str, region: str, arn: str, inputs: dict) -> dict:
    suffix = f"targetgroup/{physical}/{_digest(physical, length=16)}"
    return {"arnSuffix": suffix, "arn": f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT_ID}:{suffix}"}


def _listener(physical: str, region: str, arn: str, inputs: dict) -> dict:
    lb = str(inputs.get("loadBalancerArn", "")).split(":loadbalancer/")[-1]
    return {"arn": f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT_ID}:listener/{lb}/{_digest(physical, length=16)}"}


def _listener_rule(physical: str, region: str, arn: str, inputs: dict) -> dict:
    listener = str(inputs.get("listenerArn", "")).split(":listener/")[-1]
    rule_id = _digest(physical, length=16)
    return {"arn": f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT_ID}:listener-rule/{listener}/{rule_id}"}


def _certificate(physical: str, region: str, arn: str, inputs: dict) -> dict:
    domain = inputs.get("domainName", "example.com")
    certificate_id = f"{_digest(physical)[:8]}-0000-4000-8000-{_digest(physical)[:12]}"
    return {
        "arn": f"arn:aws:acm:{region}:{ACCOUNT_ID}:certificate/{certificate_id}",
        "domainValidationOptions": [
            {
                "domainName": domain,
                "resourceRecordName": f"_{_digest(domain, length=32)}.{domain}.",
                "resourceRecordType": "CNAME",
                "resourceRecordValue": f"_{_digest(domain, 'v', length=32)}.acm-validations.aws.",
            }
        ],
    }


def _sqs_queue(physical: str, region: str, arn: str, inputs: dict) -> dict:
    return {
        "url": f"https://sqs.{region}.amazonaws.com/{ACCOUNT_ID}/{physical}",
        "arn": f"arn:aws:sqs:{region}:{ACCOUNT_ID}:{physical}",
    }


def _named_arn(service: str, resource: str) -> Any:
    return lambda physical, region, arn, inputs: {
        "arn": f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{resource}{physical}"
    }


_AWS_EXTRAS = {
    "aws:rds/instance:Instance": _rds_instance,
    "aws:elasticache/replicationGroup:ReplicationGroup": _replication_group,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:lb/targetGroup:TargetGroup": _target_group,
    "aws:lb/listener:Listener": _listener,
    "aws:lb/listenerRule:ListenerRule": _listener_rule,
    "aws:acm/certificate:Certificate": _certificate,
    "aws:sqs/queue:Queue": _sqs_queue,
    "aws:sns/topic:Topic": _named_arn("sns", ""),
    "aws:s3/bucket:Bucket": lambda p, r, a, i: {"arn": f"arn:aws:s3:::{p}", "bucket": p},
    "aws:s3/bucketV2:BucketV2": lambda p, r, a, i: {"arn": f"arn:aws:s3:::{p}", "bucket": p},
    "aws:iam/role:Role": lambda p, r, a, i: {"arn": f"arn:aws:iam::{ACCOUNT_ID}:role{i.get('path', '/')}{p}"},
    "aws:iam/policy:Policy": lambda p, r, a, i: {"arn": f"arn:aws:iam::{ACCOUNT_ID}:policy{i.get('path', '/')}{p}"},
    "aws:iam/instanceProfile:InstanceProfile": lambda p, r, a, i: {
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:instance-profile/{p}"
    },
    "aws:cloudwatch/logGroup:LogGroup": _named_arn("logs", "log-group:"),
    "aws:secretsmanager/secret:Secret": lambda p, r, a, i: {
        "arn": f"arn:aws:secretsmanager:{r}:{ACCOUNT_ID}:secret:{p}-{_digest(p, length=6)}"
    },
    "aws:backup/vault:Vault": _named_arn("backup", "backup-vault:"),
    "aws:autoscaling/group:Group": lambda p, r, a, i: {
        "arn": f"arn:aws:autoscaling:{r}:{ACCOUNT_ID}:autoScalingGroup:{_digest(p, length=8)}:autoScalingGroupName/{p}"
    },
    "aws:ec2/launchTemplate:LaunchTemplate": lambda p, r, a, i: {"latestVersion": 1, "defaultVersion": 1},
    "aws:appconfig/application:Application": lambda p, r, a, i: {
        "id": _digest(p, length=7),
        "arn": f"arn:aws:appconfig:{r}:{ACCOUNT_ID}:application/{_digest(p, length=7)}",
    },
    "aws:appconfig/environment:Environment": lambda p, r, a, i: {"environmentId": _digest(p, "env", length=7)},
    "aws:appconfig/configurationProfile:ConfigurationProfile": lambda p, r, a, i: {
        "configurationProfileId": _digest(p, "profile", length=7)
    },
    "aws:appconfig/hostedConfigurationVersion:HostedConfigurationVersion": lambda p, r, a, i: {"versionNumber": 1},
}
