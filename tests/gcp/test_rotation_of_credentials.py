"""Credentials rotate at most every security.secretRotationDays: Secret Manager's schedule, the workflow that
renews each credential, and the VMs moving onto the new version without a redeploy."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from components.config import ConfigError, parse, profile
from components.gcp import launcher
from components.gcp.rotation import workflow_source
from components.gcp.secrets import rotation_schedule
from components.gcp.startup import refresh_units
from tests.conftest import STACKS
from tests.gcp.support import gcp_plan, named

SECRET = "gcp:secretmanager/secret:Secret"
ROTATION = "platform:gcp:CredentialRotation"
WORKFLOW = "gcp:workflows/workflow:Workflow"
CREDENTIALS = ("database-password", "cache-auth-string", "jwt-signing-key")
IDS = {purpose: f"platform-prod-{purpose}" for purpose in CREDENTIALS}
REDIS = "projects/platform-example/locations/us-central1/instances/platform-prod-redis"


def _steps(source: dict) -> dict[str, dict]:
    """The main workflow's steps by name, in order."""
    return {name: body for step in source["main"]["steps"] for name, body in step.items()}


@pytest.mark.parametrize("stack", STACKS)
def test_every_secret_rotates_every_90_days_onto_the_rotation_topic(plan, stack):
    p = gcp_plan(plan, stack)
    topic = p.named("gcp:pubsub/topic:Topic", "rotation")
    assert topic.inputs["name"] == f"platform-{stack}-secret-rotation"
    assert topic.property_dependencies["kmsKeyName"] == [p.named("gcp:kms/cryptoKey:CryptoKey", "data").urn]
    assert topic.inputs["messageStoragePolicy"] == {"allowedPersistenceRegions": ["us-central1"]}
    key_grants = {g.urn for g in p.of_type("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")}
    assert key_grants <= set(topic.dependencies)  # Pub/Sub's agent may use the key before the topic exists
    notices = p.named("gcp:pubsub/topicIAMMember:TopicIAMMember", "rotation-secret-manager")
    assert notices.inputs["role"] == "roles/pubsub.publisher"
    assert notices.inputs["member"].endswith("@gcp-sa-secretmanager.iam.gserviceaccount.com")
    secrets = {s.name: s for s in p.of_type(SECRET)}
    assert set(secrets) == set(CREDENTIALS)
    for secret in secrets.values():
        assert secret.inputs["rotation"]["rotationPeriod"] == "7776000s"  # 90 days
        first = datetime.strptime(secret.inputs["rotation"]["nextRotationTime"], "%Y-%m-%dT%H:%M:%SZ")
        assert abs(first.replace(tzinfo=UTC) - datetime.now(UTC) - timedelta(days=90)) < timedelta(hours=1)
        assert secret.inputs["topics"] == [
            {"name": f"projects/platform-example/topics/platform-{stack}-secret-rotation"}
        ]
        assert secret.property_dependencies["topics"] == [topic.urn]
        assert notices.urn in secret.dependencies  # Secret Manager checks it may publish before it accepts a topic
        assert secret.ignore_changes == ["rotation.nextRotationTime"]  # Secret Manager moves it on each rotation


def test_the_rotation_period_follows_config_and_never_exceeds_90_days():
    cfg = parse({"environment": "dev", "clouds": ["gcp"], "security": {"secretRotationDays": 30}})
    now = datetime(2030, 1, 31, 12, 0, 0, 123456, tzinfo=UTC)
    assert rotation_schedule(cfg, now) == {"rotation_period": "2592000s", "next_rotation_time": "2030-03-02T12:00:00Z"}
    with pytest.raises(ConfigError) as error:
        parse({"environment": "dev", "security": {"secretRotationDays": 91}})
    assert "secretRotationDays" in str(error.value)


