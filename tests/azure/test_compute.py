"""VM scale sets per tier and colour: hardened, CMK-encrypted, in their colour's pool, scaled on SPEC.md's signals."""

from __future__ import annotations

import base64
import json
import re

import pytest

from components.config import ConfigError
from tests.azure.support import azure_plan, named, only
from tests.conftest import STACKS

COMPUTE = "platform:azure:Compute"
VMSS = "azure-native:compute:VirtualMachineScaleSet"
AUTOSCALE = "azure-native:monitor:AutoscaleSetting"
GROUPS = {"web-blue", "web-green", "api-blue", "api-green", "worker"}
SIZES = {
    "dev": {"web": "Standard_B2s", "api": "Standard_B2ms", "worker": "Standard_B2s"},
    "staging": {"web": "Standard_B2s", "api": "Standard_B2ms", "worker": "Standard_B2s"},
    "prod": {"web": "Standard_D2s_v5", "api": "Standard_D4s_v5", "worker": "Standard_D2s_v5"},
}
# SPEC.md: metric, target, min, max per tier.
SCALING = {
    "web": ("Percentage CPU", 70, 2, 10),
    "api": ("OriginRequestCount", 1000, 3, 15),
    "worker": ("QueueLength", 100, 2, 8),
}


def scale_sets(p) -> dict:
    return {name.removesuffix("-vmss"): r for name, r in named(p, COMPUTE, VMSS).items()}


def autoscalers(p) -> dict:
    return {name.removesuffix("-autoscale"): r for name, r in named(p, COMPUTE, AUTOSCALE).items()}


def ip_configuration(vmss) -> dict:
    (nic,) = vmss.inputs["virtualMachineProfile"]["networkProfile"]["networkInterfaceConfigurations"]
    (ip,) = nic["ipConfigurations"]
    return ip


def extensions(vmss) -> dict[str, dict]:
    return {e["name"]: e for e in vmss.inputs["virtualMachineProfile"]["extensionProfile"]["extensions"]}


def rules(autoscaler) -> dict[str, dict]:
    """The profile's rules by direction, and the profile's capacity under "capacity"."""
    (profile,) = autoscaler.inputs["profiles"]
    return {r["scaleAction"]["direction"]: r for r in profile["rules"]} | {"capacity": profile["capacity"]}


def cloud_config(vmss) -> dict:
    """The scale set's cloud-config document (JSON, which cloud-init reads as YAML)."""
    text = base64.b64decode(vmss.inputs["virtualMachineProfile"]["osProfile"]["customData"]).decode()
    header, _, body = text.partition("\n")
    assert header == "#cloud-config"
    return json.loads(body)


def boot_files(vmss) -> dict[str, str]:
    return {f["path"]: f["content"] for f in cloud_config(vmss)["write_files"]}


def app_env(vmss) -> dict[str, str]:
    return dict(re.findall(r"^([A-Z_]+)=(.*)$", boot_files(vmss)["/etc/platform/app.env"], re.M))


@pytest.mark.parametrize("stack", STACKS)
def test_a_uniform_zonal_scale_set_per_tier_and_colour_sized_per_environment(plan, stack):
    sets = scale_sets(azure_plan(plan, stack))
    assert set(sets) == GROUPS
    for key, vmss in sets.items():
        tier = key.split("-")[0]
        inputs = vmss.inputs
        assert inputs["vmScaleSetName"] == f"platform-{stack}-{key}"
        assert inputs["orchestrationMode"] == "Uniform"
        assert inputs["sku"] == {"name": SIZES[stack][tier], "tier": "Standard", "capacity": SCALING[tier][2]}
        assert inputs["zones"] == ["1", "2", "3"] and inputs["zoneBalance"] is True
        assert inputs["overprovision"] is False
        assert inputs["tags"]["tier"] == tier and inputs["tags"]["service"] == tier
        assert inputs["tags"].get("color") == (key.split("-")[1] if "-" in key else None)


