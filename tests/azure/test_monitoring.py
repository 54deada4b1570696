"""Log Analytics workspaces, action groups per severity, diagnostic settings and the activity-log export."""

from __future__ import annotations

import pytest

from tests.azure.support import azure_plan, named, refused
from tests.conftest import STACKS

MONITORING = "platform:azure:Monitoring"
WORKSPACE = "azure-native:operationalinsights:Workspace"
ACTION_GROUP = "azure-native:monitor:ActionGroup"
DIAGNOSTICS = "azure-native:monitor:DiagnosticSetting"
ACTIVITY_LOG = "azure-native:monitor:SubscriptionDiagnosticSetting"
ROUTING = {
    "critical": "on-call paging",
    "high": "on-call paging",
    "medium": "operations team",
    "low": "dashboard and daily report",
}


@pytest.mark.parametrize(("stack", "app", "audit"), [("dev", 30, 30), ("staging", 30, 90), ("prod", 90, 365)])
def test_workspace_retention_per_environment(plan, stack, app, audit):
    """SPEC.md's app/audit retention; dev's 7-day app retention is raised to the workspace minimum of 30."""
    workspaces = named(azure_plan(plan, stack), MONITORING, WORKSPACE)
    assert {name: w.inputs["retentionInDays"] for name, w in workspaces.items()} == {
        "monitoring-app": app,
        "monitoring-audit": audit,
    }
    for kind in ("app", "audit"):
        workspace = workspaces[f"monitoring-{kind}"].inputs
        assert workspace["workspaceName"] == f"platform-{stack}-{kind}"
        assert workspace["sku"] == {"name": "PerGB2018"}
        assert workspace["features"]["disableLocalAuth"] is True  # Entra ID only, no shared keys


def test_retention_follows_config_and_refuses_beyond_azure_maximum(plan, capsys):
    workspaces = named(azure_plan(plan, "staging", "logging.auditRetentionDays=400"), MONITORING, WORKSPACE)
    assert workspaces["monitoring-audit"].inputs["retentionInDays"] == 400
    assert refused(capsys, "prod", "logging.auditRetentionDays=1000")[1:] == [
        "platform:logging.auditRetentionDays = 1000: a Log Analytics workspace keeps data at most 730 days"
    ]


@pytest.mark.parametrize("stack", STACKS)
def test_one_action_group_per_severity_routed_per_spec(plan, stack):
    p = azure_plan(plan, stack)
    groups = named(p, MONITORING, ACTION_GROUP)
    assert set(groups) == {f"monitoring-{s}" for s in ROUTING}
    for severity, routing in ROUTING.items():
        group = groups[f"monitoring-{severity}"].inputs
        assert group["actionGroupName"] == f"platform-{stack}-{severity}"
        assert group["location"] == "Global" and group["enabled"] is True
        assert len(group["groupShortName"]) <= 12
        assert group["tags"]["severity"] == severity and group["tags"]["routing"] == routing
        paged = stack == "prod" and severity in ("critical", "high")  # the shipped prod stack pages on-call
        expected = [{"name": f"{severity}-0", "emailAddress": "oncall@example.com", "useCommonAlertSchema": True}]
        assert group["emailReceivers"] == (expected if paged else [])
        assert p.outputs["azure_alarm_topic_ids"].value[severity].endswith(f"/actionGroups/platform-{stack}-{severity}")


def test_subscriptions_become_email_receivers_of_their_severity(plan):
    override = 'alarms.subscriptions={"critical":["oncall@example.com","lead@example.com"],"low":["ops@example.com"]}'
    groups = named(azure_plan(plan, "dev", override), MONITORING, ACTION_GROUP)
    assert [r["emailAddress"] for r in groups["monitoring-critical"].inputs["emailReceivers"]] == [
        "oncall@example.com",
        "lead@example.com",
    ]
    assert groups["monitoring-low"].inputs["emailReceivers"] == [
        {"name": "low-0", "emailAddress": "ops@example.com", "useCommonAlertSchema": True}
    ]
    assert groups["monitoring-high"].inputs["emailReceivers"] == []


@pytest.mark.parametrize("stack", STACKS)
def test_database_cache_and_front_door_send_logs_and_metrics_to_the_app_workspace(plan, stack):
    p = azure_plan(plan, stack)
    settings = named(p, MONITORING, DIAGNOSTICS)
    app = p.named(WORKSPACE, "monitoring-app")
    sources = {
        "database": p.named("azure-native:dbforpostgresql:Server", "database-server"),
        "cache": p.named("azure-native:redis:Redis", "cache-redis"),
        "front-door": p.named("azure-native:cdn:Profile", "front-door-profile"),
        **(
            {"database-replica": p.named("azure-native:dbforpostgresql:Server", "database-replica-server")}
            if stack == "prod"
            else {}
        ),
    }
    for what, resource in sources.items():
        setting = settings[f"monitoring-{what}-app"]
        assert setting.property_dependencies["resourceUri"] == [resource.urn]
        assert setting.property_dependencies["workspaceId"] == [app.urn]
        assert setting.inputs["workspaceId"].endswith(f"/workspaces/platform-{stack}-app")
        assert setting.inputs["logs"] == [{"categoryGroup": "allLogs", "enabled": True}]
        assert setting.inputs["metrics"] == [{"category": "AllMetrics", "enabled": True}]
    assert settings["monitoring-front-door-app"].inputs["resourceUri"].endswith(f"/profiles/platform-{stack}-edge")


@pytest.mark.parametrize("stack", STACKS)
def test_key_vault_audit_logs_go_to_the_audit_workspace(plan, stack):
    p = azure_plan(plan, stack)
    settings = named(p, MONITORING, DIAGNOSTICS)
    audit = p.named(WORKSPACE, "monitoring-audit")
    vaults = {"keys": "keys-vault", **({"dr-keys": "dr-keys-vault"} if stack == "prod" else {})}
    expected = {f"monitoring-{what}-audit" for what in (*vaults, "config-blobs")}
    assert {n for n in settings if n.endswith("-audit")} == expected
    blobs = settings["monitoring-config-blobs-audit"]
    assert blobs.inputs["resourceUri"].endswith("/blobServices/default")
    assert blobs.property_dependencies["resourceUri"] == [
        p.named("azure-native:storage:StorageAccount", "storage-config").urn
    ]
    for what, vault_name in vaults.items():
        setting = settings[f"monitoring-{what}-audit"]
        vault = p.named("azure-native:keyvault:Vault", vault_name)
        assert setting.property_dependencies["resourceUri"] == [vault.urn]
        assert setting.property_dependencies["workspaceId"] == [audit.urn]
        assert setting.inputs["logs"] == [{"categoryGroup": "audit", "enabled": True}]
        assert "metrics" not in setting.inputs


@pytest.mark.parametrize("stack", STACKS)
def test_activity_log_is_exported_to_the_audit_workspace(plan, stack):
    p = azure_plan(plan, stack)
    export = p.named(ACTIVITY_LOG, "monitoring-activity-log")
    assert export.property_dependencies["workspaceId"] == [p.named(WORKSPACE, "monitoring-audit").urn]
    assert export.inputs["workspaceId"].endswith(f"/workspaces/platform-{stack}-audit")
    assert export.inputs["name"] == f"platform-{stack}-activity-log"
    assert [log["category"] for log in export.inputs["logs"]] == ["Administrative", "Security", "Policy"]
    assert all(log["enabled"] for log in export.inputs["logs"])