@pytest.mark.parametrize("stack", STACKS)
def test_the_rotation_workflow_runs_on_each_notice_as_its_own_account(plan, stack):
    p = gcp_plan(plan, stack)
    workflow, account = p.named(WORKFLOW, "rotation"), p.named("gcp:serviceaccount/account:Account", "rotator")
    assert workflow.inputs["serviceAccount"] == f"platform-{stack}-rotator@platform-example.iam.gserviceaccount.com"
    assert workflow.property_dependencies["serviceAccount"] == [account.urn]
    assert workflow.property_dependencies["cryptoKeyName"] == [p.named("gcp:kms/cryptoKey:CryptoKey", "data").urn]
    # No value is kept: no call logging, no variables in the execution history.
    assert (workflow.inputs["callLogLevel"], workflow.inputs["executionHistoryLevel"]) == (
        "LOG_NONE",
        "EXECUTION_HISTORY_BASIC",
    )
    trigger = p.named("gcp:eventarc/trigger:Trigger", "rotation")
    assert trigger.inputs["matchingCriterias"] == [
        {"attribute": "type", "value": "google.cloud.pubsub.topic.v1.messagePublished"}
    ]
    assert trigger.property_dependencies["transport"] == [p.named("gcp:pubsub/topic:Topic", "rotation").urn]
    assert trigger.property_dependencies["destination"] == [workflow.urn]
    assert trigger.inputs["destination"] == {
        "workflow": f"projects/platform-example/locations/us-central1/workflows/platform-{stack}-secret-rotation"
    }
    assert trigger.inputs["serviceAccount"] == workflow.inputs["serviceAccount"]
    grants = {g.name: g for g in p.children(ROTATION) if g.type.endswith("IAMMember") or g.type.endswith("IamMember")}
    assert {g.inputs["role"] for g in grants.values()} >= {"roles/workflows.invoker", "roles/eventarc.eventReceiver"}
    assert all(g.urn in trigger.dependencies and g.urn in workflow.dependencies for g in grants.values())
    secrets = {s.name: s.urn for s in p.of_type(SECRET)}
    for purpose in CREDENTIALS:  # adds versions to these secrets, and no other
        adder = grants[f"rotator-{purpose}"]
        assert adder.inputs["role"] == "roles/secretmanager.secretVersionAdder"
        assert adder.property_dependencies["secretId"] == [secrets[purpose]]
    role = p.named("gcp:projects/iAMCustomRole:IAMCustomRole", "rotator").inputs["permissions"]
    assert role == sorted(
        [
            "cloudkms.locations.generateRandomBytes",
            "cloudsql.instances.get",
            "cloudsql.users.update",
            "redis.instances.get",
            "redis.instances.getAuthString",
            "redis.instances.update",
            "redis.operations.get",
        ]
    )


def test_the_workflow_renews_each_credential_and_stores_it_only_once_accepted(plan):
    p = gcp_plan(plan, "prod")
    source = json.loads(p.named(WORKFLOW, "rotation").inputs["sourceContents"])
    assert source == workflow_source(profile("prod"), IDS, "platform-prod-postgres", REDIS)
    steps = _steps(source)
    order = list(steps)
    assert steps["only_rotations"]["switch"] == [
        {"condition": '${kind != "SECRET_ROTATE"}', "return": '${"ignored " + kind}'}
    ]  # version-added notices (its own included) start nothing
    assert steps["which"]["assign"] == [  # the notice names projects/<project>/secrets/<id>
        {"secret": "${attributes.secretId}"},
        {"parts": '${text.split(secret, "/")}'},
        {"id": "${parts[3]}"},
    ]
    routes = {c["condition"]: c["next"] for c in steps["route"]["switch"]}
    assert routes == {
        '${id == "platform-prod-database-password"}': "database_password",
        '${id == "platform-prod-cache-auth-string"}': "cache_auth_off",
        '${id == "platform-prod-jwt-signing-key"}': "jwt",
    }
    assert steps["route"]["next"] == "unknown" and "raise" in steps["unknown"]
    user = steps["database_user"]
    assert user["call"] == "googleapis.sqladmin.v1.users.update" and user["next"] == "store"
    app_user = p.named("gcp:sql/user:User", "app").inputs["name"]  # the user the application connects as
    assert user["args"] == {
        "project": "platform-example",
        "instance": "platform-prod-postgres",
        "name": app_user,
        "body": {"name": app_user, "password": "${value}"},
    }
    assert steps["database_password"] == {"call": "random_string", "args": {"length": 40}, "result": "value"}
    assert steps["jwt"] == {"call": "random_string", "args": {"length": 64}, "result": "value", "next": "store"}
    off, on = steps["cache_auth_off"], steps["cache_auth_on"]["try"]
    assert order.index("cache_auth_off") < order.index("cache_auth_on") < order.index("cache_auth_string")
    assert off["args"] == {"name": REDIS, "updateMask": "authEnabled", "body": {"authEnabled": False}}
    assert on["args"] == {"name": REDIS, "updateMask": "authEnabled", "body": {"authEnabled": True}}
    assert steps["cache_auth_on"]["retry"]["max_retries"] >= 3  # AUTH must come back on
    assert steps["cache_value"] == {"assign": [{"value": "${auth.authString}"}], "next": "store"}
    store = steps["store"]
    assert (
        order[-2:] == ["store", "done"] and store["call"] == "googleapis.secretmanager.v1.projects.secrets.addVersion"
    )
    assert store["args"]["parent"] == "${secret}"
    assert store["args"]["body"] == {"payload": {"data": "${base64.encode(text.encode(value))}"}}
    random = source["random_string"]["steps"][0]["bytes"]["args"]
    assert random["url"] == (
        "https://cloudkms.googleapis.com/v1/projects/platform-example/locations/us-central1:generateRandomBytes"
    )
    assert (
        random["body"] == {"lengthBytes": "${length}", "protectionLevel": "HSM"} and random["auth"]["type"] == "OAuth2"
    )


