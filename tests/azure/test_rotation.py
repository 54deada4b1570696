"""Credential rotation on Azure: secrets expire when rotation is due, Key Vault's near-expiry event reaches a
workflow that writes the next value, instances move onto it, and a failed run pages."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from components.azure import boot
from components.azure.rotation import ROTATOR_ACTIONS
from infractl.runtime import SECRET
from tests.azure.support import azure_plan, named, only
from tests.azure.test_compute import boot_files, scale_sets
from tests.conftest import STACKS

ROTATION = "platform:azure:CredentialRotation"
WORKFLOW = "azure-native:logic:Workflow"
TOPIC = "azure-native:eventgrid:SystemTopic"
SUBSCRIPTION = "azure-native:eventgrid:SystemTopicEventSubscription"
SECRET_TYPE = "azure-native:keyvault:Secret"
ASSIGNMENT = "azure-native:authorization:RoleAssignment"
SECRETS = ("database-password", "redis-access-key", "jwt-signing-key")
DAY = 86400


def _definition(p) -> dict:
    return only(p, ROTATION, WORKFLOW).inputs["definition"]


def _cases(p) -> dict:
    branch = _definition(p)["actions"]["handshake"]["else"]["actions"]
    return branch["ours"]["actions"]["rotate"]["cases"]


def _actions(p) -> dict:
    return {name: action for case in _cases(p).values() for name, action in case["actions"].items()}


def _expiry_days(secret, now: float) -> float:
    """Days from the start of today to the secret's first expiry (whole days; ``now`` after the plan ran)."""
    expires = secret.secrets["properties"]["value"]["attributes"]["expires"]  # as the engine hands it to the pack
    assert expires % DAY == 0
    return (expires - (int(now) // DAY * DAY)) / DAY


@pytest.mark.parametrize("stack", STACKS)
def test_each_secret_expires_when_its_rotation_is_due_and_then_belongs_to_the_rotation(plan, stack):
    p = azure_plan(plan, stack)
    now = time.time()
    for name in SECRETS:
        secret = p.named(SECRET_TYPE, f"secrets-{name}")
        assert secret.inputs["properties"] == SECRET  # the value is in it
        # 90 days to rotation + Key Vault's 30-day notice (a day less if the plan ran before midnight).
        assert _expiry_days(secret, now) in (120, 119), name
        # Pulumi writes it once: a later `pulumi up` must not put an old value or expiry back.
        assert secret.ignore_changes == ["properties", "tags"]


def test_the_redis_secret_says_which_key_it_holds(plan):
    p = azure_plan(plan, "dev")
    assert p.named(SECRET_TYPE, "secrets-redis-access-key").inputs["tags"]["redis-key"] == "Primary"
    assert "redis-key" not in p.named(SECRET_TYPE, "secrets-jwt-signing-key").inputs["tags"]


@pytest.mark.parametrize("stack", STACKS)
def test_near_expiry_events_of_the_vault_reach_the_workflow_trigger(plan, stack):
    p = azure_plan(plan, stack)
    vault = p.named("azure-native:keyvault:Vault", "keys-vault")
    topic, subscription = only(p, ROTATION, TOPIC), only(p, ROTATION, SUBSCRIPTION)
    assert topic.inputs["topicType"] == "Microsoft.KeyVault.vaults"
    assert topic.property_dependencies["source"] == [vault.urn]
    assert subscription.property_dependencies["systemTopicName"] == [topic.urn]
    assert subscription.inputs["filter"]["includedEventTypes"] == [
        "Microsoft.KeyVault.SecretNearExpiry",
        "Microsoft.KeyVault.SecretExpired",  # the backstop: an unrotated expiry fails a run, which pages
    ]
    # Key Vault announces the expiry only of versions written after a subscription exists.
    for name in SECRETS:
        assert subscription.urn in p.named(SECRET_TYPE, f"secrets-{name}").dependencies, name
    # The trigger's signed URL is a credential: the destination holding it is secret.
    assert subscription.inputs["destination"] == SECRET
    destination = subscription.secrets["destination"]["value"]
    assert destination["endpointType"] == "WebHook" and destination["maxEventsPerBatch"] == 1
    assert "/triggers/near_expiry/paths/invoke?" in destination["endpointUrl"]
    # The URL is the workflow's own trigger's, asked for once the workflow exists.
    assert only(p, ROTATION, WORKFLOW).urn in subscription.property_dependencies["destination"]


@pytest.mark.parametrize("stack", STACKS)
def test_the_workflow_acts_only_as_its_identity_with_grants_on_exactly_what_it_rotates(plan, stack):
    p = azure_plan(plan, stack)
    workflow = only(p, ROTATION, WORKFLOW)
    identity = p.named("azure-native:managedidentity:UserAssignedIdentity", "rotation-identity")
    assert workflow.inputs["identity"]["type"] == "UserAssigned"
    assert workflow.property_dependencies["identity"] == [identity.urn]
    role = p.named("azure-native:authorization:RoleDefinition", "rotation-role")
    assert role.inputs["permissions"] == [{"actions": list(ROTATOR_ACTIONS)}]
    assert not any("*" in action for action in ROTATOR_ACTIONS)
    grants = named(p, ROTATION, ASSIGNMENT)
    targets = {
        "rotation-database": p.named("azure-native:dbforpostgresql:Server", "database-server").urn,
        "rotation-cache": p.named("azure-native:redis:Redis", "cache-redis").urn,
        **{f"rotation-{s}": p.named(SECRET_TYPE, f"secrets-{s}").urn for s in SECRETS},
    }
    assert set(grants) == set(targets)
    for name, target in targets.items():
        assert grants[name].property_dependencies["scope"] == [target], name
        assert grants[name].property_dependencies["principalId"] == [identity.urn]
        assert grants[name].property_dependencies["roleDefinitionId"] == [role.urn]
    for action in _actions(p).values():
        if action["type"] == "Http":
            auth = action["inputs"]["authentication"]
            assert auth["type"] == "ManagedServiceIdentity" and auth["identity"] == identity_id(p)
            assert action["inputs"]["uri"].startswith("https://management.azure.com/subscriptions/")
            # Retried for about an hour: a password the server took but the vault did not store would be lost.
            assert action["inputs"]["retryPolicy"] == {
                "type": "exponential",
                "count": 10.0,
                "interval": "PT30S",
                "maximumInterval": "PT15M",
            }


def identity_id(p) -> str:
    return only(p, ROTATION, WORKFLOW).inputs["identity"]["userAssignedIdentities"][0]


def test_the_workflow_answers_event_grids_handshake_and_only_this_vaults_near_expiry(plan):
    p = azure_plan(plan, "dev")
    definition = _definition(p)
    (trigger,) = definition["triggers"].values()
    assert (trigger["type"], trigger["kind"]) == ("Request", "Http")
    handshake = definition["actions"]["handshake"]
    assert handshake["expression"]["and"][0]["equals"][1] == "Microsoft.EventGrid.SubscriptionValidationEvent"
    assert handshake["actions"]["validate"]["inputs"]["body"] == {
        "validationResponse": "@triggerBody()[0]?['data']?['validationCode']"
    }
    branch = handshake["else"]["actions"]
    assert branch["accept"]["inputs"] == {"statusCode": 202.0}
    assert branch["expired"]["runAfter"] == {"accept": ["Succeeded"]}
    assert branch["ours"]["runAfter"] == {"expired": ["Succeeded"]}
    vault_name = p.named("azure-native:keyvault:Vault", "keys-vault").inputs["vaultName"]
    assert branch["expired"]["expression"]["and"] == [
        {"equals": ["@triggerBody()[0]?['eventType']", "Microsoft.KeyVault.SecretExpired"]},
        {"equals": ["@triggerBody()[0]?['data']?['VaultName']", vault_name]},
    ]
    assert branch["expired"]["actions"]["unrotated"]["inputs"]["runStatus"] == "Failed"  # RunsFailed pages
    assert branch["ours"]["expression"]["and"] == [
        {"equals": ["@triggerBody()[0]?['eventType']", "Microsoft.KeyVault.SecretNearExpiry"]},
        {"equals": ["@triggerBody()[0]?['data']?['VaultName']", vault_name]},
    ]
    rotate = branch["ours"]["actions"]["rotate"]
    assert rotate["expression"] == "@triggerBody()[0]?['subject']"  # the secret's name
    assert {case["case"] for case in rotate["cases"].values()} == set(SECRETS)
    assert rotate["default"]["actions"]["unknown_secret"]["inputs"]["runStatus"] == "Failed"


def test_the_password_is_set_on_the_server_before_it_is_stored(plan):
    p = azure_plan(plan, "prod")
    steps = _cases(p)["database"]["actions"]
    server = p.named("azure-native:dbforpostgresql:Server", "database-server")
    assert steps["new_password"]["inputs"].startswith("@concat('Aa1', replace(guid(), '-', '')")
    assert steps["set_password"]["runAfter"] == {"new_password": ["Succeeded"]}
    assert steps["set_password"]["inputs"]["method"] == "PATCH"
    assert "/flexibleServers/platform-prod-postgres?api-version=" in steps["set_password"]["inputs"]["uri"]
    assert steps["set_password"]["inputs"]["body"] == {
        "properties": {"administratorLoginPassword": "@{outputs('new_password')}"}
    }
    assert steps["store_password"]["runAfter"] == {"set_password": ["Succeeded"]}
    store = steps["store_password"]["inputs"]
    assert store["method"] == "PUT" and store["uri"].split("?")[0].endswith("/secrets/database-password")
    assert store["body"]["properties"]["value"] == "@{outputs('new_password')}"
    # The next version expires when the next rotation is due, plus the 30-day notice.
    assert "addDays(utcNow(), 120)" in store["body"]["properties"]["attributes"]["exp"]
    assert server.ignore_changes == ["administratorLoginPassword"]


def test_redis_regenerates_the_key_not_in_use_and_records_which_it_stored(plan):
    steps = _cases(azure_plan(plan, "dev"))["cache"]["actions"]
    assert steps["current"]["inputs"]["method"] == "GET"
    assert steps["idle_key"]["inputs"] == (
        "@if(equals(body('current')?['tags']?['redis-key'], 'Secondary'), 'Primary', 'Secondary')"
    )
    regenerate = steps["regenerate"]["inputs"]
    assert regenerate["uri"].split("?")[0].endswith("/redis/platform-dev-redis/regenerateKey")
    assert regenerate["body"] == {"keyType": "@{outputs('idle_key')}"}
    stored = steps["store_key"]["inputs"]["body"]
    assert stored["tags"]["redis-key"] == "@{outputs('idle_key')}"
    assert "body('regenerate')?['primaryKey']" in stored["properties"]["value"]
    assert stored["tags"]["environment"] == "dev"  # a PUT replaces the tags: keep the stack's


def test_no_value_reaches_the_run_history(plan):
    for name, action in _actions(azure_plan(plan, "dev")).items():
        secured = action["runtimeConfiguration"]["secureData"]["properties"]
        # A Compose has only secure inputs, which hide its output as well.
        assert secured == (["inputs"] if action["type"] == "Compose" else ["inputs", "outputs"]), name


def test_rotation_period_follows_config(plan):
    p = azure_plan(plan, "dev", "security.secretRotationDays=30")
    assert _expiry_days(p.named(SECRET_TYPE, "secrets-jwt-signing-key"), time.time()) in (60, 59)
    store = _cases(p)["jwt"]["actions"]["store_jwt"]["inputs"]
    assert "addDays(utcNow(), 60)" in store["body"]["properties"]["attributes"]["exp"]


@pytest.mark.parametrize("stack", STACKS)
def test_a_failed_rotation_pages_high(plan, stack):
    p = azure_plan(plan, stack)
    alert = p.named("azure-native:monitor:MetricAlert", "alarms-rotation-failed")
    (criterion,) = alert.inputs["criteria"]["allOf"]
    assert (criterion["metricNamespace"], criterion["metricName"]) == ("Microsoft.Logic/workflows", "RunsFailed")
    assert (criterion["operator"], criterion["threshold"], criterion["timeAggregation"]) == ("GreaterThan", 0, "Total")
    assert alert.property_dependencies["scopes"] == [only(p, ROTATION, WORKFLOW).urn]
    assert alert.inputs["actions"] == [{"actionGroupId": p.outputs["azure_alarm_topic_ids"].value["high"]}]
    settings = p.named("azure-native:monitor:DiagnosticSetting", "monitoring-rotation-app")
    assert settings.property_dependencies["resourceUri"] == [only(p, ROTATION, WORKFLOW).urn]


# --- instances move onto rotated values: the boot script itself, run against stand-ins ----------------


def _script(tmp: Path, vault: dict[str, str]) -> tuple[Path, Path]:
    """``platform-secrets`` with its paths moved into ``tmp`` and curl/jq/systemctl replaced by stand-ins that
    serve ``vault`` (a missing name fails like curl -f) and record restarts."""
    bin_dir = tmp / "bin"
    bin_dir.mkdir(exist_ok=True)
    (tmp / "app.env").write_text("KEY_VAULT_URL=https://vault.example\n")
    (tmp / "vault").mkdir(exist_ok=True)
    for name in list((tmp / "vault").iterdir()):
        name.unlink()
    for name, value in vault.items():
        (tmp / "vault" / name).write_text(value)
    token = tmp / "token"
    stand_ins = {
        token: "#!/bin/sh\necho token\n",
        bin_dir / "curl": '#!/bin/sh\nfor a; do url="$a"; done\nname="${url##*/secrets/}"; name="${name%%\\?*}"\n'
        f'f="{tmp / "vault"}/$name"\n[ -f "$f" ] || exit 22\nprintf \'{{"value": "%s"}}\' "$(cat "$f")"\n',
        bin_dir / "jq": f"#!{sys.executable}\nimport json, sys\nv = json.load(sys.stdin).get('value')\n"
        "sys.exit(1) if v is None else print(v)\n",
        bin_dir / "systemctl": f'#!/bin/sh\necho "$@" >> {tmp / "restarts"}\n',
    }
    for path, text in stand_ins.items():
        path.write_text(text)
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    text = (
        boot._secrets_script()
        .replace(boot.APP_ENV_FILE, str(tmp / "app.env"))
        .replace(boot.SECRETS_FILE, str(tmp / "secrets.env"))
        .replace("/usr/local/sbin/platform-token", str(token))
    )
    script = tmp / "platform-secrets"
    script.write_text(text)
    script.chmod(0o755)
    return script, bin_dir


def _run(script: Path, bin_dir: Path, *args: str) -> int:
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    return subprocess.run(["/bin/sh", str(script), *args], env=env, capture_output=True, check=False).returncode


VALUES = {"database-password": "pw1", "redis-access-key": "key1", "jwt-signing-key": "jwt1"}


def test_the_credentials_file_holds_every_value_and_check_restarts_only_on_a_rotation(tmp_path):
    script, bin_dir = _script(tmp_path, VALUES)
    assert _run(script, bin_dir) == 0
    written = (tmp_path / "secrets.env").read_text()
    assert written == "DATABASE_PASSWORD=pw1\nREDIS_AUTH_TOKEN=key1\nJWT_SIGNING_KEY=jwt1\n"
    assert _run(script, bin_dir, "check") == 0
    assert not (tmp_path / "restarts").exists()  # nothing rotated
    _script(tmp_path, {**VALUES, "database-password": "pw2"})
    assert _run(script, bin_dir, "check") == 0
    assert "DATABASE_PASSWORD=pw2" in (tmp_path / "secrets.env").read_text()
    assert (tmp_path / "restarts").read_text() == "restart platform-app.service\n"


def test_a_failed_read_keeps_the_last_credentials_and_restarts_nothing(tmp_path):
    script, bin_dir = _script(tmp_path, VALUES)
    assert _run(script, bin_dir) == 0
    _script(tmp_path, {"database-password": "pw2", "jwt-signing-key": "jwt2"})  # the Redis key cannot be read
    assert _run(script, bin_dir, "check") != 0
    assert (tmp_path / "secrets.env").read_text().startswith("DATABASE_PASSWORD=pw1\n")
    assert not (tmp_path / "restarts").exists()


@pytest.mark.parametrize("stack", STACKS)
def test_every_instance_checks_for_rotated_credentials_on_a_timer(plan, stack):
    for key, vmss in scale_sets(azure_plan(plan, stack, "azure.secretRefreshMinutes=7")).items():
        files = boot_files(vmss)
        timer = files["/etc/systemd/system/platform-secrets-check.timer"]
        assert "OnUnitActiveSec=420" in timer and "RandomizedDelaySec=420" in timer, key
        service = files["/etc/systemd/system/platform-secrets-check.service"]
        assert "ExecStart=/usr/local/sbin/platform-secrets check" in service, key
