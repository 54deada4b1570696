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
GCP_PROJECT_NUMBER = "123456789012"

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
        if token == "azure-native:authorization:getClientConfig":
            tenant = "11111111-1111-1111-1111-111111111111"
            ids = {"tenantId": tenant, "objectId": tenant, "clientId": tenant}
            return {**ids, "subscriptionId": AZURE_SUBSCRIPTION}, []
        if token == "azure-native:network:getNetworkWatcher":
            watcher = {key: args.args[key] for key in ("resourceGroupName", "networkWatcherName")}
            resource_id = _azure_id("azure-native:network:NetworkWatcher", "watcher", watcher)
            return {"id": resource_id, "name": watcher["networkWatcherName"], "location": region}, []
        if token == "azure-native:authorization:getResourceManagementPrivateLink":
            link = {"resourceGroupName": args.args["resourceGroupName"], "rmplName": args.args["rmplName"]}
            resource_id = _azure_id("azure-native:authorization:ResourceManagementPrivateLink", "link", link)
            return {"id": resource_id, "name": link["rmplName"], "location": region}, []
        if token == "azure-native:logic:listWorkflowTriggerCallbackUrl":
            workflow, trigger = args.args["workflowName"], args.args["triggerName"]
            path = f"/workflows/{_digest(token, workflow, length=32)}/triggers/{trigger}/paths/invoke"
            query = {"api-version": "2016-10-01", "sp": f"/triggers/{trigger}/run", "sv": "1.0"}
            signature = _digest(token, workflow, trigger, length=43)
            base = f"https://prod-00.{region}.logic.azure.com:443{path}"
            url = f"{base}?api-version=2016-10-01&sp=%2Ftriggers%2F{trigger}%2Frun&sv=1.0&sig={signature}"
            return {"value": url, "method": "POST", "basePath": base, "queries": query}, []
        if token == "azure-native:redis:listRedisKeys":
            return {"primaryKey": _digest(token, "primary", length=44), "secondaryKey": _digest(token, length=44)}, []
        if token in _GCP_CALLS:
            return _GCP_CALLS[token](dict(args.args)), []
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
            resource_id = _azure_id(args.typ, args.name, inputs)
            extra = _AZURE_EXTRAS.get(args.typ)
            state = {"name": resource_id.rsplit("/", 1)[1], "id": resource_id, **inputs}
            identity = inputs.get("identity")
            if isinstance(identity, dict) and isinstance(identity.get("userAssignedIdentities"), list):
                # Azure answers user-assigned identities as a map keyed by identity id.
                ids = identity["userAssignedIdentities"]
                state["identity"] = {**identity, "userAssignedIdentities": {i: _azure_identity(i, {}) for i in ids}}
            if isinstance(identity, dict) and "SystemAssigned" in str(identity.get("type", "")):
                system = _azure_identity(resource_id, {})
                state["identity"] = {
                    **state["identity"],
                    "principalId": system["principalId"],
                    "tenantId": system["tenantId"],
                }
            return resource_id, {**state, **(extra(args.name, inputs) if extra else {})}
        if args.typ == "random:index/randomId:RandomId":  # random bytes, stable per name and keepers
            digest = _digest(args.name, str(sorted(dict(inputs.get("keepers") or {}).items())), length=32)
            return physical, {"name": physical, **inputs, "hex": digest[: 2 * int(inputs.get("byteLength", 8))]}
        if package == "gcp":
            provider = self._provider_inputs.get((args.provider or "").rsplit("::", 1)[0], {})
            project = str(inputs.get("project") or provider.get("project") or "platform-example")
            self_link = f"https://www.googleapis.com/{args.typ.split(':')[1]}/v1/projects/{project}/{physical}"
            state = {"name": physical, "selfLink": self_link, "id": f"projects/{project}/{physical}", **inputs}
            extra = _GCP_EXTRAS.get(args.typ)
            if extra:
                state.update(extra(physical, inputs, project, str(provider.get("region", "us-central1"))))
            return state["id"], state
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


