"""Application log groups, one per tier, and the metrics the alarms derive from them.

The application logs JSON lines with an ``event`` field; metric filters turn the events
the alarm table cares about (failed logins, API requests) into custom metrics, so alarms
and the dashboard read numbers instead of searching logs. The CloudWatch agent's scrape of
the application's Prometheus metrics lands in its own group (``scrape``), as embedded
metric format events whose selected gauges become metrics in the same namespace.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from ..config import TIERS, PlatformConfig, Tier

# The application's log contract: the ``event`` values these metrics count.
FAILED_LOGIN_EVENT = "login_failed"
API_REQUEST_EVENT = "http_request"


class AppLogs(pulumi.ComponentResource):
    groups: dict[Tier, aws.cloudwatch.LogGroup]
    scrape: aws.cloudwatch.LogGroup
    metric_namespace: str
    failed_logins_metric: str = "FailedLogins"
    api_requests_metric: str = "ApiRequests"

    def __init__(self, name: str, cfg: PlatformConfig, key: aws.kms.Key, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:aws:AppLogs", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.metric_namespace = f"Platform/{cfg.environment}"
        self.groups = {
            tier: aws.cloudwatch.LogGroup(
                tier,
                name=f"/platform/{cfg.environment}/{tier}",
                retention_in_days=cfg.logging.app_retention_days,
                kms_key_id=key.arn,
                tags=cfg.tags_for(f"logs-{tier}"),
                opts=child,
            )
            for tier in TIERS
        }
        self.scrape = aws.cloudwatch.LogGroup(
            "scrape",
            name=f"/platform/{cfg.environment}/prometheus",
            retention_in_days=cfg.logging.app_retention_days,
            kms_key_id=key.arn,
            tags=cfg.tags_for("logs-metrics"),
            opts=child,
        )
        filters = (
            ("failed-logins", self.failed_logins_metric, FAILED_LOGIN_EVENT),
            ("api-requests", self.api_requests_metric, API_REQUEST_EVENT),
        )
        for label, metric, event in filters:
            aws.cloudwatch.LogMetricFilter(
                label,
                name=cfg.name(label),
                log_group_name=self.groups["api"].name,
                pattern=f'{{ $.event = "{event}" }}',
                metric_transformation={
                    "name": metric,
                    "namespace": self.metric_namespace,
                    "value": "1",
                    "default_value": "0",
                    "unit": "Count",
                },
                opts=child,
            )
        self.register_outputs({tier: group.name for tier, group in self.groups.items()})
