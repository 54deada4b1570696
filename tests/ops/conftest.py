"""AWS fakes for the operations commands: moto in-process, or ``moto_server`` on 127.0.0.1 over real HTTP."""

from __future__ import annotations

import argparse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.server import ThreadedMotoServer

from infractl.ops import common

REGION, DR_REGION = "us-east-1", "us-west-2"


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and a default region, and nothing of the developer's own AWS setup."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.fixture
def aws(aws_env: None) -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def moto_server(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A real HTTP endpoint on a free 127.0.0.1 port, reached through ``AWS_ENDPOINT_URL``."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    yield url
    # The server thread shares moto's in-process state: reset it so the next test starts empty.
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=10).close()
    server.stop()


@dataclass
class FakeClock:
    """Time that moves only when slept; ``on_sleep`` lets a test act in the middle of a bake."""

    on_sleep: Callable[[FakeClock], None] | None = None
    time: float = 0.0
    sleeps: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.time += seconds
        self.sleeps.append(seconds)
        if self.on_sleep:
            self.on_sleep(self)

    @property
    def clock(self) -> common.Clock:
        return common.Clock(lambda: self.time, self.sleep)


def run_command(module: Any, argv: list[str], clock: FakeClock) -> int:
    """Run one command module's ``run`` with a fake clock (``cli.main`` always uses real time)."""
    parser = argparse.ArgumentParser()
    module.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return int(args.run(args, clock=clock.clock))


@dataclass
class Alb:
    """An ALB whose HTTPS-like listener forwards web traffic by weight, and an ``/api/*`` rule for api."""

    load_balancer: str
    listener: str
    rule: str
    pools: dict[str, dict[str, str]]  # tier -> colour -> target group ARN
    instances: dict[str, str]  # "web-green" -> instance id
    alarm: str = "web-5xx"

    def outputs(self) -> dict[str, Any]:
        return {
            "aws_https_listener_id": self.listener,
            "aws_api_listener_rule_id": self.rule,
            "aws_target_group_ids": self.pools,
        }

    def weights(self, arn: str | None = None) -> dict[str, int]:
        """Colour -> weight as AWS reports it, for the listener (default) or the rule."""
        elbv2 = boto3.client("elbv2", region_name=REGION)
        arn = arn or self.listener
        if ":listener-rule/" in arn:
            actions = elbv2.describe_rules(RuleArns=[arn])["Rules"][0]["Actions"]
            tier = "api"
        else:
            actions = elbv2.describe_listeners(ListenerArns=[arn])["Listeners"][0]["DefaultActions"]
            tier = "web"
        by_arn = {g["TargetGroupArn"]: g["Weight"] for g in actions[0]["ForwardConfig"]["TargetGroups"]}
        return {colour: by_arn[tg] for colour, tg in self.pools[tier].items() if tg in by_arn}

    def set_alarm(self, state: str, reason: str = "test") -> None:
        boto3.client("cloudwatch", region_name=REGION).set_alarm_state(
            AlarmName=self.alarm, StateValue=state, StateReason=reason
        )


def forward(pools: dict[str, str], blue: int) -> list[dict[str, Any]]:
    return [
        {
            "Type": "forward",
            "ForwardConfig": {
                "TargetGroups": [
                    {"TargetGroupArn": pools["blue"], "Weight": blue},
                    {"TargetGroupArn": pools["green"], "Weight": 100 - blue},
                ]
            },
        }
    ]


def make_alb(name: str = "platform") -> Alb:
    """Build it through boto3, so it works against moto in-process and moto_server alike."""
    ec2 = boto3.client("ec2", region_name=REGION)
    elbv2 = boto3.client("elbv2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{zone}")["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate("ab")
    ]
    lb = elbv2.create_load_balancer(Name=name, Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    pools: dict[str, dict[str, str]] = {}
    instances: dict[str, str] = {}
    for tier in ("web", "api"):
        for colour in ("blue", "green"):
            tg = elbv2.create_target_group(
                Name=f"{name}-{tier}-{colour}", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="instance"
            )["TargetGroups"][0]["TargetGroupArn"]
            instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=subnets[0])
            instances[f"{tier}-{colour}"] = instance["Instances"][0]["InstanceId"]
            elbv2.register_targets(TargetGroupArn=tg, Targets=[{"Id": instances[f"{tier}-{colour}"], "Port": 80}])
            pools.setdefault(tier, {})[colour] = tg
    listener = elbv2.create_listener(
        LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=forward(pools["web"], blue=100)
    )["Listeners"][0]["ListenerArn"]
    rule = elbv2.create_rule(
        ListenerArn=listener,
        Priority=10,
        Conditions=[{"Field": "path-pattern", "Values": ["/api/*"]}],
        Actions=forward(pools["api"], blue=100),
    )["Rules"][0]["RuleArn"]
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    alb = Alb(lb, listener, rule, pools, instances)
    cloudwatch.put_metric_alarm(
        AlarmName=alb.alarm,
        Namespace="AWS/ApplicationELB",
        MetricName="HTTPCode_Target_5XX_Count",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
    )
    alb.set_alarm("OK")
    return alb


def shift_args(alb: Alb, *extra: str) -> list[str]:
    return [
        "shift",
        "--listener-arn",
        alb.listener,
        "--blue-tg",
        alb.pools["web"]["blue"],
        "--green-tg",
        alb.pools["web"]["green"],
        *extra,
    ]