def _function_arn(region: str, name: str) -> str:
    return f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}"


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
    "aws:elasticache/user:User": lambda p, r, a, i: {
        "arn": f"arn:aws:elasticache:{r}:{ACCOUNT_ID}:user:{i.get('userId', p)}"
    },
    "aws:elasticache/userGroup:UserGroup": lambda p, r, a, i: {
        "arn": f"arn:aws:elasticache:{r}:{ACCOUNT_ID}:usergroup:{i.get('userGroupId', p)}"
    },
    "aws:lambda/function:Function": lambda p, r, a, i: {"arn": _function_arn(r, p)},
    # The Serverless Application Repository's rotation apps answer the function they created.
    "aws:serverlessrepository/cloudFormationStack:CloudFormationStack": lambda p, r, a, i: {
        "outputs": {"RotationLambdaARN": _function_arn(r, str(dict(i.get("parameters") or {}).get("functionName", p)))}
    },
    "aws:wafv2/webAcl:WebAcl": lambda p, r, a, i: {
        "arn": f"arn:aws:wafv2:{r}:{ACCOUNT_ID}:{str(i.get('scope', 'REGIONAL')).lower()}/webacl/{p}/{_digest(p)[:8]}"
    },
}


# ARM resource provider namespace per azure-native module, and resource types whose ARM name
# is not the plural of the Pulumi type name.
_ARM_NAMESPACES = {
    "alertsmanagement": "AlertsManagement",
    "cdn": "Cdn",
    "frontdoor": "Network",
    "appconfiguration": "AppConfiguration",
    "authorization": "Authorization",
    "compute": "Compute",
    "dataprotection": "DataProtection",
    "dbforpostgresql": "DBforPostgreSQL",
    "keyvault": "KeyVault",
    "managedidentity": "ManagedIdentity",
    "monitor": "Insights",
    "network": "Network",
    "operationalinsights": "OperationalInsights",
    "privatedns": "Network",
    "redis": "Cache",
    "resources": "Resources",
    "storage": "Storage",
}
_ARM_TYPES = {
    "dbforpostgresql:Server": "flexibleServers",
    "redis:Redis": "redis",
    "monitor:AutoscaleSetting": "autoscalesettings",
    "privatedns:PrivateZone": "privateDnsZones",
    "storage:Queue": "queueServices/default/queues",
    "storage:BlobContainer": "blobServices/default/containers",
    "storage:ManagementPolicy": "managementPolicies",
    "monitor:DiagnosticSetting": "diagnosticSettings",
    "monitor:AzureMonitorWorkspace": "accounts",
    "cdn:AFDEndpoint": "afdEndpoints",
    "cdn:AFDOriginGroup": "originGroups",
    "cdn:AFDOrigin": "origins",
    "cdn:AFDCustomDomain": "customDomains",
    "cdn:SecurityPolicy": "securityPolicies",
    "frontdoor:Policy": "frontDoorWebApplicationFirewallPolicies",
}
# Resource types in another provider namespace than the rest of their module.
_ARM_TYPE_NAMESPACES = {"monitor:AzureMonitorWorkspace": "Monitor"}
# Inputs naming the resource itself where they are not ``<type>Name``.
_ARM_OWN_NAMES = {
    "ConfigurationStore": "configStoreName",
    "StorageAccount": "accountName",
    "BackupVault": "vaultName",
    "Server": "serverName",
    "VirtualMachineScaleSet": "vmScaleSetName",
    "AFDEndpoint": "endpointName",
    "AFDOriginGroup": "originGroupName",
    "AFDOrigin": "originName",
    "AFDCustomDomain": "customDomainName",
    "PrivateLinkService": "serviceName",
    "Policy": "policyName",
    "DataCollectionRuleAssociation": "associationName",
    "MetricAlert": "ruleName",
    "ScheduledQueryRule": "ruleName",
    "PrometheusRuleGroup": "ruleGroupName",
    "ResourceManagementPrivateLink": "rmplName",
}
# Inputs naming the parent a child resource lives under (subnet in VNet, key in vault, ...).
_ARM_PARENTS = {
    "profileName": "profiles",
    "originGroupName": "originGroups",
    "endpointName": "afdEndpoints",
    "virtualNetworkName": "virtualNetworks",
    "networkWatcherName": "networkWatchers",
    "vaultName": "vaults",
    "serverName": "flexibleServers",
    "accountName": "storageAccounts",
    "privateZoneName": "privateDnsZones",
    "privateEndpointName": "privateEndpoints",
    "configStoreName": "configurationStores",
    "backupPolicyName": "backupPolicies",
}


def _plural(noun: str) -> str:
    if noun.endswith("y") and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"  # backupPolicies
    return noun + ("es" if noun.endswith("s") else "s")  # publicIPAddresses


