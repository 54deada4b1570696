"""Each colour runs its own release under systemd, credentials from Key Vault at start, metrics and logs shipped."""

from __future__ import annotations

import json

import pytest

from tests.azure.support import azure_plan
from tests.azure.test_compute import app_env, boot_files, cloud_config, extensions, scale_sets
from tests.conftest import STACKS

GREEN_RELEASE = (
    "blueGreen.releases.green.image=registry.example.com/team/app:3.1.0",
    "blueGreen.releases.green.version=3.1.0",
)
APP_UNIT = "/etc/systemd/system/platform-app.service"
ROLE = "azure-native:authorization:RoleAssignment"
DCR = "azure-native:monitor:DataCollectionRule"


def image_of(vmss) -> str:
    (line,) = [
        line
        for line in boot_files(vmss)[APP_UNIT].splitlines()
        if line.startswith("ExecStartPre=/usr/local/sbin/platform-pull ")
    ]
    return line.split()[-1]


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_each_colour_runs_its_own_release_and_the_worker_the_active_one(plan, stack):
    sets = scale_sets(azure_plan(plan, stack))
    placeholder = "us-docker.pkg.dev/google-samples/containers/gke/hello-app"
    for key, vmss in sets.items():
        color = key.split("-")[1] if "-" in key else "blue"
        assert image_of(vmss) == f"{placeholder}:{'2.0' if color == 'green' else '1.0'}", key
        unit = boot_files(vmss)[APP_UNIT]
        assert "--name app --user 10001:10001 --read-only" in unit
        assert "-p 8080:8080 -p 9090:9090" in unit and unit.rstrip().endswith("[Install]\nWantedBy=multi-user.target")
        assert app_env(vmss)["APP_COLOR"] == color


def test_changing_greens_release_leaves_every_input_of_blue_unchanged(plan):
    before, after = scale_sets(azure_plan(plan, "dev")), scale_sets(azure_plan(plan, "dev", *GREEN_RELEASE))
    for key in ("web-blue", "api-blue", "worker"):
        assert after[key].inputs == before[key].inputs, key
    for key in ("web-green", "api-green"):
        assert image_of(after[key]) == "registry.example.com/team/app:3.1.0"
        assert app_env(after[key])["APP_VERSION"] == "3.1.0"


def test_the_worker_follows_the_active_colour(plan):
    sets = scale_sets(azure_plan(plan, "dev", "blueGreen.activeColor=green"))
    assert image_of(sets["worker"]).endswith(":2.0") and app_env(sets["worker"])["APP_COLOR"] == "green"


@pytest.mark.parametrize("stack", STACKS)
def test_docker_from_ubuntu_and_credentials_read_from_key_vault_at_start(plan, stack):
    p = azure_plan(plan, stack)
    for vmss in scale_sets(p).values():
        document = cloud_config(vmss)
        assert "docker.io" in document["packages"] and "apt" not in json.dumps(document.get("apt", {}))
        assert document["runcmd"][-1][:3] == ["systemctl", "enable", "--now"]
        files = boot_files(vmss)
        unit = files[APP_UNIT]
        assert "ExecStartPre=/usr/local/sbin/platform-secrets" in unit
        assert "--env-file /run/platform/secrets.env" in unit
        secrets = files["/usr/local/sbin/platform-secrets"]
        for secret, variable in (("database-password", "DATABASE_PASSWORD"), ("jwt-signing-key", "JWT_SIGNING_KEY")):
            assert f'value="$(get {secret})"\nprintf "{variable}=%s\\n" "$value"' in secrets
        assert "https://vault.azure.net" in secrets and "umask 077" in secrets
        # No credential in custom data: only names and locations.
        assert not {"DATABASE_PASSWORD", "REDIS_AUTH_TOKEN", "JWT_SIGNING_KEY"} & set(app_env(vmss))
    for secret in ("database-password", "redis-access-key", "jwt-signing-key"):
        assert p.named("azure-native:keyvault:Secret", f"secrets-{secret}").inputs["secretName"] == secret


def test_an_acr_image_is_pulled_with_the_instance_identity(plan):
    p = azure_plan(plan, "dev", "blueGreen.releases.blue.image=platform.azurecr.io/app:1.2.3")
    vmss = scale_sets(p)["web-blue"]
    assert image_of(vmss) == "platform.azurecr.io/app:1.2.3"
    pull = boot_files(vmss)["/usr/local/sbin/platform-pull"]
    assert "*.azurecr.io)" in pull and "/oauth2/exchange" in pull and "--password-stdin" in pull