def test_sizes_and_zones_follow_config(plan):
    p = azure_plan(plan, "dev", "azure.vmSizes.api=Standard_D8s_v5", 'azure.zones=["2"]')
    sets = scale_sets(p)
    assert sets["api-green"].inputs["sku"]["name"] == "Standard_D8s_v5"
    assert sets["web-blue"].inputs["sku"]["name"] == "Standard_B2s"
    assert all(s.inputs["zones"] == ["2"] and s.inputs["zoneBalance"] is False for s in sets.values())


def test_a_size_for_an_unknown_tier_is_refused(plan):
    with pytest.raises(ConfigError) as error:
        azure_plan(plan, "dev", "azure.vmSizes.gpu=Standard_NC6")
    assert "platform:azure.vmSizes.gpu" in str(error.value)


@pytest.mark.parametrize("stack", STACKS)
def test_ssh_keys_only_in_the_app_subnet_without_public_addresses(plan, stack):
    p = azure_plan(plan, stack)
    subnet = p.named("azure-native:network:Subnet", "network-app")
    for vmss in scale_sets(p).values():
        os_profile = vmss.inputs["virtualMachineProfile"]["osProfile"]
        assert "adminPassword" not in os_profile
        linux = os_profile["linuxConfiguration"]
        assert linux["disablePasswordAuthentication"] is True
        assert linux["ssh"]["publicKeys"] == [
            {
                "path": "/home/platform/.ssh/authorized_keys",
                "keyData": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKeyReplaceMe platform",
            }
        ]
        ip = ip_configuration(vmss)
        assert "publicIPAddressConfiguration" not in ip
        assert ip["subnet"]["id"].endswith("/virtualNetworks/platform-" + stack + "-network/subnets/app")
        assert subnet.urn in vmss.property_dependencies["virtualMachineProfile"]


@pytest.mark.parametrize("stack", STACKS)
def test_cmk_disks_encryption_at_host_trusted_launch_and_the_identity(plan, stack):
    p = azure_plan(plan, stack)
    disk_set = p.named("azure-native:compute:DiskEncryptionSet", "keys-disks")
    identity = p.named("azure-native:managedidentity:UserAssignedIdentity", "keys-identity")
    for vmss in scale_sets(p).values():
        profile = vmss.inputs["virtualMachineProfile"]
        os_disk = profile["storageProfile"]["osDisk"]
        assert os_disk["managedDisk"]["storageAccountType"] == "Premium_LRS"
        assert "/Microsoft.Compute/diskEncryptionSets/" in os_disk["managedDisk"]["diskEncryptionSet"]["id"]
        assert disk_set.urn in vmss.property_dependencies["virtualMachineProfile"]
        assert os_disk["diskSizeGB"] == 30  # compute.rootVolumeGb (20) raised to the image's 30 GB
        assert profile["securityProfile"] == {
            "encryptionAtHost": True,
            "securityType": "TrustedLaunch",
            "uefiSettings": {"secureBootEnabled": True, "vTpmEnabled": True},
        }
        assert vmss.inputs["identity"]["type"] == "UserAssigned"
        assert len(vmss.inputs["identity"]["userAssignedIdentities"]) == 1
        assert vmss.property_dependencies["identity"] == [identity.urn]


@pytest.mark.parametrize("stack", STACKS)
def test_web_and_api_join_their_colours_origin_pool_and_the_worker_none(plan, stack):
    p = azure_plan(plan, stack)
    lb = only(p, "platform:azure:FrontDoor", "azure-native:network:LoadBalancer")
    for key, vmss in scale_sets(p).items():
        ip = ip_configuration(vmss)
        if key == "worker":
            assert "loadBalancerBackendAddressPools" not in ip and "applicationGatewayBackendAddressPools" not in ip
            assert lb.urn not in vmss.property_dependencies["virtualMachineProfile"]
            continue
        (pool,) = ip["loadBalancerBackendAddressPools"]
        assert pool["id"].endswith(f"/loadBalancers/platform-{stack}-origins/backendAddressPools/{key}")
        # Built from the load balancer's id, so the scale set is created after the pool exists.
        assert lb.urn in vmss.property_dependencies["virtualMachineProfile"]