def _azure_id(typ: str, name: str, inputs: dict) -> str:
    """The ARM id Azure would give: ``/subscriptions/../resourceGroups/../providers/Microsoft.X/type/name``."""
    module, kind = typ.split(":")[1:]
    camel = kind[0].lower() + kind[1:]
    own_key = next((k for k in (f"{camel}Name", _ARM_OWN_NAMES.get(kind), "name") if k and k in inputs), None)
    own = inputs[own_key] if own_key else f"{name}-{_digest(typ, name, length=7)}"
    group = f"/subscriptions/{AZURE_SUBSCRIPTION}/resourceGroups/{inputs.get('resourceGroupName', own)}"
    if typ == "azure-native:resources:ResourceGroup":
        return group
    scope = inputs.get("resourceUri") or inputs.get("scope") or group
    if module in ("authorization", "monitor") and "resourceGroupName" not in inputs and scope != group:
        group = scope  # extension resources live under the resource they apply to
    path = "".join(
        f"/{kind_of}/{inputs[key]}"
        for key, kind_of in _ARM_PARENTS.items()
        if key != own_key and isinstance(inputs.get(key), str)
    )
    arm_type = _ARM_TYPES.get(f"{module}:{kind}") or _plural(camel)
    namespace = _ARM_TYPE_NAMESPACES.get(f"{module}:{kind}") or _ARM_NAMESPACES.get(module, module)
    return f"{group}/providers/Microsoft.{namespace}{path}/{arm_type}/{own}"


def _azure_key(name: str, inputs: dict) -> dict:
    uri = f"https://{inputs.get('vaultName', 'vault')}.vault.azure.net/keys/{inputs.get('keyName', name)}"
    return {"keyUri": uri, "keyUriWithVersion": f"{uri}/{_digest(name, length=32)}"}


def _azure_identity(name: str, inputs: dict) -> dict:
    principal = f"{_digest(name, length=8)}-0000-4000-8000-{_digest(name, 'p', length=12)}"
    client = f"{_digest(name, 'c', length=8)}-0000-4000-8000-{_digest(name, 'c', length=12)}"
    return {"principalId": principal, "clientId": client, "tenantId": "11111111-1111-1111-1111-111111111111"}


_AZURE_EXTRAS = {
    "azure-native:keyvault:Key": _azure_key,
    "azure-native:managedidentity:UserAssignedIdentity": _azure_identity,
    "azure-native:dbforpostgresql:Server": lambda n, i: {
        "fullyQualifiedDomainName": f"{i.get('serverName', n)}.postgres.database.azure.com"
    },
    "azure-native:redis:Redis": lambda n, i: {
        "hostName": f"{i.get('name', n)}.redis.cache.windows.net",
        "sslPort": 6380,
    },
    "azure-native:network:PublicIPAddress": lambda n, i: {
        "ipAddress": "20.0.0.1",
        "dnsSettings": {"fqdn": f"{i.get('dnsSettings', {}).get('domainNameLabel', n)}.cloudapp.azure.com"},
    },
    "azure-native:keyvault:Vault": lambda n, i: {
        "properties": {**i.get("properties", {}), "vaultUri": f"https://{i.get('vaultName', n)}.vault.azure.net/"}
    },
    "azure-native:appconfiguration:ConfigurationStore": lambda n, i: {
        "endpoint": f"https://{i.get('configStoreName', n)}.azconfig.io"
    },
    "azure-native:operationalinsights:Workspace": lambda n, i: {"customerId": _digest(n, length=32)},
    "azure-native:monitor:DataCollectionEndpoint": lambda n, i: {
        "metricsIngestion": {
            "endpoint": f"https://{i.get('dataCollectionEndpointName', n)}-{_digest(n, length=4)}"
            f".{i.get('location', 'eastus')}-1.metrics.ingest.monitor.azure.com"
        },
        "immutableId": f"dce-{_digest(n, length=32)}",
    },
    "azure-native:cdn:AFDEndpoint": lambda n, i: {
        "hostName": f"{i.get('endpointName', n)}-{_digest(n, length=16)}.z01.azurefd.net"
    },
    "azure-native:monitor:DataCollectionRule": lambda n, i: {"immutableId": f"dcr-{_digest(n, length=32)}"},
}


def _gcp_ip(name: str, base: str = "10.6") -> str:
    digest = int(_digest(name, length=4), 16)
    return f"{base}.{digest % 250 + 1}.{digest // 250 % 250 + 1}"


def _gcp_location(inputs: dict, region: str) -> str:
    return str(inputs.get("location") or inputs.get("region") or region)


