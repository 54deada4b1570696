"""The web application firewall in front of the load balancer: a WAFv2 web ACL (REGIONAL) with AWS managed rules.

SPEC.md: public load balancers sit behind a web application firewall. Requests pass, in order:

- AWS's IP reputation list (sources Amazon threat intelligence flags: bots, scanners, DDoS hosts),
- a rate limit per client IP derived from the app's own (``app.rateLimitRequests`` per
  ``app.rateLimitWindow``, mapped onto a window WAF offers by ``aws.waf_rate_limit``), answering 429,
- known bad inputs (Log4Shell-style and other exploit payloads), the common rule set (OWASP Top 10
  patterns; note its SizeRestrictions_BODY blocks bodies over 8 KB), and SQL injection.

Managed groups run in their own block mode (override ``none``). Every request is logged to a log
group on the logs key whose name WAF requires to start with ``aws-waf-logs-``, with the
authorization and cookie headers redacted, kept for the app log retention like the ALB's access logs.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from ..config import PlatformConfig
from ..config.aws import waf_rate_limit
from .iam import policy_document
from .load_balancer import BlueGreenLoadBalancer

# AWS managed rule groups, by priority after the rate limit; the IP reputation list comes before it.
IP_REPUTATION = "AWSManagedRulesAmazonIpReputationList"
MANAGED_RULE_GROUPS = (
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesSQLiRuleSet",
)
RATE_LIMIT_RULE = "rate-limit"
TOO_MANY_REQUESTS = 429
LOG_GROUP_PREFIX = "aws-waf-logs-"  # WAF refuses a log group named otherwise
REDACTED_HEADERS = ("authorization", "cookie")


def _visibility(metric: str) -> Any:
    return {"cloudwatch_metrics_enabled": True, "metric_name": metric, "sampled_requests_enabled": True}


def _managed(name: str, priority: int) -> dict[str, Any]:
    return {
        "name": name,
        "priority": priority,
        "override_action": {"none": {}},
        "statement": {"managed_rule_group_statement": {"name": name, "vendor_name": "AWS"}},
        "visibility_config": _visibility(name),
    }


def rules(cfg: PlatformConfig) -> list[Any]:
    """The web ACL's rules, lowest priority evaluated first."""
    limit, window = waf_rate_limit(cfg.app.rate_limit_requests, cfg.app.rate_limit_window)
    rate = {
        "name": RATE_LIMIT_RULE,
        "priority": 1,
        "action": {"block": {"custom_response": {"response_code": TOO_MANY_REQUESTS}}},
        "statement": {
            "rate_based_statement": {"limit": limit, "evaluation_window_sec": window, "aggregate_key_type": "IP"}
        },
        "visibility_config": _visibility(RATE_LIMIT_RULE),
    }
    return [_managed(IP_REPUTATION, 0), rate, *(_managed(g, 2 + i) for i, g in enumerate(MANAGED_RULE_GROUPS))]


class WebFirewall(pulumi.ComponentResource):
    web_acl: aws.wafv2.WebAcl
    log_group: aws.cloudwatch.LogGroup

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        load_balancer: BlueGreenLoadBalancer,
        logs_key: aws.kms.Key,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("platform:aws:WebFirewall", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = cfg.tags_for("waf")
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        self.web_acl = aws.wafv2.WebAcl(
            "web-acl",
            name=cfg.name("web-acl"),
            description=f"{cfg.name()} load balancer: AWS managed rules and the app's rate limit",
            scope="REGIONAL",
            default_action={"allow": {}},  # what no rule blocks passes
            rules=rules(cfg),
            visibility_config=_visibility(cfg.name("web-acl")),
            tags=tags,
            opts=child,
        )
        aws.wafv2.WebAclAssociation(
            "load-balancer", resource_arn=load_balancer.lb.arn, web_acl_arn=self.web_acl.arn, opts=child
        )
        self.log_group = aws.cloudwatch.LogGroup(
            "waf-logs",
            name=f"{LOG_GROUP_PREFIX}{cfg.name()}",
            retention_in_days=cfg.logging.app_retention_days,
            kms_key_id=logs_key.arn,
            tags=tags,
            opts=child,
        )
        # The vended-logs delivery service writes WAF's logs; WAF would add this policy itself if the deployer may
        # (and fail at the account's limit of 10 resource policies), so it is declared here instead.
        delivery = aws.cloudwatch.LogResourcePolicy(
            "waf-logs",
            policy_name=cfg.name("waf-log-delivery"),
            policy_document=policy_document(
                {
                    "Sid": "WafLogDelivery",
                    "Effect": "Allow",
                    "Principal": {"Service": "delivery.logs.amazonaws.com"},
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": pulumi.Output.concat(self.log_group.arn, ":log-stream:*"),
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": account_id},
                        "ArnLike": {
                            "aws:SourceArn": pulumi.Output.concat(
                                "arn:aws:logs:", cfg.aws.region, ":", account_id, ":*"
                            )
                        },
                    },
                }
            ),
            opts=child,
        )
        aws.wafv2.WebAclLoggingConfiguration(
            "web-acl",
            resource_arn=self.web_acl.arn,
            log_destination_configs=[self.log_group.arn],
            redacted_fields=[{"single_header": {"name": header}} for header in REDACTED_HEADERS],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[delivery]),
        )
        self.register_outputs({"web_acl_arn": self.web_acl.arn})
