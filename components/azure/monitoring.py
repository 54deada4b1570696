"""Log Analytics workspaces (app and audit), an action group per severity, diagnostic settings, activity-log export.

- ``app`` keeps resource logs and metrics ``logging.appRetentionDays``; ``audit`` keeps the subscription's
  activity log (who changed what: Administrative, Security, Policy) and data-plane audit logs
  ``logging.auditRetentionDays``. A PerGB2018 workspace keeps data 30 to 730 days, so dev's 7-day app retention
  is raised to 30 (config refuses a retention above 730 days rather than have it silently cut).
- Action groups follow SPEC.md's routing: critical and high page on-call, medium reaches the operations team,
  low feeds the dashboard and daily report. Receivers are ``alarms.subscriptions``' e-mail addresses; other
  teams subscribe by adding receivers to the group (its id is the ``alarm_topic_ids`` output).
- Resource logs land in the workspaces in Azure-diagnostics mode (the ``AzureDiagnostics`` table), which the
  log alerts in ``alarms.py`` query.

Not here: customer-managed keys for the workspaces need a dedicated Log Analytics cluster (a 100 GB/day
commitment tier), out of proportion for these volumes; the workspaces use Microsoft-managed keys.
"""

from __future__ import annotations

from typing import Literal

import pulumi
from pulumi_azure_native import monitor, operationalinsights

from ..config import SEVERITIES, PlatformConfig, Severity
from ..config.azure import MIN_WORKSPACE_RETENTION_DAYS

Workspace = Literal["app", "audit"]

WORKSPACE_SKU = "PerGB2018"
ACTION_GROUP_SHORT_NAME_LENGTH = 12  # Azure's limit; the short name is the sender shown in e-mail and SMS
# The activity-log categories that record configuration changes (SPEC.md: audit logging of configuration changes).
ACTIVITY_LOG_CATEGORIES = ("Administrative", "Security", "Policy")
ROUTING: dict[Severity, str] = {
    "critical": "on-call paging",
    "high": "on-call paging",
    "medium": "operations team",
    "low": "dashboard and daily report",
}
# What each workspace receives from a resource's diagnostic setting.
LOG_CATEGORY_GROUP: dict[Workspace, str] = {"app": "allLogs", "audit": "audit"}


def workspace_retention(cfg: PlatformConfig) -> dict[Workspace, int]:
    """Each workspace's retention: the configured days, raised to Azure's minimum (config checks the maximum)."""
    logs = cfg.logging
    return {
        "app": max(logs.app_retention_days, MIN_WORKSPACE_RETENTION_DAYS),
        "audit": max(logs.audit_retention_days, MIN_WORKSPACE_RETENTION_DAYS),
    }


class Monitoring(pulumi.ComponentResource):
    workspaces: dict[Workspace, operationalinsights.Workspace]
    action_groups: dict[Severity, monitor.ActionGroup]
    activity_log: monitor.SubscriptionDiagnosticSetting

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        resource_group: pulumi.Input[str],
        location: str,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("platform:azure:Monitoring", name, None, opts)
        self._name = name
        child = pulumi.ResourceOptions(parent=self)
        tags = cfg.tags_for("monitoring")
        self.workspaces = {
            kind: operationalinsights.Workspace(
                f"{name}-{kind}",
                resource_group_name=resource_group,
                workspace_name=cfg.name(kind),
                location=location,
                sku={"name": WORKSPACE_SKU},
                retention_in_days=days,
                # Readers and writers authenticate with Entra ID; the shared keys cannot be used. The audit
                # workspace answers only those granted on it (access.py): no query in a resource's context.
                features={
                    "disable_local_auth": True,
                    "enable_log_access_using_only_resource_permissions": kind == "app",
                },
                tags={**tags, "log-kind": kind},
                opts=child,
            )
            for kind, days in workspace_retention(cfg).items()
        }
        self.action_groups = {
            severity: monitor.ActionGroup(
                f"{name}-{severity}",
                resource_group_name=resource_group,
                action_group_name=cfg.name(severity),
                group_short_name=f"{cfg.environment[:4]}-{severity}"[:ACTION_GROUP_SHORT_NAME_LENGTH],
                location="Global",
                enabled=True,
                email_receivers=[
                    {"name": f"{severity}-{i}", "email_address": email, "use_common_alert_schema": True}
                    for i, email in enumerate(cfg.alarms.subscriptions.get(severity, []))
                ],
                tags={**tags, "severity": severity, "routing": ROUTING[severity]},
                opts=child,
            )
            for severity in SEVERITIES
        }
        self.activity_log = monitor.SubscriptionDiagnosticSetting(
            f"{name}-activity-log",
            name=cfg.name("activity-log"),
            workspace_id=self.workspaces["audit"].id,
            logs=[{"category": category, "enabled": True} for category in ACTIVITY_LOG_CATEGORIES],
            opts=child,
        )
        self.register_outputs({})

    def diagnostics(
        self, what: str, resource_id: pulumi.Input[str], workspace: Workspace = "app"
    ) -> monitor.DiagnosticSetting:
        """Send a resource's logs (all of them to ``app``, its audit logs to ``audit``) and metrics to a workspace."""
        return monitor.DiagnosticSetting(
            f"{self._name}-{what}-{workspace}",
            resource_uri=resource_id,
            name=f"platform-{workspace}",
            workspace_id=self.workspaces[workspace].id,
            logs=[{"category_group": LOG_CATEGORY_GROUP[workspace], "enabled": True}],
            metrics=[{"category": "AllMetrics", "enabled": True}] if workspace == "app" else None,
            opts=pulumi.ResourceOptions(parent=self),
        )