def _gcp_path(kind: str, key: str, scope: str = "", full_name: bool = False) -> Any:
    """``projects/<p>/[<scope>/]<kind>/<inputs[key]>`` as the id (and the name, where GCP names it so)."""

    def extra(physical: str, inputs: dict, project: str, region: str) -> dict:
        where = {
            "location": f"locations/{_gcp_location(inputs, region)}/",
            "region": f"regions/{_gcp_location(inputs, region)}/",
            "global": "global/",
        }.get(scope, "")
        path = f"projects/{project}/{where}{kind}/{inputs.get(key, physical)}"
        return {"id": path, "name": path} if full_name else {"id": path}

    return extra


def _gcp_sql(physical: str, inputs: dict, project: str, region: str) -> dict:
    region = _gcp_location(inputs, region)
    return {
        "id": physical,
        "privateIpAddress": _gcp_ip(physical),
        "connectionName": f"{project}:{region}:{physical}",
        "selfLink": f"https://sqladmin.googleapis.com/sql/v1beta4/projects/{project}/instances/{physical}",
    }


def _gcp_redis(physical: str, inputs: dict, project: str, region: str) -> dict:
    tls = inputs.get("transitEncryptionMode") == "SERVER_AUTHENTICATION"
    readable = inputs.get("readReplicasMode") == "READ_REPLICAS_ENABLED"
    return {
        "id": f"projects/{project}/locations/{_gcp_location(inputs, region)}/instances/{physical}",
        "host": _gcp_ip(physical),
        "port": 6378 if tls else 6379,
        "authString": _digest(physical, "auth", length=36),
        "readEndpoint": _gcp_ip(physical + "-read") if readable else "",
        "serverCaCerts": [
            {
                "cert": f"-----BEGIN CERTIFICATE-----\n{_digest(physical, 'ca', length=64)}\n-----END CERTIFICATE-----",
                "serialNumber": "0",
                "sha1Fingerprint": _digest(physical, "ca", length=40),
            }
        ]
        if tls
        else [],
    }


def _gcp_regional(kind: str) -> Any:
    return lambda physical, inputs, project, region: {
        kind: f"https://www.googleapis.com/compute/v1/projects/{project}/regions/{_gcp_location(inputs, region)}"
        f"/instanceGroups/{physical}"
    }


# Service agents' domains by API, as ``services identity create`` answers (service-<number>@<domain>).
_GCP_SERVICE_AGENTS = {
    "sqladmin.googleapis.com": "gcp-sa-cloud-sql",
    "redis.googleapis.com": "cloud-redis",
    "secretmanager.googleapis.com": "gcp-sa-secretmanager",
    "pubsub.googleapis.com": "gcp-sa-pubsub",
    "parametermanager.googleapis.com": "gcp-sa-pm",
    "monitoring.googleapis.com": "gcp-sa-monitoring-notification",
    "workflows.googleapis.com": "gcp-sa-workflows",
    "eventarc.googleapis.com": "gcp-sa-eventarc",
}


def _gcp_service_identity(physical: str, inputs: dict, project: str, region: str) -> dict:
    service = str(inputs.get("service", ""))
    domain = _GCP_SERVICE_AGENTS[service]
    email = f"service-{GCP_PROJECT_NUMBER}@{domain}.iam.gserviceaccount.com"
    return {"id": f"projects/{project}/services/{service}", "email": email, "member": f"serviceAccount:{email}"}


