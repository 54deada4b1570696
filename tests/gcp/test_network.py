"""VPC: subnets per region with flow logs, Cloud NAT, private service access, firewall rules."""

from __future__ import annotations

import pytest

from tests.conftest import STACKS
from tests.gcp.support import gcp_plan, named, only

NETWORK = "platform:gcp:Network"
FIREWALL = "gcp:compute/firewall:Firewall"


def _firewalls(p) -> dict:
    return named(p, NETWORK, FIREWALL)


@pytest.mark.parametrize(("stack", "regions"), [("dev", 1), ("staging", 1), ("prod", 2)])
def test_subnet_and_nat_per_region_with_flow_logs(plan, stack, regions):
    p = gcp_plan(plan, stack)
    vpc = only(p, NETWORK, "gcp:compute/network:Network")
    assert vpc.inputs["autoCreateSubnetworks"] is False
    subnets = named(p, NETWORK, "gcp:compute/subnetwork:Subnetwork")
    assert len(subnets) == regions
    assert subnets["primary"].inputs["ipCidrRange"] == "10.4.0.0/20"
    for subnet in subnets.values():
        assert subnet.inputs["privateIpGoogleAccess"] is True
        assert subnet.inputs["logConfig"] == {
            "aggregationInterval": "INTERVAL_1_MIN",
            "flowSampling": 1.0,
            "metadata": "INCLUDE_ALL_METADATA",
        }
    nats = named(p, NETWORK, "gcp:compute/routerNat:RouterNat")
    assert set(nats) == set(subnets)
    assert all(n.inputs["logConfig"]["enable"] is True for n in nats.values())
    if stack == "prod":
        assert subnets["dr"].inputs["region"] == "us-east1"


@pytest.mark.parametrize("stack", STACKS)
def test_private_service_access_for_cloud_sql_and_memorystore(plan, stack):
    p = gcp_plan(plan, stack)
    reserved = only(p, NETWORK, "gcp:compute/globalAddress:GlobalAddress")
    assert (reserved.inputs["purpose"], reserved.inputs["addressType"]) == ("VPC_PEERING", "INTERNAL")
    assert (reserved.inputs["address"], reserved.inputs["prefixLength"]) == ("10.6.0.0", 16)
    peering = only(p, NETWORK, "gcp:servicenetworking/connection:Connection")
    assert peering.inputs["service"] == "servicenetworking.googleapis.com"
    assert peering.inputs["reservedPeeringRanges"] == ["platform-" + stack + "-private-services"]


@pytest.mark.parametrize("stack", STACKS)
def test_only_google_front_end_reaches_the_app_and_no_ssh_by_default(plan, stack):
    rules = _firewalls(gcp_plan(plan, stack))
    assert set(rules) == {
        "allow-lb-to-app",
        "allow-app-to-app",
        "allow-app-to-data",
        "deny-data-from-others",
        "deny-all-ingress",
    }
    lb = rules["allow-lb-to-app"].inputs
    assert lb["sourceRanges"] == ["130.211.0.0/22", "35.191.0.0/16"]
    assert lb["allows"] == [{"protocol": "tcp", "ports": ["8080"]}]
    for rule in rules.values():
        assert rule.inputs["logConfig"] == {"metadata": "INCLUDE_ALL_METADATA"}
        if "0.0.0.0/0" in rule.inputs.get("sourceRanges", []):
            assert "allows" not in rule.inputs  # the internet is only ever denied


@pytest.mark.parametrize("stack", STACKS)
def test_postgres_and_redis_only_from_the_app_tier(plan, stack):
    rules = _firewalls(gcp_plan(plan, stack))
    allow, deny = rules["allow-app-to-data"].inputs, rules["deny-data-from-others"].inputs
    app = ["platform-" + stack + "-app@platform-example.iam.gserviceaccount.com"]
    assert allow["direction"] == deny["direction"] == "EGRESS"
    assert allow["destinationRanges"] == deny["destinationRanges"] == ["10.6.0.0/16"]
    assert allow["targetServiceAccounts"] == app
    assert allow["allows"] == [{"protocol": "tcp", "ports": ["5432", "6378", "6379"]}]
    assert "targetServiceAccounts" not in deny and deny["denies"] == [{"protocol": "all"}]
    assert allow["priority"] < deny["priority"]
    assert rules["allow-app-to-app"].inputs["sourceServiceAccounts"] == app


def test_ssh_only_from_the_configured_private_range(plan):
    rules = _firewalls(gcp_plan(plan, "dev", 'security.sshCidrs=["10.20.0.0/16"]'))
    ssh = rules["allow-ssh"].inputs
    assert ssh["sourceRanges"] == ["10.20.0.0/16"]
    assert ssh["allows"] == [{"protocol": "tcp", "ports": ["22"]}]
