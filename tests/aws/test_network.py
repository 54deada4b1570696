"""Network: subnets per AZ, no internet path for data, and SPEC.md's security-group rules."""

from __future__ import annotations

import pytest

from tests.conftest import STACKS

SG = "aws:ec2/securityGroup:SecurityGroup"


def _sg(plan, name, component="network"):
    return plan.named(SG, f"{component}-{name}")


def _ports(rules):
    return sorted((r["fromPort"], r["toPort"]) for r in rules)


@pytest.mark.parametrize(("stack", "zones", "nats"), [("dev", 2, 1), ("staging", 3, 1), ("prod", 3, 3)])
def test_subnets_span_zones_and_nat_per_environment(plan, stack, zones, nats):
    p = plan(stack)
    subnets = [r for r in p.children("platform:aws:Network", "network") if r.type == "aws:ec2/subnet:Subnet"]
    by_tier = {tier: [s for s in subnets if s.inputs["tags"]["tier"] == tier] for tier in ("public", "private", "data")}
    assert all(len(group) == zones for group in by_tier.values())
    assert len({s.inputs["availabilityZone"] for s in by_tier["private"]}) == zones
    assert not any(s.inputs["mapPublicIpOnLaunch"] for s in subnets)
    nat = [r for r in p.children("platform:aws:Network", "network") if r.type == "aws:ec2/natGateway:NatGateway"]
    assert len(nat) == nats


def test_data_subnets_have_no_route_out(plan):
    for network in ("network", "dr-network"):
        table = plan("prod").named("aws:ec2/routeTable:RouteTable", f"{network}-data")
        assert table.inputs.get("routes", []) == []


def test_only_the_load_balancer_is_public(plan):
    p = plan("prod")
    lb = _sg(p, "lb-sg")
    assert _ports(lb.inputs["ingress"]) == [(80, 80), (443, 443)]
    assert all(rule["cidrBlocks"] == ["0.0.0.0/0"] for rule in lb.inputs["ingress"])
    for name in ("app-sg", "database-sg", "cache-sg"):
        for rule in _sg(p, name).inputs.get("ingress", []):
            assert "0.0.0.0/0" not in rule.get("cidrBlocks", []), name


def test_database_and_cache_only_from_app_tier_and_the_database_from_its_password_rotation(plan):
    p = plan("staging")
    for name, port, sources in (("database-sg", 5432, ["app-sg", "rotation-sg"]), ("cache-sg", 6379, ["app-sg"])):
        rules = _sg(p, name).inputs["ingress"]
        assert _ports(rules) == [(port, port)] * len(sources)
        for rule in rules:
            assert len(rule["securityGroups"]) == 1 and rule["securityGroups"][0].startswith("sg-0")
            assert "cidrBlocks" not in rule
        assert sorted(p.by_urn(u).name for u in _sg(p, name).property_dependencies["ingress"]) == [
            f"network-{source}" for source in sources
        ]


def test_rotation_function_reaches_only_postgres_and_https(plan):
    p = plan("prod")
    rotation = _sg(p, "rotation-sg")
    assert rotation.inputs["ingress"] == []
    egress = {r["fromPort"]: r for r in rotation.inputs["egress"]}
    assert set(egress) == {5432, 443}
    assert egress[5432]["cidrBlocks"] == ["10.0.0.0/16"]  # the database, inside the VPC
    assert egress[443]["cidrBlocks"] == ["0.0.0.0/0"]  # Secrets Manager's endpoint, through NAT
    # The DR network's replica takes the password from the primary: nothing rotates there.
    assert not [r for r in p.of_type(SG) if r.name == "dr-network-rotation-sg"]


@pytest.mark.parametrize("stack", STACKS)
def test_no_ssh_by_default(plan, stack):
    assert all(rule["fromPort"] != 22 for rule in _sg(plan(stack), "app-sg").inputs["ingress"])


def test_ssh_only_from_configured_private_range(plan):
    rules = _sg(plan("dev", 'security.sshCidrs=["10.20.0.0/16"]'), "app-sg").inputs["ingress"]
    (ssh,) = [r for r in rules if r["fromPort"] == 22]
    assert ssh["cidrBlocks"] == ["10.20.0.0/16"]


def test_flow_logs_capture_everything_encrypted(plan):
    p = plan("staging")
    flow = p.named("aws:ec2/flowLog:FlowLog", "network-flow-logs")
    assert flow.inputs["trafficType"] == "ALL"
    group = p.named("aws:cloudwatch/logGroup:LogGroup", "network-flow-logs")
    assert group.inputs["retentionInDays"] == 30
    assert group.inputs["kmsKeyId"].startswith("arn:aws:kms:us-east-1:")


def test_dr_network_only_in_prod_without_internet(plan):
    assert not plan("staging").children("platform:aws:Network", "dr-network")
    dr = plan("prod").children("platform:aws:Network", "dr-network")
    types = {r.type for r in dr}
    assert "aws:ec2/internetGateway:InternetGateway" not in types
    assert "aws:ec2/natGateway:NatGateway" not in types
    vpc = next(r for r in dr if r.type == "aws:ec2/vpc:Vpc")
    assert vpc.inputs["cidrBlock"] == "10.1.0.0/16"
    assert "aws-dr" in vpc.provider


def test_network_children_are_named_after_their_network(plan):
    """Two networks in one stack must not collide: resource names carry the network's name."""
    for network in ("network", "dr-network"):
        names = {r.name for r in plan("prod").children("platform:aws:Network", network)}
        assert names and all(n.startswith(f"{network}-") for n in names)