_GCP_EXTRAS = {
    "gcp:projects/serviceIdentity:ServiceIdentity": _gcp_service_identity,
    "gcp:compute/network:Network": _gcp_path("networks", "name", "global"),
    "gcp:compute/subnetwork:Subnetwork": _gcp_path("subnetworks", "name", "region"),
    "gcp:compute/backendService:BackendService": _gcp_path("backendServices", "name", "global"),
    "gcp:compute/uRLMap:URLMap": _gcp_path("urlMaps", "name", "global"),
    "gcp:compute/globalForwardingRule:GlobalForwardingRule": _gcp_path("forwardingRules", "name", "global"),
    "gcp:kms/keyRing:KeyRing": _gcp_path("keyRings", "name", "location"),
    "gcp:kms/cryptoKey:CryptoKey": lambda p, i, project, r: {"id": f"{i.get('keyRing')}/cryptoKeys/{p}"},
    "gcp:sql/databaseInstance:DatabaseInstance": _gcp_sql,
    "gcp:redis/instance:Instance": _gcp_redis,
    "gcp:compute/globalAddress:GlobalAddress": lambda p, i, project, r: {
        "address": i.get("address") or f"34.120.{_gcp_ip(p, '0')[2:]}",
        "id": f"projects/{project}/global/addresses/{p}",
    },
    "gcp:serviceaccount/account:Account": lambda p, i, project, r: {
        "email": f"{i.get('accountId')}@{project}.iam.gserviceaccount.com",
        "member": f"serviceAccount:{i.get('accountId')}@{project}.iam.gserviceaccount.com",
        "id": f"projects/{project}/serviceAccounts/{i.get('accountId')}@{project}.iam.gserviceaccount.com",
        "name": f"projects/{project}/serviceAccounts/{i.get('accountId')}@{project}.iam.gserviceaccount.com",
    },
    "gcp:secretmanager/secret:Secret": _gcp_path("secrets", "secretId", full_name=True),
    "gcp:pubsub/topic:Topic": _gcp_path("topics", "name"),
    "gcp:pubsub/subscription:Subscription": _gcp_path("subscriptions", "name"),
    "gcp:logging/projectBucketConfig:ProjectBucketConfig": _gcp_path("buckets", "bucketId", "location", True),
    "gcp:projects/iAMCustomRole:IAMCustomRole": _gcp_path("roles", "roleId", full_name=True),
    "gcp:workflows/workflow:Workflow": _gcp_path("workflows", "name", "location"),
    "gcp:compute/securityPolicy:SecurityPolicy": _gcp_path("securityPolicies", "name", "global"),
    "gcp:parametermanager/regionalParameter:RegionalParameter": _gcp_path(
        "parameters", "parameterId", "location", True
    ),
    "gcp:backupdisasterrecovery/backupVault:BackupVault": _gcp_path("backupVaults", "backupVaultId", "location", True),
    "gcp:backupdisasterrecovery/backupPlan:BackupPlan": _gcp_path("backupPlans", "backupPlanId", "location", True),
    "gcp:monitoring/alertPolicy:AlertPolicy": lambda p, i, project, r: {
        "id": f"projects/{project}/alertPolicies/{int(_digest(p, length=12), 16)}",
        "name": f"projects/{project}/alertPolicies/{int(_digest(p, length=12), 16)}",
    },
    "gcp:monitoring/notificationChannel:NotificationChannel": lambda p, i, project, r: {
        "id": f"projects/{project}/notificationChannels/{int(_digest(p, length=12), 16)}",
        "name": f"projects/{project}/notificationChannels/{int(_digest(p, length=12), 16)}",
    },
    "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager": _gcp_regional("instanceGroup"),
    "gcp:compute/instanceTemplate:InstanceTemplate": lambda p, i, project, r: {
        "selfLinkUnique": f"https://www.googleapis.com/compute/v1/projects/{project}/global/instanceTemplates/"
        f"{i.get('namePrefix', p)}{_digest(p, length=8)}?uniqueId={int(_digest(p, length=12), 16)}"
    },
    "gcp:storage/bucket:Bucket": lambda p, i, project, r: {"id": p, "url": f"gs://{p}"},
}
_GCP_CALLS = {
    "gcp:storage/getProjectServiceAccount:getProjectServiceAccount": lambda a: {
        "emailAddress": f"service-{GCP_PROJECT_NUMBER}@gs-project-accounts.iam.gserviceaccount.com",
        "member": f"serviceAccount:service-{GCP_PROJECT_NUMBER}@gs-project-accounts.iam.gserviceaccount.com",
        "project": a.get("project"),
    },
    "gcp:organizations/getProject:getProject": lambda a: {
        "number": GCP_PROJECT_NUMBER,
        "projectId": a.get("projectId", "platform-example"),
        "name": a.get("projectId", "platform-example"),
    },
    "gcp:logging/getProjectCmekSettings:getProjectCmekSettings": lambda a: {
        "serviceAccountId": f"cmek-p{GCP_PROJECT_NUMBER}@gcp-sa-logging.iam.gserviceaccount.com",
        "project": a.get("project"),
    },
    "gcp:storage/getTransferProjectServiceAccount:getTransferProjectServiceAccount": lambda a: {
        "email": f"project-{GCP_PROJECT_NUMBER}@storage-transfer-service.iam.gserviceaccount.com",
        "member": f"serviceAccount:project-{GCP_PROJECT_NUMBER}@storage-transfer-service.iam.gserviceaccount.com",
    },
}
