"""Network exposure: no public databases or caches, and the internet reaches only load balancers on 80/443."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, ResourceValidationArgs, StackValidationArgs

from . import defaults
from .base import (
    Params,
    Requirement,
    check_table,
    dig,
    integers,
    items,
    number,
    points_at,
    resource_rule,
    stack_rule,
    text,
)

PRIVATE: dict[str, list[Requirement]] = {
    "aws:rds/instance:Instance": [("publiclyAccessible", False)],
    "aws:rds/clusterInstance:ClusterInstance": [("publiclyAccessible", False)],
    "azure-native:dbforpostgresql:Server": [("network.publicNetworkAccess", "Disabled")],
    "azure-native:redis:Redis": [("publicNetworkAccess", "Disabled")],
    "azure-native:storage:StorageAccount": [("allowBlobPublicAccess", False)],
    "azure-native:appconfiguration:ConfigurationStore": [("publicNetworkAccess", "Disabled")],
    "gcp:sql/databaseInstance:DatabaseInstance": [("settings.ipConfiguration.ipv4Enabled", False)],
}
# Azure services private either way: public network access off, or a firewall that denies by default.
# Per type: (public network access path, firewall default action path).
KEY_VAULT = "azure-native:keyvault:Vault"
# A key vault that must stay reachable for services Azure does not let through a closed vault (App Configuration,
# a Backup vault's customer-managed key) says so with this tag; it passes only with RBAC and purge protection.
NETWORK_EXCEPTION_TAG = "network-exception"
FIREWALLED: dict[str, tuple[str, str]] = {
    "azure-native:storage:StorageAccount": ("publicNetworkAccess", "networkRuleSet.defaultAction"),
    KEY_VAULT: ("properties.publicNetworkAccess", "properties.networkAcls.defaultAction"),
}


def _reachable_key_vault(props: Mapping[str, Any]) -> bool:
    """A keys-only vault for services outside Key Vault's trusted services: tagged, RBAC, purge-protected."""
    tags = props.get("tags")
    return (
        isinstance(tags, Mapping)
        and bool(tags.get(NETWORK_EXCEPTION_TAG))
        and dig(props, "properties.enableRbacAuthorization") is True
        and dig(props, "properties.enablePurgeProtection") is True
    )


@resource_rule(
    name="no-public-data-stores",
    description="Databases, caches, storage accounts and key vaults are reachable only from private networks.",
    remediation="Turn off public access (publiclyAccessible=false, publicNetworkAccess=Disabled, "
    "ipv4Enabled=false, allowBlobPublicAccess=false, or a firewall with defaultAction Deny) and reach the data "
    "store through the application tier's private network or a private endpoint. A key vault that only holds keys "
    "for services a closed vault refuses may carry the network-exception tag, with RBAC and purge protection.",
)
def no_public_data_stores(args: ResourceValidationArgs, report: ReportViolation, params: Params) -> None:
    check_table(PRIVATE, args, report, "data stores must not be public")
    if args.resource_type == KEY_VAULT and _reachable_key_vault(args.props):
        return
    if args.resource_type in FIREWALLED:
        access, firewall = FIREWALLED[args.resource_type]
        if str(dig(args.props, access)).lower() != "disabled" and str(dig(args.props, firewall)).lower() != "deny":
            report(
                f"{args.name}: {access} is not Disabled and {firewall} is not Deny (data stores must not be public)."
            )


@dataclass(frozen=True)
class Ingress:
    """One inbound allow rule, normalised across clouds."""

    sources: tuple[str, ...]
    from_port: int
    to_port: int


def _ports(low: Any, high: Any, protocol: Any = "tcp") -> tuple[int, int]:
    if str(protocol) in ("-1", "all", "*") or (number(low) is None and number(high) is None):
        return 0, 65535
    return int(number(low) or 0), int(number(high) if number(high) is not None else number(low) or 65535)


def _port_range(text_range: str) -> tuple[int, int]:
    if text_range in ("*", ""):
        return 0, 65535
    low, _, high = text_range.partition("-")
    return int(low), int(high or low)


def _aws_group(props: Mapping[str, Any]) -> Iterator[Ingress]:
    for rule in items(props, "ingress"):
        sources = (*items(rule, "cidrBlocks"), *items(rule, "ipv6CidrBlocks"))
        yield Ingress(tuple(sources), *_ports(rule.get("fromPort"), rule.get("toPort"), rule.get("protocol")))


