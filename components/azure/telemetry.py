"""What the instances report: the Azure Monitor agent's data collection rule, and Prometheus metrics.

- **Azure Monitor agent** (the ``AzureMonitorLinuxAgent`` extension on every scale set, signing in with the
  scale sets' user-assigned identity) with one data collection rule: memory % and disk % (the guest's
  ``% Used Memory`` and ``% Used Space``, which the host cannot see: SPEC.md's disk % alarm reads them) and
  the containers' logs (Docker's syslog driver on facility ``local0``) into the app workspace's ``Perf`` and
  ``Syslog`` tables. Performance counters and syslog through a DCR are the agent's documented, generally
  available data sources on Linux.
- **Prometheus metrics** (SPEC.md: ``compute.metricsPort`` ``compute.metricsPath`` every
  ``compute.scrapeIntervalSeconds``) go to an Azure Monitor workspace (managed Prometheus). The agent's own
  Prometheus scraping on VMs is not generally available; the documented GA path for VMs and scale sets is
  Prometheus remote-write with a user-assigned managed identity: an agent-mode Prometheus on each instance
  scrapes the application and writes to this data collection endpoint and rule, where the identity holds
  Monitoring Metrics Publisher. The agent runs as the upstream image (``azure.metricsAgentImage``) because
  Debian's and Ubuntu's ``prometheus`` packages are built without remote-write's Azure AD authentication.
  Prometheus rule groups on the workspace alert on what the application exports (the connection pool).
"""

from __future__ import annotations

import pulumi
from pulumi_azure_native import monitor, operationalinsights

from ..config import PlatformConfig
from .common import client_config, grant

PROMETHEUS_STREAM = "Microsoft-PrometheusMetrics"
REMOTE_WRITE_API_VERSION = "2023-04-24"
CONTAINER_LOG_FACILITY = "local0"  # Docker's syslog driver tags container output with this facility
# Linux counters of the Azure Monitor agent: what the host metrics lack (memory used, file-system space used).
PERF_COUNTERS = ("Memory(*)\\% Used Memory", "Logical Disk(*)\\% Used Space")
PERF_SAMPLE_SECONDS = 60  # one sample a minute: the finest window the alerts evaluate
SYSLOG_LEVELS = ["Info", "Notice", "Warning", "Error", "Critical", "Alert", "Emergency"]


class Telemetry(pulumi.ComponentResource):
    prometheus_workspace: monitor.AzureMonitorWorkspace
    endpoint: monitor.DataCollectionEndpoint
    prometheus_rule: monitor.DataCollectionRule
    agent_rule: monitor.DataCollectionRule
    remote_write_url: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        resource_group: pulumi.Input[str],
        location: str,
        workspace: operationalinsights.Workspace,
        publisher_principal_id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ):
        """``publisher_principal_id``: the identity the instances sign in with (writes metrics)."""
        super().__init__("platform:azure:Telemetry", name, None, opts)
        self._name = name
        child = pulumi.ResourceOptions(parent=self)
        tags = cfg.tags_for("monitoring")
        self.prometheus_workspace = monitor.AzureMonitorWorkspace(
            f"{name}-prometheus",
            resource_group_name=resource_group,
            azure_monitor_workspace_name=cfg.name("prometheus"),
            location=location,
            tags=tags,
            opts=child,
        )
        self.endpoint = monitor.DataCollectionEndpoint(
            f"{name}-endpoint",
            resource_group_name=resource_group,
            data_collection_endpoint_name=cfg.name("metrics"),
            location=location,
            kind="Linux",
            tags=tags,
            opts=child,
        )
        self.prometheus_rule = monitor.DataCollectionRule(
            f"{name}-prometheus-rule",
            resource_group_name=resource_group,
            data_collection_rule_name=cfg.name("prometheus"),
            location=location,
            kind="Linux",
            description="Prometheus remote-write from the instances to the Azure Monitor workspace",
            data_collection_endpoint_id=self.endpoint.id,
            data_sources={
                "prometheus_forwarder": [
                    {"name": "prometheus", "streams": [PROMETHEUS_STREAM], "label_include_filter": {}}
                ]
            },
            destinations={
                "monitoring_accounts": [{"name": "prometheus", "account_resource_id": self.prometheus_workspace.id}]
            },
            data_flows=[{"streams": [PROMETHEUS_STREAM], "destinations": ["prometheus"]}],
            tags=tags,
            opts=child,
        )
        self.publisher_grant = grant(
            f"{name}-metrics-publisher",
            self.prometheus_rule.id,
            publisher_principal_id,
            "Monitoring Metrics Publisher",
            client_config(self).subscription_id,
            self,
        )
        ingestion = self.endpoint.metrics_ingestion.apply(lambda m: (m.endpoint if m else None) or "")
        self.remote_write_url = pulumi.Output.concat(
            ingestion, "/dataCollectionRules/", self.prometheus_rule.immutable_id,
            f"/streams/{PROMETHEUS_STREAM}/api/v1/write?api-version={REMOTE_WRITE_API_VERSION}",
        )  # fmt: skip
        self.agent_rule = monitor.DataCollectionRule(
            f"{name}-agent-rule",
            resource_group_name=resource_group,
            data_collection_rule_name=cfg.name("instances"),
            location=location,
            kind="Linux",
            description="memory %, disk % and container logs of every instance",
            data_sources={
                "performance_counters": [
                    {
                        "name": "usage",
                        "streams": ["Microsoft-Perf"],
                        "sampling_frequency_in_seconds": PERF_SAMPLE_SECONDS,
                        "counter_specifiers": list(PERF_COUNTERS),
                    }
                ],
                "syslog": [
                    {
                        "name": "containers",
                        "streams": ["Microsoft-Syslog"],
                        "facility_names": [CONTAINER_LOG_FACILITY],
                        "log_levels": SYSLOG_LEVELS,
                    }
                ],
            },
            destinations={"log_analytics": [{"name": "app", "workspace_resource_id": workspace.id}]},
            data_flows=[{"streams": ["Microsoft-Perf", "Microsoft-Syslog"], "destinations": ["app"]}],
            tags=tags,
            opts=child,
        )
        self.register_outputs({"prometheus_workspace_id": self.prometheus_workspace.id})

    def collect_from(self, key: str, scale_set_id: pulumi.Input[str], parent: pulumi.Resource) -> None:
        """Point the Azure Monitor agent of one scale set at the instances' data collection rule."""
        monitor.DataCollectionRuleAssociation(
            f"{self._name}-{key}-association",
            resource_uri=scale_set_id,
            association_name=f"{key}-instances",
            data_collection_rule_id=self.agent_rule.id,
            description="memory %, disk % and container logs",
            opts=pulumi.ResourceOptions(parent=parent),
        )
