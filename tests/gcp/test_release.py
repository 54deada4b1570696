"""Each colour's VMs run that colour's release: image, environment, credentials at start, logs and metrics."""

from __future__ import annotations

import json

import pytest

from components.config import profile
from components.gcp.startup import ops_agent_config
from tests.conftest import STACKS
from tests.gcp.support import gcp_plan, named

COMPUTE = "platform:gcp:Compute"
TEMPLATE = "gcp:compute/instanceTemplate:InstanceTemplate"
GROUP = "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager"
BLUE = "registry.example.com/team/app:1.0.0@sha256:" + "b" * 64
NEW_GREEN = "registry.example.com/team/app:2.1.0@sha256:" + "a" * 64
CREDENTIALS = {
    "DATABASE_PASSWORD": "database-password",
    "REDIS_AUTH_TOKEN": "cache-auth-string",
    "JWT_SIGNING_KEY": "jwt-signing-key",
}


def _metadata(p, group: str) -> dict:
    return named(p, COMPUTE, TEMPLATE)[group].inputs["metadata"]


@pytest.mark.parametrize("stack", STACKS)
def test_each_colour_runs_its_own_release_and_the_worker_the_active_one(plan, stack):
    p = gcp_plan(plan, stack)
    releases = p.outputs["gcp_releases"].value
    for group in ("web-blue", "web-green", "api-blue", "api-green", "worker"):
        color = group.split("-")[1] if "-" in group else "blue"  # the worker runs the active colour (blue)
        metadata = _metadata(p, group)
        assert metadata["platform-image"] == releases[color]["image"], group
        env = json.loads(metadata["platform-env"])
        assert (env["APP_COLOR"], env["APP_VERSION"]) == (color, releases[color]["version"]), group


def test_the_worker_follows_the_active_colour(plan):
    p = gcp_plan(plan, "dev", "blueGreen.activeColor=green")
    env = json.loads(_metadata(p, "worker")["platform-env"])
    assert _metadata(p, "worker")["platform-image"] == p.outputs["gcp_releases"].value["green"]["image"]
    assert (env["APP_TIER"], env["APP_COLOR"]) == ("worker", "green")


def _releases(green: str) -> str:
    # The whole object: Pulumi.prod.yaml shares one YAML node between the colours, which a --path override of one
    # colour would edit for both in the offline runner.
    blue = {"image": BLUE, "version": "1.0.0"}
    return "blueGreen.releases=" + json.dumps({"blue": blue, "green": {"image": green, "version": "2.1.0"}})


def test_changing_green_leaves_every_input_of_blues_compute_unchanged(plan):
    before = gcp_plan(plan, "prod", _releases(BLUE))
    after = gcp_plan(plan, "prod", _releases(NEW_GREEN))
    compute = {r.urn: r for r in after.children(COMPUTE)}
    unchanged = [r for r in before.children(COMPUTE) if "green" not in r.name]
    assert {r.name for r in unchanged if r.type == TEMPLATE} == {"web-blue", "api-blue", "worker"}
    for r in unchanged:
        assert compute[r.urn].inputs == r.inputs, r.name
    for group in ("web-green", "api-green"):
        assert _metadata(after, group)["platform-image"] == NEW_GREEN
        assert _metadata(after, group) != _metadata(before, group)
    backends = {r.name: r.inputs for r in after.children("platform:gcp:BlueGreenLoadBalancer")}
    assert (
        backends["web-blue"]
        == {r.name: r.inputs for r in before.children("platform:gcp:BlueGreenLoadBalancer")}["web-blue"]
    )


@pytest.mark.parametrize("stack", STACKS)
def test_template_rolls_create_before_delete(plan, stack):
    p = gcp_plan(plan, stack)
    templates = named(p, COMPUTE, TEMPLATE)
    for key, group in named(p, COMPUTE, GROUP).items():
        template = templates[key]
        assert template.inputs["namePrefix"] == f"platform-{stack}-{key}-" and "name" not in template.inputs
        assert not template.delete_before_replace
        (version,) = group.inputs["versions"]
        assert "?uniqueId=" in version["instanceTemplate"]  # selfLinkUnique: a new template is a new version
        assert group.property_dependencies["versions"] == [template.urn]