@pytest.mark.parametrize("stack", STACKS)
def test_health_extension_gates_rolling_upgrades_and_repairs(plan, stack):
    for vmss in scale_sets(azure_plan(plan, stack)).values():
        extension = extensions(vmss)["health"]
        assert extension["publisher"] == "Microsoft.ManagedServices"
        assert extension["type"] == "ApplicationHealthLinux" and extension["typeHandlerVersion"] == "2.0"
        assert extension["settings"] == {"protocol": "http", "port": 8080, "requestPath": "/health"}
        upgrade = vmss.inputs["upgradePolicy"]
        assert upgrade["mode"] == "Rolling"
        assert upgrade["rollingUpgradePolicy"]["maxBatchInstancePercent"] == 10  # 90 % stays in service
        assert upgrade["rollingUpgradePolicy"]["pauseTimeBetweenBatches"] == "PT120S"
        assert vmss.inputs["automaticRepairsPolicy"] == {"enabled": True, "gracePeriod": "PT10M"}


def test_health_path_and_rollout_follow_config(plan):
    p = azure_plan(
        plan, "staging", "compute.healthPath=/healthz", "compute.refreshMinHealthyPercent=75",
        "compute.instanceWarmupSeconds=900",
    )  # fmt: skip
    for vmss in scale_sets(p).values():
        assert extensions(vmss)["health"]["settings"]["requestPath"] == "/healthz"
        rolling = vmss.inputs["upgradePolicy"]["rollingUpgradePolicy"]
        assert rolling["maxBatchInstancePercent"] == 25 and rolling["pauseTimeBetweenBatches"] == "PT900S"
        assert vmss.inputs["automaticRepairsPolicy"]["gracePeriod"] == "PT15M"


def test_instances_get_app_settings_and_service_locations(plan):
    p = azure_plan(plan, "prod")
    sets = scale_sets(p)
    env = app_env(sets["api-green"])
    assert env["DATABASE_POOL_SIZE"] == "20" and env["LOG_LEVEL"] == "info"
    assert env["APP_TIER"] == "api" and env["APP_COLOR"] == "green"
    assert env["APP_VERSION"] == p.outputs["azure_releases"].value["green"]["version"]
    assert env["PORT"] == "8080" and env["METRICS_PORT"] == "9090"
    queue_account = p.named("azure-native:storage:StorageAccount", "storage-queue").inputs["accountName"]
    assert env["WORKER_QUEUE_URL"] == f"https://{queue_account}.queue.core.windows.net/work"
    assert re.fullmatch(r"https://plat[a-z0-9]+\.vault\.azure\.net", env["KEY_VAULT_URL"])
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", env["AZURE_CLIENT_ID"])
    worker = app_env(sets["worker"])
    assert worker["APP_TIER"] == "worker" and worker["APP_COLOR"] == "blue"  # the active colour's release
    assert "SECRET" not in "".join(env) and "PASSWORD" not in "".join(env)  # secrets stay in Key Vault


