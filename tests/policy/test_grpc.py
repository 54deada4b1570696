"""The pack serves the analyzer protocol as the engine calls it (started as pulumi-analyzer-policy-python does)."""

from __future__ import annotations

from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2

from infractl.analyzer import Analyzer, struct
from policies.rules.catalog import POLICIES

SG = "aws:ec2/securityGroup:SecurityGroup"
URN = f"urn:pulumi:test::p::{SG}::open"
OPEN = {"ingress": [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}]}


def test_pack_answers_analyze_and_analyze_stack() -> None:
    with Analyzer() as pack:
        info = pack.stub.GetAnalyzerInfo(empty_pb2.Empty())
        assert info.name == "platform-policies" and {p.name for p in info.policies} == {p.name for p in POLICIES}
        assert all(p.enforcementLevel == analyzer_pb2.MANDATORY and p.remediation_steps for p in info.policies)
        pack.stub.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig={}))

        response = pack.stub.Analyze(
            analyzer_pb2.AnalyzeRequest(type=SG, properties=struct(OPEN), urn=URN, name="open")
        )
        assert [d.policyName for d in response.diagnostics] == [
            "restricted-ingress",
            "restricted-ingress",
            "required-tags",
        ]
        assert "SSH is open to 0.0.0.0/0" in response.diagnostics[1].message
        assert response.diagnostics[0].enforcementLevel == analyzer_pb2.MANDATORY

        stack = analyzer_pb2.AnalyzeStackRequest(
            resources=[analyzer_pb2.AnalyzerResource(type=SG, properties=struct(OPEN), urn=URN, name="open")]
        )
        (diagnostic,) = pack.stub.AnalyzeStack(stack).diagnostics
        assert diagnostic.policyName == "public-ingress-only-on-load-balancers" and diagnostic.urn == URN