def _aws_rule(props: Mapping[str, Any]) -> Iterator[Ingress]:
    if props.get("type", "ingress") == "ingress":
        sources = [*items(props, "cidrBlocks"), *items(props, "ipv6CidrBlocks")]
        sources += [str(props[key]) for key in ("cidrIpv4", "cidrIpv6") if props.get(key)]
        protocol = props.get("ipProtocol", props.get("protocol"))
        yield Ingress(tuple(sources), *_ports(props.get("fromPort"), props.get("toPort"), protocol))


def _azure_rules(rules: list[Any]) -> Iterator[Ingress]:
    for rule in rules:
        body = rule.get("properties", rule) if isinstance(rule, Mapping) else {}
        if str(body.get("direction")).lower() != "inbound" or str(body.get("access")).lower() != "allow":
            continue
        sources = (
            *items(body, "sourceAddressPrefixes"),
            *([body["sourceAddressPrefix"]] if body.get("sourceAddressPrefix") else []),
        )
        ranges = [
            *items(body, "destinationPortRanges"),
            *([body["destinationPortRange"]] if body.get("destinationPortRange") else []),
        ]
        for port_range in ranges or ["*"]:
            yield Ingress(tuple(map(str, sources)), *_port_range(str(port_range)))


def _gcp_firewall(props: Mapping[str, Any]) -> Iterator[Ingress]:
    if str(props.get("direction", "INGRESS")) != "INGRESS":
        return
    sources = tuple(map(str, items(props, "sourceRanges")))
    for allow in items(props, "allows"):
        for port_range in items(allow, "ports") or ["*"]:
            yield Ingress(sources, *_port_range(str(port_range)))


# Per firewall type: its inbound allow rules.
INGRESS: dict[str, Callable[[Mapping[str, Any]], Iterator[Ingress]]] = {
    "aws:ec2/securityGroup:SecurityGroup": _aws_group,
    "aws:ec2/securityGroupRule:SecurityGroupRule": _aws_rule,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _aws_rule,
    "azure-native:network:NetworkSecurityGroup": lambda props: _azure_rules(items(props, "securityRules")),
    "azure-native:network:SecurityRule": lambda props: _azure_rules([props]),
    "gcp:compute/firewall:Firewall": _gcp_firewall,
}
# Azure's tags for any source; address ranges are judged by what they cover, in either IP version.
ANYWHERE_TAGS = frozenset({"*", "internet", "any"})
EVERY_ADDRESS = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))
# Azure's health-probe source (168.63.129.16): every NSG admits it on all ports by default
# (AllowAzureLoadBalancerInBound), and Application Gateway v2 needs it again above a deny-all rule.
# It probes; it is not a client that can open an SSH session.
PLATFORM_PROBES = frozenset({"azureloadbalancer"})


