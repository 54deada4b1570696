"""VPC with public, private (app) and data subnets, NAT, flow logs and the security groups.

Security groups follow SPEC.md: only the load balancer faces the internet (80 and 443);
the app tier accepts traffic from the load balancer and itself, SSH only from the
configured 10.0.0.0/8 ranges (none by default); PostgreSQL and Redis accept only the app tier,
and PostgreSQL also the function that rotates its master password (``rotation.py``), which
logs in to change it.
Data subnets have no route to the internet at all.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import pulumi
import pulumi_aws as aws

from ..config import PlatformConfig
from .iam import assume_role_policy, policy_document

SUBNET_PREFIX = 20  # /20 per subnet: 4,091 addresses, 16 subnets in a /16
ANYWHERE_V4, ANYWHERE_V6 = "0.0.0.0/0", "::/0"


class Network(pulumi.ComponentResource):
    vpc: aws.ec2.Vpc
    public_subnets: list[aws.ec2.Subnet]
    private_subnets: list[aws.ec2.Subnet]
    data_subnets: list[aws.ec2.Subnet]
    lb_sg: aws.ec2.SecurityGroup | None
    app_sg: aws.ec2.SecurityGroup
    rotation_sg: aws.ec2.SecurityGroup | None
    database_sg: aws.ec2.SecurityGroup
    cache_sg: aws.ec2.SecurityGroup

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        cidr: str,
        logs_key: aws.kms.Key,
        public: bool,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """``public=False`` builds a network with no internet path (the DR standby region)."""
        super().__init__("platform:aws:Network", name, None, opts)
        self._cfg, self._label = cfg, name
        tags = cfg.tags_for("network")
        child = pulumi.ResourceOptions(parent=self)
        zone_count = cfg.aws.availability_zones
        zones = aws.get_availability_zones_output(state="available", opts=pulumi.InvokeOutputOptions(parent=self)).names
        blocks = list(ipaddress.ip_network(cidr).subnets(new_prefix=SUBNET_PREFIX))

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={**tags, "Name": cfg.name(name)},
            opts=child,
        )
        vpc_id = self.vpc.id
        # Nothing may use the default security group: strip all its rules.
        aws.ec2.DefaultSecurityGroup(f"{name}-default-sg", vpc_id=vpc_id, tags=tags, opts=child)

        def subnets(tier: str, offset: int) -> list[aws.ec2.Subnet]:
            return [
                aws.ec2.Subnet(
                    f"{name}-{tier}-{i}",
                    vpc_id=vpc_id,
                    cidr_block=str(blocks[offset + i]),
                    availability_zone=zones[i],
                    map_public_ip_on_launch=False,
                    tags={**tags, "Name": cfg.name(name, tier, str(i)), "tier": tier},
                    opts=child,
                )
                for i in range(zone_count)
            ]

        self.public_subnets = subnets("public", 0) if public else []
        self.private_subnets = subnets("private", 4)
        self.data_subnets = subnets("data", 8)

        nat_ids = self._internet_path(tags) if public else []
        for i, subnet in enumerate(self.private_subnets):
            routes = [{"cidr_block": ANYWHERE_V4, "nat_gateway_id": nat_ids[i % len(nat_ids)]}] if nat_ids else []
            self._route_table(f"private-{i}", routes, [subnet], tags)
        self._route_table("data", [], self.data_subnets, tags)
        self._flow_logs(logs_key, tags)

        app_port, vpc_cidr = cfg.compute.app_port, cidr
        self.lb_sg = (
            self._security_group(
                "lb",
                "Load balancer: HTTP (redirect) and HTTPS from the internet",
                ingress=[
                    _rule(port, cidr_blocks=[ANYWHERE_V4], ipv6_cidr_blocks=[ANYWHERE_V6], description=what)
                    for port, what in ((80, "HTTP, redirected to HTTPS"), (443, "HTTPS"))
                ],
                egress=[_rule(app_port, cidr_blocks=[vpc_cidr], description="to the app tier")],
                tags=tags,
            )
            if public
            else None
        )
        app_ingress = [_rule(app_port, self_=True, description="app tier to app tier")]
        if self.lb_sg is not None:
            app_ingress.append(_rule(app_port, security_groups=[self.lb_sg.id], description="from the load balancer"))
        if cfg.security.ssh_cidrs:
            app_ingress.append(
                _rule(
                    22, cidr_blocks=[str(c) for c in cfg.security.ssh_cidrs], description="SSH from the private range"
                )
            )
        self.app_sg = self._security_group(
            "app",
            "App tier (web, api, worker)",
            ingress=app_ingress,
            egress=[
                _rule(443, cidr_blocks=[ANYWHERE_V4], description="HTTPS to AWS APIs and package mirrors"),
                _rule(cfg.database.port, cidr_blocks=[vpc_cidr], description="PostgreSQL"),
                _rule(cfg.cache.port, cidr_blocks=[vpc_cidr], description="Redis"),
                _rule(53, protocol="udp", cidr_blocks=[vpc_cidr], description="DNS"),
                _rule(53, cidr_blocks=[vpc_cidr], description="DNS over TCP"),
            ],
            tags=tags,
        )
        # The primary region's database password rotates; the DR replica takes it from the primary.
        self.rotation_sg = (
            self._security_group(
                "rotation",
                "Database password rotation function: PostgreSQL, and HTTPS to Secrets Manager",
                ingress=[],
                egress=[
                    _rule(cfg.database.port, cidr_blocks=[vpc_cidr], description="PostgreSQL"),
                    _rule(443, cidr_blocks=[ANYWHERE_V4], description="HTTPS to Secrets Manager, through NAT"),
                ],
                tags=tags,
            )
            if public
            else None
        )
        database_ingress = [_rule(cfg.database.port, security_groups=[self.app_sg.id], description="from the app tier")]
        if self.rotation_sg is not None:
            database_ingress.append(
                _rule(cfg.database.port, security_groups=[self.rotation_sg.id], description="from password rotation")
            )
        self.database_sg = self._security_group(
            "database",
            "PostgreSQL: only from the app tier and its password rotation",
            ingress=database_ingress,
            egress=[],
            tags=tags,
        )
        self.cache_sg = self._security_group(
            "cache",
            "Redis: only from the app tier",
            ingress=[_rule(cfg.cache.port, security_groups=[self.app_sg.id], description="from the app tier")],
            egress=[],
            tags=tags,
        )
        self.register_outputs({"vpc_id": vpc_id})

    def _internet_path(self, tags: dict[str, str]) -> list[pulumi.Output[str]]:
        """Internet gateway for the public subnets; NAT for the private ones (one per AZ in prod)."""
        child = pulumi.ResourceOptions(parent=self)
        gateway = aws.ec2.InternetGateway(f"{self._label}-igw", vpc_id=self.vpc.id, tags=tags, opts=child)
        self._route_table("public", [{"cidr_block": ANYWHERE_V4, "gateway_id": gateway.id}], self.public_subnets, tags)
        nat_count = len(self.public_subnets) if self._cfg.aws.nat_gateway_per_zone else 1
        nat_ids = []
        for i in range(nat_count):
            eip = aws.ec2.Eip(f"{self._label}-nat-{i}", domain="vpc", tags=tags, opts=child)
            nat = aws.ec2.NatGateway(
                f"{self._label}-nat-{i}",
                allocation_id=eip.id,
                subnet_id=self.public_subnets[i].id,
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[gateway]),
            )
            nat_ids.append(nat.id)
        return nat_ids

    def _route_table(self, name: str, routes: list[Any], subnets: list[aws.ec2.Subnet], tags: dict[str, str]) -> None:
        child = pulumi.ResourceOptions(parent=self)
        table = aws.ec2.RouteTable(f"{self._label}-{name}", vpc_id=self.vpc.id, routes=routes, tags=tags, opts=child)
        for i, subnet in enumerate(subnets):
            aws.ec2.RouteTableAssociation(
                f"{self._label}-{name}-{i}", route_table_id=table.id, subnet_id=subnet.id, opts=child
            )

    def _flow_logs(self, logs_key: aws.kms.Key, tags: dict[str, str]) -> None:
        """Every accepted and rejected flow, to an encrypted log group kept as long as app logs."""
        child = pulumi.ResourceOptions(parent=self)
        group = aws.cloudwatch.LogGroup(
            f"{self._label}-flow-logs",
            name=f"/platform/{self._cfg.environment}/{self._label}/flow-logs",
            retention_in_days=self._cfg.logging.app_retention_days,
            kms_key_id=logs_key.arn,
            tags=tags,
            opts=child,
        )
        role = aws.iam.Role(
            f"{self._label}-flow-logs",
            assume_role_policy=assume_role_policy("vpc-flow-logs.amazonaws.com"),
            tags=tags,
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{self._label}-flow-logs",
            role=role.id,
            policy=policy_document(
                {
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    "Resource": [group.arn, pulumi.Output.concat(group.arn, ":*")],
                }
            ),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{self._label}-flow-logs",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags=tags,
            opts=child,
        )

    def _security_group(
        self, name: str, description: str, ingress: list[Any], egress: list[Any], tags: dict[str, str]
    ) -> aws.ec2.SecurityGroup:
        return aws.ec2.SecurityGroup(
            f"{self._label}-{name}-sg",
            name=self._cfg.name(self._label, name),
            description=description,
            vpc_id=self.vpc.id,
            ingress=ingress,
            egress=egress,
            revoke_rules_on_delete=True,
            tags={**tags, "Name": self._cfg.name(self._label, name)},
            opts=pulumi.ResourceOptions(parent=self),
        )


def _rule(port: int, protocol: str = "tcp", self_: bool = False, **sources: Any) -> Any:
    rule = {"protocol": protocol, "from_port": port, "to_port": port, **sources}
    if self_:
        rule["self"] = True
    return rule
