"""The blue-green rollback signals, per colour, at ``blueGreen.rollback``'s thresholds (SPEC.md: Blue-green).

Each colour gets its own alerts, so a shift towards a colour watches that colour only:

- p95 latency over ``p95LatencyMs`` and the 5xx rate over ``errorRatePercent``: log alerts on Front Door's
  access log, filtered to the colour's origins (``originName_s``: the host names frontdoor.py gives them);
  metric alerts take no percentiles and Front Door's 5xx metric has no origin dimension;
- CPU over ``cpuPercent`` and memory over ``memoryPercent``: metric alerts on each of the colour's scale sets;
- the connection pool exhausted: a Prometheus rule on the Azure Monitor workspace, the application's
  ``poolInUseMetric`` for that colour reaching ``app.databasePoolSize`` (telemetry.py ships the metric).

Every signal is judged over ``windowSeconds`` x ``evaluationPeriods`` (config checks that detection plus a poll
fits ``maxRollbackSeconds``) and pages the ``high`` action group. Azure evaluates metric alerts over fixed
windows and log alerts over fixed granularities; config refuses combinations it cannot evaluate.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
from pulumi_azure_native import alertsmanagement, compute, monitor

from ..config import COLORS, Color, PlatformConfig, Severity
from .alarms import (
    ACCESS_LOG,
    AZURE_SEVERITY,
    VMSS,
    Metric,
    Query,
    Rule,
    free_percent,
    iso_minutes,
    server_errors,
)
from .frontdoor import ROUTED_TIERS, FrontDoor, origin_host

SEVERITY: Severity = "high"
SECONDS_PER_MINUTE = 60


def windows(cfg: PlatformConfig) -> tuple[int, int]:
    """(window minutes, evaluation periods); config has checked Azure can evaluate them."""
    rollback = cfg.blue_green.rollback
    return rollback.window_seconds // SECONDS_PER_MINUTE, rollback.evaluation_periods


def rollback_rules(
    cfg: PlatformConfig, front_door: FrontDoor, scale_sets: Mapping[str, compute.VirtualMachineScaleSet]
) -> dict[Color, list[Rule]]:
    """Per colour: latency, errors, and per scale set of the colour CPU and memory."""
    rollback = cfg.blue_green.rollback
    window, periods = windows(cfg)
    access_log = pulumi.Output.format(ACCESS_LOG, front_door.profile.id)
    rules: dict[Color, list[Rule]] = {}
    for color in COLORS:
        origins = ", ".join(f'"{origin_host(tier, color)}"' for tier in ROUTED_TIERS)
        requests = pulumi.Output.concat(access_log, f" | where originName_s in ({origins})")
        p95 = pulumi.Output.concat(
            requests, " | summarize p95_ms = percentile(latency_ms, 95) by bin(TimeGenerated, 1m)"
        )
        rules[color] = [
            Rule(
                f"rollback-{color}-p95-latency",
                f"{color}: p95 latency (ms) over the rollback threshold",
                SEVERITY,
                rollback.p95_latency_ms,
                Query(p95, window, "Maximum", "p95_ms", periods),
            ),
            Rule(
                f"rollback-{color}-error-rate",
                f"{color}: 5xx rate % over the rollback threshold",
                SEVERITY,
                rollback.error_rate_percent,
                Query(server_errors(requests), window, "Average", "server_error", periods),
            ),
        ]
        for tier in ROUTED_TIERS:
            vmss = scale_sets[f"{tier}-{color}"]
            rules[color] += [
                Rule(
                    f"rollback-{tier}-{color}-cpu",
                    f"{tier}-{color}: CPU % over the rollback threshold",
                    SEVERITY,
                    rollback.cpu_percent,
                    Metric(vmss.id, VMSS, "Percentage CPU", window * periods),
                ),
                Rule(
                    f"rollback-{tier}-{color}-memory",
                    f"{tier}-{color}: free memory % under the rollback threshold",
                    SEVERITY,
                    free_percent(rollback.memory_percent),
                    Metric(vmss.id, VMSS, "Available Memory Percentage", window * periods),
                    below=True,
                ),
            ]
    return rules


def pool_exhausted(
    parent: pulumi.Resource,
    cfg: PlatformConfig,
    resource_group: pulumi.Input[str],
    location: str,
    prometheus_workspace: monitor.AzureMonitorWorkspace,
    action_group: monitor.ActionGroup,
) -> dict[Color, alertsmanagement.PrometheusRuleGroup]:
    """Per colour, a Prometheus rule: the pool-in-use gauge of any instance at the configured pool size."""
    rollback = cfg.blue_green.rollback
    window, periods = windows(cfg)
    return {
        color: alertsmanagement.PrometheusRuleGroup(
            f"rollback-{color}-pool",
            resource_group_name=resource_group,
            rule_group_name=cfg.name("rollback", color, "pool"),
            location=location,
            description=f"{color}: database connection pool exhausted (rollback signal); {cfg.name()}",
            scopes=[prometheus_workspace.id],
            enabled=True,
            interval=iso_minutes(1),
            rules=[
                alertsmanagement.PrometheusRuleArgs(
                    alert=f"DatabasePoolExhausted{color.title()}",
                    expression=f'max({rollback.pool_in_use_metric}{{color="{color}"}}) >= {cfg.app.database_pool_size}',
                    for_=iso_minutes(window * periods),
                    severity=AZURE_SEVERITY[SEVERITY],
                    labels={"color": color, "severity": SEVERITY},
                    annotations={"summary": f"{color}: database connection pool exhausted"},
                    actions=[alertsmanagement.PrometheusRuleGroupActionArgs(action_group_id=action_group.id)],
                    resolve_configuration=alertsmanagement.PrometheusRuleResolveConfigurationArgs(
                        auto_resolved=True, time_to_resolve=iso_minutes(window)
                    ),
                ),
            ],
            tags={**cfg.tags_for("monitoring"), "severity": SEVERITY, "color": color},
            opts=pulumi.ResourceOptions(parent=parent),
        )
        for color in COLORS
    }
