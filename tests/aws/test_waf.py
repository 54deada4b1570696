"""The web application firewall: managed rules, the app's rate limit at the edge, logs to an encrypted group."""

from __future__ import annotations

import json

import pytest

from components.config import ConfigError, parse
from components.config.aws import waf_rate_limit

ACL = "aws:wafv2/webAcl:WebAcl"
MANAGED = {
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesSQLiRuleSet",
}


@pytest.mark.parametrize(
    ("requests", "window_ms", "expected"),
    [
        (1000, 60000, (1000, 60)),  # SPEC.md's 1000 per 60 s is a window WAF offers
        (1000, 90000, (1334, 120)),  # the next window that covers it, the limit scaled up to keep the rate
        (100, 30000, (200, 60)),  # shorter than any window: the shortest, scaled
        (1000, 3600000, (167, 600)),  # longer than any window: the longest, scaled down
        (5, 60000, (10, 60)),  # never under WAF's minimum of 10
    ],
)
def test_app_rate_limit_maps_onto_a_waf_window(requests, window_ms, expected):
    assert waf_rate_limit(requests, window_ms) == expected


def test_a_rate_beyond_what_waf_counts_is_refused_by_config():
    with pytest.raises(ConfigError) as error:
        parse({"environment": "dev", "app": {"rateLimitRequests": 2_000_000_000, "rateLimitWindow": 1000}})
    assert "app.rateLimitRequests = 2000000000" in str(error.value)
    assert "above its maximum 2000000000" in str(error.value)


def test_regional_acl_allows_by_default_and_runs_the_managed_groups_in_block_mode(plan):
    acl = plan("prod").named(ACL, "web-acl")
    assert acl.inputs["scope"] == "REGIONAL"
    assert acl.inputs["defaultAction"] == {"allow": {}}
    rules = {r["name"]: r for r in acl.inputs["rules"]}
    assert set(rules) == MANAGED | {"rate-limit"}
    for name in MANAGED:
        assert rules[name]["statement"]["managedRuleGroupStatement"] == {"name": name, "vendorName": "AWS"}
        assert rules[name]["overrideAction"] == {"none": {}}  # the groups' own block actions, not count
    assert [r["name"] for r in sorted(acl.inputs["rules"], key=lambda r: r["priority"])][:2] == [
        "AWSManagedRulesAmazonIpReputationList",
        "rate-limit",
    ]
    assert len({r["priority"] for r in acl.inputs["rules"]}) == len(rules)
    assert all(r["visibilityConfig"]["cloudwatchMetricsEnabled"] for r in acl.inputs["rules"])


@pytest.mark.parametrize(
    ("overrides", "limit", "window"),
    [((), 1000, 60), (("app.rateLimitRequests=50", "app.rateLimitWindow=300000"), 50, 300)],
)
def test_rate_rule_blocks_each_client_ip_over_the_app_limit_with_429(plan, overrides, limit, window):
    acl = plan("dev", *overrides).named(ACL, "web-acl")
    (rule,) = [r for r in acl.inputs["rules"] if r["name"] == "rate-limit"]
    assert rule["statement"]["rateBasedStatement"] == {
        "limit": limit,
        "evaluationWindowSec": window,
        "aggregateKeyType": "IP",
    }
    assert rule["action"] == {"block": {"customResponse": {"responseCode": 429}}}


def test_acl_is_associated_with_the_load_balancer(plan):
    p = plan("staging")
    (association,) = p.of_type("aws:wafv2/webAclAssociation:WebAclAssociation")
    assert association.property_dependencies["resourceArn"] == [p.named("aws:lb/loadBalancer:LoadBalancer", "alb").urn]
    assert association.property_dependencies["webAclArn"] == [p.named(ACL, "web-acl").urn]


@pytest.mark.parametrize(("stack", "days"), [("dev", 7), ("prod", 90)])
def test_requests_are_logged_to_an_encrypted_aws_waf_logs_group_with_credentials_redacted(plan, stack, days):
    p = plan(stack)
    group = p.named("aws:cloudwatch/logGroup:LogGroup", "waf-logs")
    assert group.inputs["name"] == f"aws-waf-logs-platform-{stack}"
    assert group.inputs["retentionInDays"] == days
    assert group.property_dependencies["kmsKeyId"] == [p.named("aws:kms/key:Key", "logs").urn]
    (logging,) = p.of_type("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
    assert logging.property_dependencies["logDestinationConfigs"] == [group.urn]
    assert logging.property_dependencies["resourceArn"] == [p.named(ACL, "web-acl").urn]
    assert {f["singleHeader"]["name"] for f in logging.inputs["redactedFields"]} == {"authorization", "cookie"}
    # The delivery service may write to this group's streams, from this account only, before logging starts.
    resource_policy = p.named("aws:cloudwatch/logResourcePolicy:LogResourcePolicy", "waf-logs")
    (statement,) = json.loads(resource_policy.inputs["policyDocument"])["Statement"]
    assert statement["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    assert (
        statement["Resource"]
        == f"arn:aws:logs:us-east-1:123456789012:log-group:aws-waf-logs-platform-{stack}:log-stream:*"
    )
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    assert resource_policy.urn in logging.dependencies


def test_logs_key_lets_cloudwatch_logs_encrypt_the_waf_group(plan):
    policy = json.loads(plan("prod").named("aws:kms/key:Key", "logs").inputs["policy"])
    (statement,) = [s for s in policy["Statement"] if s["Sid"] == "CloudWatchLogsInThisAccount"]
    assert statement["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert {"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"} <= set(statement["Action"])
    pattern = statement["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert pattern == "arn:aws:logs:us-east-1:123456789012:log-group:*"  # covers aws-waf-logs-platform-prod