@pytest.mark.parametrize("stack", STACKS)
def test_prometheus_agent_scrapes_the_app_and_writes_to_the_monitor_workspace(plan, stack):
    p = azure_plan(plan, stack)
    rule = p.named(DCR, "telemetry-prometheus-rule")
    workspace = p.named("azure-native:monitor:AzureMonitorWorkspace", "telemetry-prometheus")
    assert rule.inputs["dataFlows"] == [{"streams": ["Microsoft-PrometheusMetrics"], "destinations": ["prometheus"]}]
    assert rule.property_dependencies["destinations"] == [workspace.urn]
    identity = p.named("azure-native:managedidentity:UserAssignedIdentity", "keys-identity")
    publisher = p.named(ROLE, "telemetry-metrics-publisher")
    assert publisher.inputs["roleDefinitionId"].endswith("/3913510d-42f4-4e42-8a64-420c390055eb")
    assert publisher.inputs["scope"].endswith("/dataCollectionRules/platform-" + stack + "-prometheus")
    assert identity.urn in publisher.property_dependencies["principalId"]
    for key, vmss in scale_sets(p).items():
        files = boot_files(vmss)
        config = json.loads(files["/etc/platform/prometheus.yml"])
        assert config["global"]["scrape_interval"] == "15s"
        (job,) = config["scrape_configs"]
        assert job["metrics_path"] == "/metrics"
        (target,) = job["static_configs"]
        assert target["targets"] == ["localhost:9090"]
        assert target["labels"]["color"] == app_env(vmss)["APP_COLOR"] and target["labels"]["tier"] == key.split("-")[0]
        (write,) = config["remote_write"]
        assert (
            "/dataCollectionRules/dcr-" in write["url"]
            and "/streams/Microsoft-PrometheusMetrics/api/v1/write" in write["url"]
        )
        assert write["url"].startswith("https://platform-" + stack + "-metrics-")
        assert write["azuread"]["managed_identity"]["client_id"] == app_env(vmss)["AZURE_CLIENT_ID"]
        assert "--enable-feature=agent" in files["/etc/systemd/system/platform-metrics.service"]


def test_scrape_settings_follow_config(plan):
    p = azure_plan(
        plan, "dev", "compute.scrapeIntervalSeconds=30", "compute.metricsPort=9100", "compute.metricsPath=/m"
    )
    config = json.loads(boot_files(scale_sets(p)["api-green"])["/etc/platform/prometheus.yml"])
    assert config["global"]["scrape_interval"] == "30s"
    assert config["scrape_configs"][0]["metrics_path"] == "/m"
    assert config["scrape_configs"][0]["static_configs"][0]["targets"] == ["localhost:9100"]


@pytest.mark.parametrize("stack", STACKS)
def test_azure_monitor_agent_collects_memory_disk_and_container_logs(plan, stack):
    p = azure_plan(plan, stack)
    rule = p.named(DCR, "telemetry-agent-rule")
    sources = rule.inputs["dataSources"]
    (perf,) = sources["performanceCounters"]
    assert set(perf["counterSpecifiers"]) == {"Memory(*)\\% Used Memory", "Logical Disk(*)\\% Used Space"}
    (syslog,) = sources["syslog"]
    assert syslog["facilityNames"] == ["local0"] and syslog["streams"] == ["Microsoft-Syslog"]
    workspace = p.named("azure-native:operationalinsights:Workspace", "monitoring-app")
    assert rule.property_dependencies["destinations"] == [workspace.urn]
    associations = {a.inputs["resourceUri"]: a for a in p.of_type("azure-native:monitor:DataCollectionRuleAssociation")}
    for vmss in scale_sets(p).values():
        agent = extensions(vmss)["monitor"]
        assert (agent["publisher"], agent["type"]) == ("Microsoft.Azure.Monitor", "AzureMonitorLinuxAgent")
        assert agent["settings"]["authentication"]["managedIdentity"]["identifier-name"] == "mi_res_id"
        assert "/userAssignedIdentities/" in agent["settings"]["authentication"]["managedIdentity"]["identifier-value"]
        (association,) = [a for uri, a in associations.items() if uri.endswith(f"/{vmss.inputs['vmScaleSetName']}")]
        assert rule.urn in association.property_dependencies["dataCollectionRuleId"]
        assert "--log-driver syslog --log-opt syslog-facility=local0" in boot_files(vmss)[APP_UNIT]


@pytest.mark.parametrize("stack", STACKS)
def test_the_worker_reaches_its_queue_privately_and_publishes_its_length(plan, stack):
    p = azure_plan(plan, stack)
    endpoint = p.named("azure-native:network:PrivateEndpoint", "storage-queue-endpoint")
    (connection,) = endpoint.inputs["privateLinkServiceConnections"]
    assert connection["groupIds"] == ["queue"]
    account = p.named("azure-native:storage:StorageAccount", "storage-queue")
    assert connection["privateLinkServiceId"].endswith(f"/storageAccounts/{account.inputs['accountName']}")
    zone = p.named("azure-native:network:PrivateDnsZoneGroup", "storage-queue-endpoint-dns")
    assert zone.inputs["privateDnsZoneConfigs"][0]["privateDnsZoneId"].endswith(
        "/privateDnsZones/privatelink.queue.core.windows.net"
    )
    roles = {
        r.name: r.inputs["roleDefinitionId"].rsplit("/", 1)[1]
        for r in p.of_type(ROLE)
        if r.inputs["scope"].endswith("/queueServices/default/queues/work")
    }
    assert roles == {
        "storage-queue-processor": "8a0f0c08-91a1-4084-bc3d-661d67233fed",
        "storage-queue-reader": "19e7f393-937e-4f77-808e-94535e297925",
    }
    worker = scale_sets(p)["worker"]
    script = boot_files(worker)["/usr/local/sbin/platform-queue-metric"]
    assert "x-ms-approximate-messages-count" in script and '"$WORKER_QUEUE_URL?comp=metadata"' in script
    assert "https://eastus.monitoring.azure.com/subscriptions/" in script and script.rstrip().endswith(
        f'/virtualMachineScaleSets/platform-{stack}-worker/metrics"'
    )
    assert cloud_config(worker)["runcmd"][-1][-1] == "platform-queue-metric.timer"
    publisher = p.named(ROLE, "worker-metrics-publisher")
    assert publisher.property_dependencies["scope"] == [worker.urn]
    assert "/platform-queue-metric" not in json.dumps(cloud_config(scale_sets(p)["web-blue"]))
