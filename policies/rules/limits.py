"""Resource limits: allowed sizes per environment, autoscaling maxima, storage caps, container limits."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from . import defaults
from .base import Params, dig, integer, items, matches, number, resource_rule, strings, tier_of, values


def _redis_size(props: Mapping[str, Any]) -> list[Any]:
    """Azure Cache for Redis: sku name, family and capacity as one size, as Azure prices it (``Premium_P1``)."""
    name, family, capacity = (dig(props, f"sku.{key}") for key in ("name", "family", "capacity"))
    return [f"{name}_{family}{number(capacity):g}"] if name and family and number(capacity) is not None else []


# Per resource type, where its machine / node / VM / database / cache size is (a path, or how to read it).
SIZES: dict[str, str | Callable[[Mapping[str, Any]], list[Any]]] = {
    "aws:ec2/instance:Instance": "instanceType",
    "aws:ec2/launchTemplate:LaunchTemplate": "instanceType",
    "aws:rds/instance:Instance": "instanceClass",
    "aws:rds/clusterInstance:ClusterInstance": "instanceClass",
    "aws:elasticache/replicationGroup:ReplicationGroup": "nodeType",
    "aws:elasticache/cluster:Cluster": "nodeType",
    "aws:eks/nodeGroup:NodeGroup": "instanceTypes.*",
    "azure-native:compute:VirtualMachine": "hardwareProfile.vmSize",
    "azure-native:compute:VirtualMachineScaleSet": "sku.name",
    "azure-native:containerservice:AgentPool": "vmSize",
    "azure-native:containerservice:ManagedCluster": "agentPoolProfiles.*.vmSize",
    "azure-native:dbforpostgresql:Server": "sku.name",
    "azure-native:redis:Redis": _redis_size,
    "gcp:compute/instance:Instance": "machineType",
    "gcp:compute/instanceTemplate:InstanceTemplate": "machineType",
    "gcp:container/nodePool:NodePool": "nodeConfig.machineType",
    "gcp:sql/databaseInstance:DatabaseInstance": "settings.tier",
}


@resource_rule(
    name="allowed-sizes",
    description="Instances, nodes, VMs, databases and caches use a size allowed in this environment.",
    remediation="Pick a size from allowedSizes in policies/config/<environment>.json, or add the size there "
    "in a reviewed change.",
    schema={"allowedSizes": strings(defaults.PROD["allowedSizes"], "Allowed sizes; shell patterns like t3.* work")},
)
def allowed_sizes(args: ResourceValidationArgs, report: ReportViolation, params: Params) -> None:
    where = SIZES.get(args.resource_type)
    for size in (where(args.props) if callable(where) else values(args.props, where)) if where else ():
        if isinstance(size, str) and not matches(size, params["allowedSizes"]):
            report(f"{args.name}: size {size!r} is not allowed in this environment.")


# Per scaling resource type, where its maximum instance / node / replica count is.
MAX_SIZES: dict[str, str] = {
    "aws:autoscaling/group:Group": "maxSize",
    "aws:eks/nodeGroup:NodeGroup": "scalingConfig.maxSize",
    "aws:appautoscaling/target:Target": "maxCapacity",
    "azure-native:monitor:AutoscaleSetting": "profiles.*.capacity.maximum",
    "azure-native:containerservice:AgentPool": "maxCount",
    "azure-native:app:ContainerApp": "template.scale.maxReplicas",
    "gcp:compute/autoscaler:Autoscaler": "autoscalingPolicy.maxReplicas",
    "gcp:compute/regionAutoscaler:RegionAutoscaler": "autoscalingPolicy.maxReplicas",
    "gcp:container/nodePool:NodePool": "autoscaling.maxNodeCount",
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": "spec.maxReplicas",
    "kubernetes:autoscaling/v1:HorizontalPodAutoscaler": "spec.maxReplicas",
}
TIER_SCHEMA = {
    "type": "object",
    "description": "Per tier (web, api, worker): maxSize, cpu and memory limits",
    "default": defaults.TIERS,
}


@resource_rule(
    name="autoscaling-max-size",
    description="Autoscaling groups, node pools and HPAs scale no further than their tier's maximum (SPEC.md).",
    remediation="Lower the maximum to the tier's maxSize (web 10, api 15, worker 8), or change the tier's "
    "maxSize in the pack config with the capacity plan.",
    schema={"tiers": TIER_SCHEMA},
)
def autoscaling_max_size(args: ResourceValidationArgs, report: ReportViolation, params: Params) -> None:
    path = MAX_SIZES.get(args.resource_type)
    tiers: Mapping[str, Any] = params["tiers"]
    tier = tier_of(args.props, args.resource_type, args.name, tiers)
    cap = tiers[tier]["maxSize"] if tier else max(t["maxSize"] for t in tiers.values())
    for found in values(args.props, path) if path else ():
        if (number(found) or 0) > cap:
            report(f"{args.name}: maximum {number(found):g} exceeds {tier or 'the largest tier'}'s cap of {cap}.")


# Per database type, where its allocated and maximum (autoscaling) storage in GB are.
STORAGE: dict[str, tuple[str, ...]] = {
    "aws:rds/instance:Instance": ("allocatedStorage", "maxAllocatedStorage"),
    "aws:rds/cluster:Cluster": ("allocatedStorage",),
    "azure-native:dbforpostgresql:Server": ("storage.storageSizeGB",),
    "gcp:sql/databaseInstance:DatabaseInstance": ("settings.diskSize", "settings.diskAutoresizeLimit"),
}


@resource_rule(
    name="database-storage-cap",
    description="Database storage (and its autoscaling ceiling) stays within the environment's cap.",
    remediation="Lower allocated/maximum storage below maxStorageGb, or raise the cap for this environment "
    "in policies/config/<environment>.json.",
    schema={"maxStorageGb": integer(defaults.PROD["maxStorageGb"], "Largest database storage in GB")},
)
def database_storage_cap(args: ResourceValidationArgs, report: ReportViolation, params: Params) -> None:
    for path in STORAGE.get(args.resource_type, ()):
        size = number(dig(args.props, path))
        if size is not None and size > params["maxStorageGb"]:
            report(f"{args.name}: {path} = {size:g} GB exceeds the cap of {params['maxStorageGb']} GB.")


_MEMORY_UNITS = {"": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


def cpu_cores(quantity: Any) -> float | None:
    """Kubernetes CPU quantity ("500m", "1", 0.5) in cores."""
    text = str(quantity)
    return (number(text[:-1]) or 0) / 1000 if text.endswith("m") else number(text)


def memory_bytes(quantity: Any) -> float | None:
    """Kubernetes memory quantity ("512Mi", "2Gi", "1G", bytes) in bytes; Azure's "2Gi" / "2.0Gi" too."""
    found = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT]i?|k)?", str(quantity).strip())
    return float(found[1]) * _MEMORY_UNITS[found[2] or ""] if found else None