def _network(source: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(source, strict=False)
    except ValueError:
        return None


def anywhere(sources: Sequence[str]) -> list[str]:
    """The sources that open a rule to the whole internet: a tag for it, or address ranges that together cover
    all of IPv4 or all of IPv6 (``0.0.0.0/0``, ``::/0``, ``0::/0``, ``0.0.0.0/1`` with ``128.0.0.0/1`` ...)."""
    found = [s for s in sources if s.lower() in ANYWHERE_TAGS]
    for everything in EVERY_ADDRESS:
        ranges = {s: n for s in sources if (n := _network(s)) is not None and n.version == everything.version}
        if list(ipaddress.collapse_addresses(ranges.values())) == [everything]:  # type: ignore[type-var]
            found += [s for s, n in ranges.items() if n.prefixlen == 0] or list(ranges)
    return found


def _public(rules: Iterator[Ingress]) -> bool:
    return any(anywhere(rule.sources) for rule in rules)


def _within(source: str, allowed: str) -> bool:
    try:
        return ipaddress.ip_network(source, strict=False).subnet_of(ipaddress.ip_network(allowed))  # type: ignore[arg-type]
    except (ValueError, TypeError):
        return False


@resource_rule(
    name="restricted-ingress",
    description="No ingress from anywhere (0.0.0.0/0, ::/0) except HTTP/HTTPS; SSH only from the private range.",
    remediation="Open only ports 80 and 443 to the internet (on the load balancer); allow other ports from "
    "security groups or private CIDRs, and SSH (22) only from sshAllowedCidr, or not at all.",
    schema={
        "publicPorts": integers(defaults.PUBLIC_PORTS, "Ports that may be open to anywhere"),
        "sshAllowedCidr": text(defaults.SSH_ALLOWED_CIDR, "The only range SSH may come from"),
    },
)
def restricted_ingress(args: ResourceValidationArgs, report: ReportViolation, params: Params) -> None:
    read = INGRESS.get(args.resource_type)
    for rule in read(args.props) if read else ():
        public = anywhere(rule.sources)
        ports = set(range(rule.from_port, rule.to_port + 1)) if rule.to_port - rule.from_port < 1024 else None
        if public and (ports is None or not ports <= set(params["publicPorts"])):
            report(f"{args.name}: ports {rule.from_port}-{rule.to_port} are open to {', '.join(public)}.")
        ssh_from = [
            s for s in rule.sources if not _within(s, params["sshAllowedCidr"]) and s.lower() not in PLATFORM_PROBES
        ]
        if rule.from_port <= defaults.SSH_PORT <= rule.to_port and ssh_from:
            report(f"{args.name}: SSH is open to {', '.join(ssh_from)}; only {params['sshAllowedCidr']} may reach it.")


# Load balancer types and the property naming their security groups.
LOAD_BALANCERS = {
    "aws:lb/loadBalancer:LoadBalancer": "securityGroups",
    "aws:alb/loadBalancer:LoadBalancer": "securityGroups",
    "aws:elb/loadBalancer:LoadBalancer": "securityGroups",
}
NSG = "azure-native:network:NetworkSecurityGroup"
NSG_RULE = "azure-native:network:SecurityRule"
SUBNET = "azure-native:network:Subnet"
# Azure load balancers and where they name the subnet they run in (an NSG applies to a whole subnet).
AZURE_LOAD_BALANCERS = {"azure-native:network:ApplicationGateway": "gatewayIPConfigurations.*.subnet.id"}


def _aws_unattached(args: StackValidationArgs) -> Iterator[PolicyResource]:
    """Public AWS security groups (and rules) that no load balancer uses."""
    attached = {
        group.urn
        for r in args.resources
        if r.resource_type in LOAD_BALANCERS
        for group in r.property_dependencies.get(LOAD_BALANCERS[r.resource_type], [])
    }
    for r in args.resources:
        groups = {r.urn} | {g.urn for g in r.property_dependencies.get("securityGroupId", [])}
        aws_firewall = r.resource_type.startswith("aws:") and r.resource_type in INGRESS
        if aws_firewall and not groups & attached and _public(INGRESS[r.resource_type](r.props)):
            yield r


def _nsg_of(rule: PolicyResource, groups: list[PolicyResource]) -> PolicyResource | None:
    """The NSG a standalone security rule belongs to (by dependency, else by group and name)."""
    keys = ("resourceGroupName", "networkSecurityGroupName")
    for group in groups:
        if points_at(rule, keys[1], group) or all(rule.props.get(k) == group.props.get(k) for k in keys):
            return group
    return None


def _azure_unattached(args: StackValidationArgs) -> Iterator[PolicyResource]:
    """Public Azure NSGs (and their rules) not applied to a subnet an Application Gateway runs in."""
    groups = [r for r in args.resources if r.resource_type == NSG]
    balanced = [
        subnet
        for subnet in args.resources
        if subnet.resource_type == SUBNET
        and any(
            points_at(lb, path, subnet)
            for lb in args.resources
            for lb_type, path in AZURE_LOAD_BALANCERS.items()
            if lb.resource_type == lb_type
        )
    ]
    on_load_balancer = {g.urn for g in groups if any(points_at(s, "networkSecurityGroup.id", g) for s in balanced)}
    for r in args.resources:
        if r.resource_type in (NSG, NSG_RULE) and _public(INGRESS[r.resource_type](r.props)):
            group = r if r.resource_type == NSG else _nsg_of(r, groups)
            if group is None or group.urn not in on_load_balancer:
                yield r


@stack_rule(
    name="public-ingress-only-on-load-balancers",
    description="Security groups open to the internet belong to a load balancer.",
    remediation="Put instances and services behind the load balancer and let only its security group (Azure: the "
    "NSG of the Application Gateway's subnet) accept traffic from anywhere; other groups accept traffic from the "
    "load balancer's group or subnet.",
)
def public_ingress_only_on_load_balancers(args: StackValidationArgs, report: ReportViolation, params: Params) -> None:
    for r in (*_aws_unattached(args), *_azure_unattached(args)):
        report(f"{r.name}: accepts traffic from anywhere but no load balancer uses it.", r.urn)


POLICIES = [no_public_data_stores, restricted_ingress, public_ingress_only_on_load_balancers]