def test_a_failed_rotation_pages_on_call(plan):
    p = gcp_plan(plan, "prod")
    alert = named(p, ROTATION, "gcp:monitoring/alertPolicy:AlertPolicy")["rotation-failed"]
    policy = alert.inputs
    assert policy["severity"] == "ERROR"
    channels = named(p, "platform:gcp:Alerting", "gcp:monitoring/notificationChannel:NotificationChannel")
    paged = {urn for urn in alert.property_dependencies["notificationChannels"]}
    assert paged == {c.urn for name, c in channels.items() if name.startswith("alerts-high")}
    condition = policy["conditions"][0]["conditionThreshold"]
    assert 'resource.labels.workflow_id="platform-prod-secret-rotation"' in condition["filter"]
    assert 'metric.labels.status="FAILED"' in condition["filter"]
    assert (condition["comparison"], condition["thresholdValue"], condition["duration"]) == ("COMPARISON_GT", 0, "0s")


@pytest.mark.parametrize("stack", STACKS)
def test_vms_check_for_rotated_credentials_on_a_spread_timer(plan, stack):
    p = gcp_plan(plan, stack)
    units = refresh_units(profile(stack))
    assert "OnUnitActiveSec=300\n" in units["platform-secrets.timer"]
    assert "RandomizedDelaySec=300\n" in units["platform-secrets.timer"]  # the VMs do not restart together
    assert "ExecStart=/usr/bin/python3 /usr/local/lib/platform/launch.py check\n" in units["platform-secrets.service"]
    for template in p.of_type("gcp:compute/instanceTemplate:InstanceTemplate"):
        script = template.inputs["metadata"]["startup-script"]
        for unit, content in units.items():
            assert f"cat > /etc/systemd/system/{unit} <<'PLATFORM_EOF'\n{content.rstrip()}\nPLATFORM_EOF" in script
        assert "systemctl enable --now platform-secrets.timer" in script
    changed = refresh_units(parse({"environment": "dev", "gcp": {"secretRefreshMinutes": 2}}))
    assert "OnUnitActiveSec=120\n" in changed["platform-secrets.timer"]


@pytest.fixture
def vm(monkeypatch, tmp_path):
    """A VM whose database password is at ``versions[0]`` in Secret Manager; restarts are recorded."""
    state = {"version": "projects/1/secrets/platform-dev-database-password/versions/1", "restarts": []}
    metadata = {
        "attributes/platform-secrets": json.dumps({"DATABASE_PASSWORD": "projects/p/secrets/x"}),
        "service-accounts/default/token": json.dumps({"access_token": "token"}),
    }

    def get(url, headers):
        if url.startswith(launcher.METADATA):
            return metadata[url.removeprefix(launcher.METADATA)].encode()
        data = base64.b64encode(b"value").decode()
        return json.dumps({"name": state["version"], "payload": {"data": data}}).encode()

    def run(command, **kwargs):
        state["restarts"].append(command)

    monkeypatch.setattr(launcher, "_get", get)
    monkeypatch.setattr(launcher.subprocess, "run", run)
    monkeypatch.setattr(launcher, "STARTED_VERSIONS", tmp_path / "versions.json")
    return state


def test_the_container_restarts_onto_a_rotated_version_and_only_then(vm):
    launcher.check()
    assert vm["restarts"] == []  # the service is not running: its next start reads the latest anyway
    launcher.STARTED_VERSIONS.write_text(json.dumps({"DATABASE_PASSWORD": vm["version"]}))
    launcher.check()
    assert vm["restarts"] == []  # still the version it started with
    vm["version"] = "projects/1/secrets/platform-dev-database-password/versions/2"
    assert launcher.rotated() == ["DATABASE_PASSWORD"]
    launcher.check()
    assert vm["restarts"] == [["systemctl", "restart", "platform-app.service"]]
