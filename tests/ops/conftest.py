"""AWS fakes for the operations commands: moto in-process, or ``moto_server`` on 127.0.0.1 over real HTTP.

Faults are real too: :class:`Faults` answers chosen calls through botocore's own ``before-call``
hook (so a command sees exactly the ClientError, connection error or reply AWS would give),
:func:`junk_endpoint` is an HTTP server that answers garbage, and :class:`Relay` is a TCP relay in
front of moto_server that can drop every connection mid-shift and come back on the same port.
"""

from __future__ import annotations

import argparse
import contextlib
import http.server
import socket
import threading
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.server import ThreadedMotoServer

from infractl.ops import common, lease

REGION, DR_REGION = "us-east-1", "us-west-2"
COLOURS = ("blue", "green")


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
def fast_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    """One attempt per call: a dead endpoint fails at once instead of after botocore's retries."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")


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
class Fault:
    operation: str  # botocore's operation name, e.g. "ModifyListener"
    # Raised; or returned as the parsed reply (with "status" >= 300 it is an error); or called, and the call goes on.
    answer: Exception | dict[str, Any] | Callable[[], None]
    region: str | None = None  # only calls from clients of this region
    skip: int = 0  # let this many matching calls through first
    times: int | None = None  # then answer this many (None: every one)


@dataclass
class Faults:
    """Canned answers for chosen API calls; every other call goes to moto."""

    rules: list[Fault] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)  # every operation made, in order

    def add(self, operation: str, answer: Exception | dict[str, Any] | Callable[[], None], **match: Any) -> Faults:
        self.rules.append(Fault(operation, answer, **match))
        return self

    def error(self, operation: str, code: str, message: str = "injected", **match: Any) -> Faults:
        return self.add(operation, {"Error": {"Code": code, "Message": message}, "status": 400}, **match)

    def clear(self) -> None:
        self.rules.clear()

    def __call__(self, model: Any, context: dict[str, Any], **_: Any) -> Any:
        self.calls.append(model.name)
        for rule in self.rules:
            if rule.operation != model.name or rule.region not in (None, context.get("client_region")):
                continue
            if rule.skip:
                rule.skip -= 1
                return None
            if rule.times is not None:
                if rule.times == 0:
                    continue
                rule.times -= 1
            if isinstance(rule.answer, Exception):
                raise rule.answer
            if callable(rule.answer):
                rule.answer()
                return None
            reply = {k: v for k, v in rule.answer.items() if k != "status"}
            status = rule.answer.get("status", 200)
            return _Http(status), {**reply, "ResponseMetadata": {"HTTPStatusCode": status}}
        return None


@dataclass
class _Http:
    status_code: int
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""


@pytest.fixture
def faults() -> Iterator[Faults]:
    """Hooked into boto3's default session, which every command's clients come from."""
    boto3.setup_default_session()
    hook = Faults()
    assert boto3.DEFAULT_SESSION is not None
    boto3.DEFAULT_SESSION.events.register("before-call", hook)
    yield hook
    boto3.DEFAULT_SESSION = None


def client_error(code: str, operation: str = "Call") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "injected"}}, operation)


@pytest.fixture
def junk_endpoint(
    aws_env: None, fast_failures: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[int], None]]:
    """An HTTP server answering every request with an HTML page; the function sets the status it uses."""
    status = [200]

    class Handler(http.server.BaseHTTPRequestHandler):
        def answer(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            body = b"<html><body>Sign in to continue{"
            self.send_response(status[0])
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = answer  # noqa: N815 (http.server's method names)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{server.server_port}")
    yield lambda code: status.__setitem__(0, code)
    server.shutdown()
    server.server_close()


class Relay:
    """A TCP relay to ``target``: :meth:`cut` drops every connection and refuses new ones, :meth:`restore` reopens.

    moto_server keeps serving keep-alive connections after it is stopped, so an endpoint is lost
    for real only by cutting the sockets in between.
    """

    def __init__(self, target: str):
        self.target = ("127.0.0.1", int(target.rsplit(":", 1)[1]))
        self.sockets: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._serve()

    def _serve(self) -> None:
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.sockets |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.listener.close()
        with self.lock:
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.sockets.clear()

    def restore(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self._serve()


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
    rollback_alarms: dict[str, str] = field(default_factory=dict)  # colour -> its rollback alarm (outputs v2)

    def outputs(self) -> dict[str, Any]:
        return {
            "aws_https_listener_id": self.listener,
            "aws_api_listener_rule_id": self.rule,
            "aws_target_group_ids": self.pools,
            "aws_rollback_alarm_ids": {colour: [name] for colour, name in self.rollback_alarms.items()},
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

    def set_alarm(self, state: str, reason: str = "test", name: str | None = None) -> None:
        boto3.client("cloudwatch", region_name=REGION).set_alarm_state(
            AlarmName=name or self.alarm, StateValue=state, StateReason=reason
        )

    def leases(self, arn: str | None = None) -> dict[str, str]:
        """The lease tags on the listener (default) or rule: key -> "<who> until <time>"."""
        tags = boto3.client("elbv2", region_name=REGION).describe_tags(ResourceArns=[arn or self.listener])
        return {t["Key"]: t["Value"] for t in tags["TagDescriptions"][0]["Tags"] if t["Key"].startswith(lease.PREFIX)}

    def set_weights(self, blue: int, arn: str | None = None) -> None:
        """Move traffic as someone else would (the console, another tool)."""
        elbv2 = boto3.client("elbv2", region_name=REGION)
        if arn and ":listener-rule/" in arn:
            elbv2.modify_rule(RuleArn=arn, Actions=forward(self.pools["api"], blue))
        else:
            elbv2.modify_listener(ListenerArn=arn or self.listener, DefaultActions=forward(self.pools["web"], blue))


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
    alb = Alb(lb, listener, rule, pools, instances, rollback_alarms={c: f"{name}-{c}-rollback" for c in COLOURS})
    for alarm in (alb.alarm, *alb.rollback_alarms.values()):
        cloudwatch.put_metric_alarm(
            AlarmName=alarm,
            Namespace="AWS/ApplicationELB",
            MetricName="HTTPCode_Target_5XX_Count",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanThreshold",
        )
        alb.set_alarm("OK", name=alarm)
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