_K8S_CONTAINERS = ("spec.template.spec.containers", "spec.jobTemplate.spec.template.spec.containers", "spec.containers")
# Per workload type: where its containers are, and within one container where its cpu and memory limits are.
CONTAINERS: dict[str, tuple[tuple[str, ...], str, str]] = {
    **{
        f"kubernetes:{kind}": (_K8S_CONTAINERS, "resources.limits.cpu", "resources.limits.memory")
        for kind in (
            "apps/v1:Deployment",
            "apps/v1:StatefulSet",
            "apps/v1:DaemonSet",
            "batch/v1:Job",
            "batch/v1:CronJob",
            "core/v1:Pod",
        )
    },
    "gcp:cloudrunv2/service:Service": (("template.containers",), "resources.limits.cpu", "resources.limits.memory"),
    "azure-native:app:ContainerApp": (("template.containers",), "resources.cpu", "resources.memory"),
}


@resource_rule(
    name="container-limits",
    description="Every container sets cpu and memory limits within its tier's caps (SPEC.md: web/worker 1 CPU "
    "2Gi, api 2 CPU 4Gi).",
    remediation="Set resources.limits.cpu and resources.limits.memory on every container, at most the tier's caps.",
    schema={"tiers": TIER_SCHEMA},
)
def container_limits(args: ResourceValidationArgs, report: ReportViolation, params: Params) -> None:
    if args.resource_type not in CONTAINERS:
        return
    paths, cpu_path, memory_path = CONTAINERS[args.resource_type]
    tiers: Mapping[str, Any] = params["tiers"]
    tier = tier_of(args.props, args.resource_type, args.name, tiers)
    caps = tiers[tier] if tier else max(tiers.values(), key=lambda t: memory_bytes(t["memory"]) or 0)
    for container in (c for path in paths for c in items(args.props, path)):
        name = container.get("name", "?")
        cpu, memory = dig(container, cpu_path), dig(container, memory_path)
        if cpu is None or memory is None:
            report(f"{args.name}: container {name} has no {'cpu' if cpu is None else 'memory'} limit.")
            continue
        if (cpu_cores(cpu) or 0) > (cpu_cores(caps["cpu"]) or 0):
            report(f"{args.name}: container {name} cpu limit {cpu} exceeds {caps['cpu']} ({tier or 'largest tier'}).")
        if (memory_bytes(memory) or 0) > (memory_bytes(caps["memory"]) or 0):
            report(
                f"{args.name}: container {name} memory limit {memory} exceeds {caps['memory']} "
                f"({tier or 'largest tier'})."
            )


POLICIES = [allowed_sizes, autoscaling_max_size, database_storage_cap, container_limits]
