"""The web, api and worker tiers as VM scale sets in the app subnet, scaled by Azure Monitor autoscale.

Web and api run one scale set per colour, each running its colour's release (``blueGreen.releases``) in
its colour's pool behind Front Door; a scale set's model holds nothing of the other colour, so changing one
colour's release rolls only that colour's instances. Both colours stay at their minimum size, so a rollback
only changes where traffic goes. The worker is one scale set draining the Storage Queue with the active
colour's release. What an instance runs at boot is boot.py's; what it reports, telemetry.py's.

Uniform orchestration, not Flexible: Flexible is Azure's default for new scale sets, but its
upgrade policies (Rolling, MaxSurge) are still preview behind feature registration, while
Uniform's rolling upgrade is GA. That rolling upgrade is what AWS's instance refresh is here:
batches that keep ``compute.refreshMinHealthyPercent`` in service, gated by the application
health extension, which also drives automatic instance repairs.

Instances: SSH keys only (password login off, no public IPs; the NSG admits SSH only from
``security.sshCidrs``), trusted launch (secure boot, vTPM), OS disks encrypted with the
customer-managed key through the disk encryption set, and encryption at host so temp disks and
caches are encrypted too (the subscription needs the ``Microsoft.Compute/EncryptionAtHost``
feature registered). The user-assigned identity reads secrets and the queue and publishes metrics.

Scaling, per tier from ``compute`` (SPEC.md): web on host CPU %; api on the requests per minute Front
Door sends to its own colour's origin (``OriginRequestCount`` filtered by ``Origin``), divided by its
instances (requests per target); worker on its queue's length divided by its instances (the
backlog per instance AWS scales on). Autoscale's built-in ``ApproximateMessageCount`` reads the queue from
outside our network, which a queue with public access off and shared keys off does not allow; so the
workers read the length through the queue's private endpoint and publish it as the custom metric
``platform/QueueLength`` of their scale set (boot.py). Each tier scales out above
its target and in below ``SCALE_IN_RATIO`` of it, so a scale-in cannot at once undo itself.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import compute, monitor

from ..config import COLORS, TIERS, Color, PlatformConfig, ScalingTier, Tier
from .boot import QUEUE_METRIC, QUEUE_METRIC_NAMESPACE, cloud_config
from .common import grant
from .frontdoor import ROUTED_TIERS, FrontDoor, origin_host
from .keys import Keys
from .network import Network
from .storage import Storage
from .telemetry import Telemetry

IMAGE_MIN_DISK_GB = 30  # Ubuntu images ship a 30 GB OS disk; Azure refuses a smaller one
MONITOR_AGENT_VERSION = "1.0"  # AzureMonitorLinuxAgent 1.x, upgraded automatically
HEALTH_EXTENSION_VERSION = "2.0"  # ApplicationHealthLinux 2.x reports Healthy / Unhealthy / Unknown
REPAIR_MIN_GRACE_MINUTES = 10  # automatic repairs accept a grace period of 10 to 90 minutes
AUTOSCALE_MIN_WINDOW_MINUTES = 5  # autoscale's shortest time window
AUTOSCALE_TIME_GRAIN = "PT1M"
SCALE_STEP_INSTANCES = "1"
SCALE_IN_RATIO = 0.7  # scale in below 70 % of the target: headroom against flapping
SECONDS_PER_MINUTE = 60


class Signal(TypedDict):
    """The part of an autoscale metric trigger that says which metric: the rest is the rule's."""

    metric_name: str
    metric_namespace: str
    metric_resource_uri: pulumi.Input[str]
    dimensions: NotRequired[list[monitor.ScaleRuleMetricDimensionArgsDict]]
    divide_per_instance: NotRequired[bool]
    statistic: NotRequired[monitor.MetricStatisticType]


