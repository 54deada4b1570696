"""What config accepts, the program can build: the smallest ranges it allows carve and plan, and output stays JSON.

test_config_validators.py refuses each value a cloud would reject; these run the real program at the
edges config still accepts, so the up-front checks and the carving in each network.py cannot drift apart.
"""

from __future__ import annotations

import ipaddress
import json

import pytest

from infractl import cli


def test_the_smallest_azure_address_spaces_carve_every_subnet(plan):
    prod = plan("prod", 'clouds=["azure"]', "azure.addressSpace=10.2.0.0/22", "azure.drAddressSpace=10.3.0.0/22")
    subnets = prod.of_type("azure-native:network:Subnet")
    by_space = {
        space: sorted(
            s.inputs["subnetName"]
            for s in subnets
            if ipaddress.ip_network(s.inputs["addressPrefix"]).subnet_of(ipaddress.ip_network(space))
        )
        for space in ("10.2.0.0/22", "10.3.0.0/22")
    }
    assert by_space["10.2.0.0/22"] == ["app", "data", "endpoints"]
    assert by_space["10.3.0.0/22"]  # the DR network, carved from its own /22
    assert len(by_space["10.2.0.0/22"]) + len(by_space["10.3.0.0/22"]) == len(subnets)


def test_the_smallest_gcp_ranges_hold_the_subnet_and_private_services(plan):
    dev = plan("dev", 'clouds=["gcp"]', "gcp.subnetCidr=10.4.0.0/25", "gcp.privateServicesCidr=10.6.0.0/24")
    (subnet,) = dev.of_type("gcp:compute/subnetwork:Subnetwork")
    services = dev.named("gcp:compute/globalAddress:GlobalAddress", "private-services")
    assert subnet.inputs["ipCidrRange"] == "10.4.0.0/25"
    assert (services.inputs["address"], services.inputs["prefixLength"]) == ("10.6.0.0", 24)


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("aws.vpcCidr=10.0.0.0/17", 'platform:aws.vpcCidr = "10.0.0.0/17": must be a /16'),
        (
            "alarms.cpuPercent.warning=nan",
            'platform:alarms.cpuPercent.warning = "nan": Input should be a finite number',
        ),
        ("compute.web.target=inf", 'platform:compute.web.target = "inf": Input should be a finite number'),
        ('featureFlags={"rolloutGrowthPercent": 1e999}', "1e999 is not a finite number"),
        ("aws:maxRetries=[NaN]", "NaN is not a finite number"),
        (
            "cache.snapshotWindow=99:99-99:99",
            'platform:cache.snapshotWindow = "99:99-99:99": must be a daily UTC window',
        ),
        ("backup.dailySchedule=cron(*/5 * * * ? *)", "AWS Backup runs jobs at least 60 minutes apart"),
    ],
)
def test_values_the_clouds_reject_exit_2_before_any_output(capsys, override, expected):
    code = cli.main(["plan", "--stack", "staging", "--format", "json", "--config", override])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert expected in err


def test_json_plan_output_is_strict_json(capsys):
    """No NaN or Infinity can reach the output: config refuses them, so a strict parser reads every plan."""

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} in the JSON plan")

    assert cli.main(["plan", "--stack", "prod", "--format", "json"]) == 0
    plan = json.loads(capsys.readouterr().out, parse_constant=refuse)
    assert plan["stack"] == "prod"