@pytest.mark.parametrize("stack", STACKS)
def test_autoscale_settings_scale_each_tier_on_its_spec_signal(plan, stack):
    p = azure_plan(plan, stack)
    sets, scalers = scale_sets(p), autoscalers(p)
    assert set(scalers) == GROUPS
    profile = only(p, "platform:azure:FrontDoor", "azure-native:cdn:Profile")
    for key, scaler in scalers.items():
        tier = key.split("-")[0]
        metric, target, low, high = SCALING[tier]
        assert scaler.inputs["enabled"] is True
        assert scaler.inputs["autoscaleSettingName"] == f"platform-{stack}-{key}-autoscale"
        assert scaler.property_dependencies["targetResourceUri"] == [sets[key].urn]
        by_direction = rules(scaler)
        assert by_direction["capacity"] == {"minimum": str(low), "maximum": str(high), "default": str(low)}
        out, in_ = by_direction["Increase"], by_direction["Decrease"]
        for rule in (out, in_):
            trigger = rule["metricTrigger"]
            assert trigger["metricName"] == metric
            # Requests are summed per minute, everything else averaged; the window averages the minutes.
            assert trigger["statistic"] == ("Sum" if tier == "api" else "Average")
            assert trigger["timeAggregation"] == "Average"
            assert trigger["timeGrain"] == "PT1M" and trigger["timeWindow"] == "PT5M"
            assert rule["scaleAction"]["type"] == "ChangeCount" and rule["scaleAction"]["value"] == "1"
        assert out["metricTrigger"]["operator"] == "GreaterThan" and out["metricTrigger"]["threshold"] == target
        assert in_["metricTrigger"]["operator"] == "LessThan"
        assert in_["metricTrigger"]["threshold"] == pytest.approx(target * 0.7)
        assert out["scaleAction"]["cooldown"] == "PT2M" and in_["scaleAction"]["cooldown"] == "PT5M"
        source = out["metricTrigger"]["metricResourceUri"]
        if tier == "web":
            assert out["metricTrigger"]["metricNamespace"] == "microsoft.compute/virtualmachinescalesets"
            assert "/virtualMachineScaleSets/" in source
            assert sets[key].urn in scaler.property_dependencies["profiles"]
        elif tier == "api":
            # Front Door's requests to this colour's origin, per instance.
            assert out["metricTrigger"]["metricNamespace"] == "microsoft.cdn/profiles"
            assert source.endswith(f"/profiles/platform-{stack}-edge")
            assert out["metricTrigger"]["dimensions"] == [
                {"dimensionName": "Origin", "operator": "Equals", "values": [f"{key}.origin.internal"]}
            ]
            assert out["metricTrigger"]["dividePerInstance"] is True
            assert profile.urn in scaler.property_dependencies["profiles"]
        else:
            # The workers' own custom metric, read through the queue's private endpoint: per instance.
            assert out["metricTrigger"]["metricNamespace"] == "platform"
            assert source.endswith(f"/virtualMachineScaleSets/platform-{stack}-worker")
            assert out["metricTrigger"]["dividePerInstance"] is True


def test_autoscale_follows_compute_and_alarm_config(plan):
    p = azure_plan(
        plan, "prod", "compute.web.target=60", "compute.api.maxSize=20", "compute.worker.minSize=3",
        "compute.worker.target=50", "alarms.sustainedMinutes=15", "compute.instanceWarmupSeconds=300",
    )  # fmt: skip
    scalers = autoscalers(p)
    web, api, worker = rules(scalers["web-green"]), rules(scalers["api-blue"]), rules(scalers["worker"])
    assert web["Increase"]["metricTrigger"]["threshold"] == 60
    assert web["Decrease"]["metricTrigger"]["threshold"] == pytest.approx(42)
    assert api["capacity"] == {"minimum": "3", "maximum": "20", "default": "3"}
    assert worker["capacity"] == {"minimum": "3", "maximum": "8", "default": "3"}
    assert worker["Increase"]["metricTrigger"]["threshold"] == 50
    for scaler in (web, api, worker):
        assert scaler["Increase"]["metricTrigger"]["timeWindow"] == "PT15M"
        assert scaler["Increase"]["scaleAction"]["cooldown"] == "PT5M"
        assert scaler["Decrease"]["scaleAction"]["cooldown"] == "PT15M"
    assert scale_sets(p)["worker"].inputs["sku"]["capacity"] == 3


def test_autoscale_window_never_below_azures_minimum(plan):
    (profile,) = autoscalers(azure_plan(plan, "dev", "alarms.sustainedMinutes=1"))["web-blue"].inputs["profiles"]
    assert {r["metricTrigger"]["timeWindow"] for r in profile["rules"]} == {"PT5M"}


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("compute.api.minSize=20", "platform:compute.api: minSize (20) must be <= maxSize (15)"),
        ("compute.web.metric=queue_length", "web.metric must be 'cpu_utilization'"),
        ("compute.worker.target=0", 'platform:compute.worker.target = "0": Input should be greater than 0'),
    ],
)
def test_bad_scaling_config_is_one_clear_error(plan, override, expected):
    with pytest.raises(ConfigError) as error:
        azure_plan(plan, "dev", override)
    assert expected in str(error.value)