class Compute(pulumi.ComponentResource):
    scale_sets: dict[str, compute.VirtualMachineScaleSet]
    autoscale_settings: dict[str, monitor.AutoscaleSetting]

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        resource_group: pulumi.Input[str],
        location: str,
        network_: Network,
        keys: Keys,
        front_door: FrontDoor,
        storage: Storage,
        telemetry: Telemetry,
        subscription_id: pulumi.Input[str],
        service_env: Mapping[str, pulumi.Input[str]],
        opts: pulumi.ResourceOptions | None = None,
    ):
        """``service_env``: where the services are (hosts, ports, vault, queue), written to every instance."""
        super().__init__("platform:azure:Compute", name, None, opts)
        self._cfg, self._rg, self._location = cfg, resource_group, location
        self._front_door, self._storage = front_door, storage
        groups: list[tuple[Tier, Color | None]] = [
            (tier, color) for tier in TIERS for color in (COLORS if tier in ROUTED_TIERS else (None,))
        ]
        self.scale_sets, self.autoscale_settings = {}, {}
        for tier, color in groups:
            key = f"{tier}-{color}" if color else tier
            # The worker publishes its queue length as a metric of its own scale set, known by its ARM id.
            metric_url = (
                pulumi.Output.concat(
                    f"https://{location}.monitoring.azure.com/subscriptions/",
                    subscription_id,
                    "/resourceGroups/",
                    resource_group,
                    f"/providers/Microsoft.Compute/virtualMachineScaleSets/{cfg.name(key)}/metrics",
                )
                if cfg.compute.tier(tier).metric == "queue_length"
                else None
            )
            custom_data = _custom_data(cfg, tier, color, service_env, telemetry.remote_write_url, metric_url)
            vmss = self.scale_sets[key] = self._scale_set(key, tier, color, custom_data, network_, keys)
            telemetry.collect_from(key, vmss.id, self)
            if metric_url is not None:
                grant(
                    f"{key}-metrics-publisher", vmss.id, keys.identity.principal_id, "Monitoring Metrics Publisher",
                    subscription_id, self,
                )  # fmt: skip
            self.autoscale_settings[key] = self._autoscale(key, tier, color)
        self.register_outputs({})

    def _scale_set(
        self,
        key: str,
        tier: Tier,
        color: Color | None,
        custom_data: pulumi.Output[str],
        network_: Network,
        keys: Keys,
    ) -> compute.VirtualMachineScaleSet:
        cfg = self._cfg
        user, image = cfg.azure.admin_username, cfg.azure.vm_image
        warmup_minutes = _minutes(cfg.compute.instance_warmup_seconds)
        disk_set = keys.disk_encryption_set
        assert disk_set is not None, "scale sets take the environment's keys, which carry the disk encryption set"
        out_of_service = 100 - cfg.compute.refresh_min_healthy_percent
        # One unhealthy instance of a small set is a large share (1 of 3 = 34 %): tolerate at least one, so a
        # rolling upgrade carrying the fix is not aborted by the very instance it is meant to replace.
        unhealthy = max(out_of_service, math.ceil(100 / cfg.compute.tier(tier).min_size))
        ip_configuration: compute.VirtualMachineScaleSetIPConfigurationArgsDict = {
            "name": "ip",
            "primary": True,
            "subnet": {"id": network_.subnets["app"].id},
        }
        if color:
            ip_configuration["load_balancer_backend_address_pools"] = [{"id": self._front_door.pool_ids[tier][color]}]
        profile: compute.VirtualMachineScaleSetVMProfileArgsDict = {
            "os_profile": {
                "computer_name_prefix": tier,
                "admin_username": user,
                "custom_data": custom_data,
                "linux_configuration": {
                    "disable_password_authentication": True,
                    "provision_vm_agent": True,
                    "ssh": {
                        "public_keys": [
                            {"path": f"/home/{user}/.ssh/authorized_keys", "key_data": cfg.azure.ssh_public_key}
                        ]
                    },
                },
            },
            "security_profile": {
                "encryption_at_host": True,
                "security_type": "TrustedLaunch",
                "uefi_settings": {"secure_boot_enabled": True, "v_tpm_enabled": True},
            },
            "storage_profile": {
                "image_reference": {
                    "publisher": image["publisher"],
                    "offer": image["offer"],
                    "sku": image["sku"],
                    "version": image["version"],
                },
                "os_disk": {
                    "create_option": "FromImage",
                    "caching": compute.CachingTypes.READ_WRITE,
                    "delete_option": "Delete",
                    "disk_size_gb": max(cfg.compute.root_volume_gb, IMAGE_MIN_DISK_GB),
                    "managed_disk": {
                        "storage_account_type": "Premium_LRS",
                        "disk_encryption_set": {"id": disk_set.id},
                    },
                },
            },
            "network_profile": {
                "network_interface_configurations": [
                    {"name": "nic", "primary": True, "ip_configurations": [ip_configuration]}
                ]
            },
            "extension_profile": {
                "extensions": [
                    {
                        "name": "monitor",
                        "publisher": "Microsoft.Azure.Monitor",
                        "type": "AzureMonitorLinuxAgent",
                        "type_handler_version": MONITOR_AGENT_VERSION,
                        "auto_upgrade_minor_version": True,
                        "enable_automatic_upgrade": True,
                        # The agent signs in with the scale set's user-assigned identity.
                        "settings": {"authentication": {"managedIdentity": _agent_identity(keys)}},
                    },
                    {
                        "name": "health",
                        "publisher": "Microsoft.ManagedServices",
                        "type": "ApplicationHealthLinux",
                        "type_handler_version": HEALTH_EXTENSION_VERSION,
                        "auto_upgrade_minor_version": True,
                        "settings": {
                            "protocol": "http",
                            "port": cfg.compute.app_port,
                            "requestPath": cfg.compute.health_path,
                        },
                    },
                ]
            },
            "diagnostics_profile": {"boot_diagnostics": {"enabled": True}},  # managed storage, no account to expose
        }
        return compute.VirtualMachineScaleSet(
            f"{key}-vmss",
            resource_group_name=self._rg,
            vm_scale_set_name=cfg.name(key),
            location=self._location,
            orchestration_mode="Uniform",
            sku={"name": cfg.azure.vm_sizes[tier], "tier": "Standard", "capacity": cfg.compute.tier(tier).min_size},
            zones=list(cfg.azure.zones),
            zone_balance=len(cfg.azure.zones) > 1,
            overprovision=False,  # extra instances would briefly join the colour's pool
            identity={
                "type": compute.ResourceIdentityType.USER_ASSIGNED,
                "user_assigned_identities": [keys.identity.id],
            },
            upgrade_policy={
                "mode": compute.UpgradeMode.ROLLING,
                "rolling_upgrade_policy": {
                    "max_batch_instance_percent": out_of_service,
                    "max_unhealthy_instance_percent": unhealthy,
                    "max_unhealthy_upgraded_instance_percent": unhealthy,
                    "prioritize_unhealthy_instances": True,
                    "pause_time_between_batches": f"PT{cfg.compute.instance_warmup_seconds}S",
                },
            },
            automatic_repairs_policy={
                "enabled": True,
                "grace_period": f"PT{max(warmup_minutes, REPAIR_MIN_GRACE_MINUTES)}M",
            },
            virtual_machine_profile=profile,
            tags={**cfg.tags_for(tier), "tier": tier, **({"color": color} if color else {})},
            # Autoscale owns the instance count after creation; `pulumi up` must not scale back to the minimum.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["sku.capacity"]),
        )

    def _autoscale(self, key: str, tier: Tier, color: Color | None) -> monitor.AutoscaleSetting:
        cfg, scaling = self._cfg, self._cfg.compute.tier(tier)
        vmss = self.scale_sets[key]
        window = f"PT{max(cfg.alarms.sustained_minutes, AUTOSCALE_MIN_WINDOW_MINUTES)}M"
        signal = self._signal(scaling, tier, color, vmss)
        rules: list[monitor.ScaleRuleArgsDict] = [
            {
                "metric_trigger": {
                    **signal,
                    "operator": operator,
                    "threshold": threshold,
                    "statistic": signal.get("statistic", monitor.MetricStatisticType.AVERAGE),
                    "time_aggregation": monitor.TimeAggregationType.AVERAGE,
                    "time_grain": AUTOSCALE_TIME_GRAIN,
                    "time_window": window,
                },
                "scale_action": {
                    "direction": direction,
                    "type": monitor.ScaleType.CHANGE_COUNT,
                    "value": SCALE_STEP_INSTANCES,
                    "cooldown": cooldown,
                },
            }
            for operator, threshold, direction, cooldown in (
                (
                    monitor.ComparisonOperationType.GREATER_THAN,
                    scaling.target,
                    monitor.ScaleDirection.INCREASE,
                    f"PT{_minutes(cfg.compute.instance_warmup_seconds)}M",  # a new instance counts once warm
                ),
                (
                    monitor.ComparisonOperationType.LESS_THAN,
                    scaling.target * SCALE_IN_RATIO,
                    monitor.ScaleDirection.DECREASE,
                    window,  # scale in no faster than the signal is judged
                ),
            )
        ]
        return monitor.AutoscaleSetting(
            f"{key}-autoscale",
            resource_group_name=self._rg,
            autoscale_setting_name=cfg.name(key, "autoscale"),
            location=self._location,
            target_resource_uri=vmss.id,
            enabled=True,
            profiles=[
                {
                    "name": "default",
                    "capacity": {
                        "minimum": str(scaling.min_size),
                        "maximum": str(scaling.max_size),
                        "default": str(scaling.min_size),
                    },
                    "rules": rules,
                }
            ],
            tags={**cfg.tags_for(tier), "tier": tier},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _signal(
        self, scaling: ScalingTier, tier: Tier, color: Color | None, vmss: compute.VirtualMachineScaleSet
    ) -> Signal:
        """The metric a tier scales on (config validation pins each tier to its SPEC.md metric)."""
        if scaling.metric == "cpu_utilization":
            return {
                "metric_name": "Percentage CPU",
                "metric_namespace": "microsoft.compute/virtualmachinescalesets",
                "metric_resource_uri": vmss.id,
            }
        if scaling.metric == "request_count":
            assert color is not None, "request-count scaling needs the colour's origin"
            return {
                "metric_name": "OriginRequestCount",
                "metric_namespace": "microsoft.cdn/profiles",
                "metric_resource_uri": self._front_door.profile.id,
                # Each colour scales on the requests its own origin receives, per minute and per instance.
                "dimensions": [
                    {"dimension_name": "Origin", "operator": "Equals", "values": [origin_host(tier, color)]}
                ],
                "statistic": monitor.MetricStatisticType.SUM,
                "divide_per_instance": True,
            }
        # The queue length the workers publish (boot.py), divided by the instances: the backlog per instance.
        return {
            "metric_name": QUEUE_METRIC,
            "metric_namespace": QUEUE_METRIC_NAMESPACE,
            "metric_resource_uri": vmss.id,
            "divide_per_instance": True,
        }


def _custom_data(
    cfg: PlatformConfig,
    tier: Tier,
    color: Color | None,
    service_env: Mapping[str, pulumi.Input[str]],
    remote_write_url: pulumi.Output[str],
    metric_url: pulumi.Output[str] | None,
) -> pulumi.Output[str]:
    """The scale set's cloud-config once the service locations it names are known."""

    def render(got: dict) -> str:
        return cloud_config(cfg, tier, color, got["services"], got["remote_write"], got["queue"])

    resolved = pulumi.Output.all(
        services=pulumi.Output.all(**service_env), remote_write=remote_write_url, queue=metric_url
    )
    return resolved.apply(render)


def _agent_identity(keys: Keys) -> dict[str, pulumi.Input[str]]:
    """How the Azure Monitor agent picks the user-assigned identity it signs in with: by resource id."""
    return {"identifier-name": "mi_res_id", "identifier-value": keys.identity.id}


def _minutes(seconds: int) -> int:
    """Whole minutes, at least one: autoscale and repair durations are set in minutes."""
    return max(math.ceil(seconds / SECONDS_PER_MINUTE), 1)