@pytest.mark.parametrize("stack", STACKS)
def test_credentials_are_read_at_start_never_carried_in_metadata(plan, stack):
    p = gcp_plan(plan, stack)
    app = p.named("gcp:serviceaccount/account:Account", "app").inputs["accountId"]
    secrets = {s.name: s for s in p.of_type("gcp:secretmanager/secret:Secret")}
    grants = named(p, COMPUTE, "gcp:secretmanager/secretIamMember:SecretIamMember")
    for template in named(p, COMPUTE, TEMPLATE).values():
        metadata = template.inputs["metadata"]
        env = json.loads(metadata["platform-env"])
        assert not set(CREDENTIALS) & set(env)
        names = json.loads(metadata["platform-secrets"])
        assert names == {
            variable: f"projects/platform-example/secrets/platform-{stack}-{purpose}"
            for variable, purpose in CREDENTIALS.items()
        }
    for variable, purpose in CREDENTIALS.items():
        grant = grants[variable.lower().replace("_", "-")]
        assert grant.inputs["role"] == "roles/secretmanager.secretAccessor"
        assert grant.inputs["member"] == f"serviceAccount:{app}@platform-example.iam.gserviceaccount.com"
        assert grant.property_dependencies["secretId"] == [secrets[purpose].urn]


@pytest.mark.parametrize("stack", STACKS)
def test_the_startup_script_runs_the_release_under_systemd_with_the_ops_agent(plan, stack):
    p = gcp_plan(plan, stack)
    for key, template in named(p, COMPUTE, TEMPLATE).items():
        assert template.inputs["disks"][0]["sourceImage"] == "projects/debian-cloud/global/images/family/debian-12"
        script = template.inputs["metadata"]["startup-script"]
        assert script.startswith("#!/bin/bash\n")
        assert "apt-get install -y --no-install-recommends docker.io python3" in script  # Debian's own runtime
        assert "add-ops-agent-repo.sh --also-install --version='2.*.*'" in script
        assert "cat > /usr/local/lib/platform/launch.py <<'PLATFORM_EOF'\n" in script
        assert "ExecStart=/usr/bin/python3 /usr/local/lib/platform/launch.py\nExecStop=" in script
        assert "Restart=always" in script and "RuntimeDirectory=platform-app" in script
        assert script.rstrip().endswith("systemctl restart platform-app.service")
        tier = key.split("-")[0]
        config = ops_agent_config(profile(stack), f"platform-{stack}-{key}", tier)  # type: ignore[arg-type]
        assert json.dumps(config, indent=2) in script


def test_ops_agent_ships_the_tiers_log_and_scrapes_the_metrics_endpoint():
    config = ops_agent_config(profile("prod"), "platform-prod-api-green", "api")
    logging = config["logging"]
    assert logging["receivers"] == {
        "platform-api": {"type": "files", "include_paths": ["/var/lib/docker/containers/*/*-json.log"]}
    }  # the receiver id is the log name the platform-api sink routes
    assert logging["service"]["pipelines"]["app"] == {"receivers": ["platform-api"], "processors": ["docker", "app"]}
    assert logging["processors"]["app"] == {"type": "parse_json", "field": "jsonPayload.log"}
    (scrape,) = config["metrics"]["receivers"]["prometheus"]["config"]["scrape_configs"]
    assert scrape == {
        "job_name": "platform-prod-api-green",  # how the pool alarm tells the colour's VMs apart
        "scrape_interval": "15s",
        "metrics_path": "/metrics",
        "static_configs": [{"targets": ["localhost:9090"]}],
    }
    assert config["metrics"]["service"]["pipelines"]["prometheus"] == {"receivers": ["prometheus"]}


def test_the_scrape_follows_config(plan):
    p = gcp_plan(
        plan, "dev", "compute.scrapeIntervalSeconds=30", "compute.metricsPort=9100", "compute.metricsPath=/prom"
    )
    script = _metadata(p, "web-green")["startup-script"]
    assert '"scrape_interval": "30s"' in script and '"metrics_path": "/prom"' in script
    assert '"localhost:9100"' in script
    assert json.loads(_metadata(p, "web-green")["platform-env"])["METRICS_PORT"] == "9100"


def test_kubernetes_pods_get_the_memorystore_ca_too(plan):
    p = gcp_plan(plan, "dev", 'kubernetes={"enabled":true}')
    settings = p.named("kubernetes:core/v1:ConfigMap", "settings").inputs["data"]
    assert settings["REDIS_CA_CERT"] == json.loads(_metadata(p, "api-blue")["platform-env"])["REDIS_CA_CERT"]
    assert settings["REDIS_PORT"] == "6378"
