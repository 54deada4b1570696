"""Credential rotation: what acts on Secret Manager's rotation notices (``secrets.py`` schedules them).

Secret Manager's rotation only publishes SECRET_ROTATE to the rotation topic. An Eventarc trigger
starts a Cloud Workflows execution for each message (Google's documented Pub/Sub -> Workflows route);
the workflow ignores every other event type (the topic also carries version-added notices, its own
included) and, for the secret named in the notice:

- database password: a new random password (Cloud KMS's HSM randomness, alphanumeric), set on the
  Cloud SQL user through the Admin API, then written as the secret's new version;
- Redis AUTH string: Memorystore for Redis generates the string and offers no call to set or renew
  it; the documented way to a new one is to turn AUTH off and on again, then read the new string.
  While AUTH is off (two instance updates) only the app tier can reach the instance at all (the
  firewall admits its service account alone), and connections already authenticated stay so; the
  re-enable step is retried, and a failed run pages (below);
- JWT signing key: a new random key as the new version.

The new value is stored only once the service accepts it, so the latest version is always usable.
VMs move onto it within two ``gcp.secretRefreshMinutes`` (``startup.py``): new connections made with
the old password or AUTH string fail until then, established ones keep working. Tokens signed with
the old JWT key stop verifying when a VM restarts. The workflow keeps no values: no call logging, basic
execution history (no variables), its data encrypted with the data key; it runs as its own service
account holding just these calls. A failed run (the metric Workflows reports) pages high.

Pulumi set the first values; it does not read them back (the Admin API returns no password, the
AUTH string is re-read only on refresh), so a later ``pulumi up`` does not undo a rotation.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_gcp as gcp

from ..config import PlatformConfig
from .alarms import Signal, alert_policy
from .alerting import Alerting
from .cache import Cache
from .database import Database
from .keys import Keys
from .project import gcp_labels
from .secrets import DATABASE_PASSWORD_LENGTH, JWT_KEY_LENGTH, AppSecrets

# What the workflow calls, beyond adding versions to the secrets (granted on each secret).
ROTATOR_PERMISSIONS = (
    "cloudkms.locations.generateRandomBytes",
    "cloudsql.instances.get",  # the Admin API's operations, which the connector polls
    "cloudsql.users.update",
    "redis.instances.get",
    "redis.instances.update",
    "redis.instances.getAuthString",
    "redis.operations.get",
)
# The trigger runs as the same account: it may start executions and receive the topic's events.
ROTATOR_ROLES = ("roles/workflows.invoker", "roles/eventarc.eventReceiver")
PUBSUB_EVENT = "google.cloud.pubsub.topic.v1.messagePublished"
ALPHANUMERIC = 'text.replace_all_regex(random.body.data, "[^A-Za-z0-9]", "")'  # KMS's random bytes, base64
RETRY_ENABLE = {
    "predicate": "${http.default_retry_predicate}",
    "max_retries": 5,
    "backoff": {"initial_delay": 10, "max_delay": 300, "multiplier": 2},
}


def _call(function: str, args: dict[str, Any], result: str | None = None, then: str | None = None) -> Any:
    return {
        "call": function,
        "args": args,
        **({"result": result} if result else {}),
        **({"next": then} if then else {}),
    }


def workflow_source(
    cfg: PlatformConfig, secret_ids: dict[str, str], sql_instance: str, redis_instance: str
) -> dict[str, Any]:
    """The workflow (JSON, which Workflows accepts like YAML) for these secrets and instances.

    ``secret_ids`` maps each credential to its secret's id; ``redis_instance`` is the instance's full name.
    """
    user = cfg.database.username
    cache = {"name": redis_instance, "updateMask": "authEnabled"}
    routes = {"database-password": "database_password", "cache-auth-string": "cache_auth_off", "jwt-signing-key": "jwt"}
    steps: list[dict[str, Any]] = [
        {
            "read": {
                "assign": [
                    {"attributes": '${default(map.get(event, ["data", "message", "attributes"]), {})}'},
                    {"kind": '${default(map.get(attributes, "eventType"), "")}'},
                ]
            }
        },
        {"only_rotations": {"switch": [{"condition": '${kind != "SECRET_ROTATE"}', "return": '${"ignored " + kind}'}]}},
        {
            "which": {  # secretId is projects/<project>/secrets/<id>
                "assign": [
                    {"secret": "${attributes.secretId}"},
                    {"parts": '${text.split(secret, "/")}'},
                    {"id": "${parts[3]}"},
                ]
            }
        },
        {
            "route": {
                "switch": [
                    {"condition": f'${{id == "{secret_ids[purpose]}"}}', "next": step}
                    for purpose, step in routes.items()
                ],
                "next": "unknown",
            }
        },
        {"database_password": _call("random_string", {"length": DATABASE_PASSWORD_LENGTH}, "value")},
        {
            "database_user": _call(
                "googleapis.sqladmin.v1.users.update",
                {
                    "project": cfg.gcp.project,
                    "instance": sql_instance,
                    "name": user,
                    "body": {"name": user, "password": "${value}"},
                },
                then="store",
            )
        },
        {"jwt": _call("random_string", {"length": JWT_KEY_LENGTH}, "value", then="store")},
        {
            "cache_auth_off": _call(
                "googleapis.redis.v1.projects.locations.instances.patch", {**cache, "body": {"authEnabled": False}}
            )
        },
        {
            "cache_auth_on": {
                "try": _call(
                    "googleapis.redis.v1.projects.locations.instances.patch", {**cache, "body": {"authEnabled": True}}
                ),
                "retry": RETRY_ENABLE,
            }
        },
        {
            "cache_auth_string": _call(
                "googleapis.redis.v1.projects.locations.instances.getAuthString", {"name": redis_instance}, "auth"
            )
        },
        {"cache_value": {"assign": [{"value": "${auth.authString}"}], "next": "store"}},
        {"unknown": {"raise": '${"no rotation for secret " + id}'}},
        {
            "store": _call(
                "googleapis.secretmanager.v1.projects.secrets.addVersion",
                {"parent": "${secret}", "body": {"payload": {"data": "${base64.encode(text.encode(value))}"}}},
            )
        },
        {"done": {"return": '${"rotated " + id}'}},
    ]
    random_bytes = (
        f"https://cloudkms.googleapis.com/v1/projects/{cfg.gcp.project}/locations/{cfg.gcp.region}:generateRandomBytes"
    )
    random_string = {
        "params": ["length"],
        "steps": [
            {
                "bytes": _call(
                    "http.post",
                    {
                        "url": random_bytes,
                        "auth": {"type": "OAuth2"},
                        "body": {"lengthBytes": "${length}", "protectionLevel": "HSM"},
                    },
                    "random",
                )
            },
            # base64 of n bytes is 4n/3 characters, ~97 % of them alphanumeric: always more than ``length``.
            {"alphanumeric": {"return": f"${{text.substring({ALPHANUMERIC}, 0, length)}}"}},
        ],
    }
    return {"main": {"params": ["event"], "steps": steps}, "random_string": random_string}


class CredentialRotation(pulumi.ComponentResource):
    account: gcp.serviceaccount.Account
    workflow: gcp.workflows.Workflow
    trigger: gcp.eventarc.Trigger
    failed: gcp.monitoring.AlertPolicy

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        keys: Keys,
        secrets: AppSecrets,
        database: Database,
        cache: Cache,
        alerting: Alerting,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("platform:gcp:CredentialRotation", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        project = cfg.gcp.project
        self.account = gcp.serviceaccount.Account(
            "rotator",
            account_id=cfg.name("rotator"),
            display_name=f"{cfg.name()} credential rotation",
            opts=child,
        )
        member = self.account.email.apply(lambda email: f"serviceAccount:{email}")
        role = gcp.projects.IAMCustomRole(
            "rotator",
            project=project,
            role_id=cfg.name("rotator").replace("-", "_"),
            title=f"{cfg.name()} credential rotation",
            description="Renew the database password and the Redis AUTH string; draw random bytes from Cloud KMS",
            permissions=sorted(ROTATOR_PERMISSIONS),
            stage="GA",
            opts=child,
        )
        granted: dict[str, pulumi.Input[str]] = {"rotator": role.name, **{r.split("/")[-1]: r for r in ROTATOR_ROLES}}
        grants: list[pulumi.Resource] = [
            gcp.projects.IAMMember(key, project=project, role=value, member=member, opts=child)
            for key, value in granted.items()
        ]
        grants += [
            gcp.secretmanager.SecretIamMember(
                f"rotator-{purpose}",
                secret_id=secret.id,
                role="roles/secretmanager.secretVersionAdder",
                member=member,
                opts=child,
            )
            for purpose, secret in secrets.secrets.items()
        ]
        source = pulumi.Output.all(
            secret_ids={purpose: secret.secret_id for purpose, secret in secrets.secrets.items()},
            sql=database.instance.name,
            redis=cache.instance.id,
        ).apply(lambda o: json.dumps(workflow_source(cfg, o["secret_ids"], o["sql"], o["redis"]), indent=2))
        self.workflow = gcp.workflows.Workflow(
            "rotation",
            name=cfg.name("secret-rotation"),
            region=cfg.gcp.region,
            description=f"{cfg.name()}: renew a credential when Secret Manager says it is due",
            service_account=self.account.email,
            source_contents=source,
            crypto_key_name=keys.data.id,
            call_log_level="LOG_NONE",
            execution_history_level="EXECUTION_HISTORY_BASIC",
            deletion_protection=False,  # holds no data: the definition is in this program
            labels=gcp_labels(cfg, "security"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*keys.grants, *grants]),
        )
        self.trigger = gcp.eventarc.Trigger(
            "rotation",
            name=cfg.name("secret-rotation"),
            location=cfg.gcp.region,
            matching_criterias=[{"attribute": "type", "value": PUBSUB_EVENT}],
            transport={"pubsub": {"topic": secrets.rotation_topic.id}},
            destination={"workflow": self.workflow.id},
            service_account=self.account.email,
            labels=gcp_labels(cfg, "security"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=grants),
        )
        failed_runs = pulumi.Output.concat(
            'resource.type="workflows.googleapis.com/Workflow" AND resource.labels.workflow_id="',
            self.workflow.name,
            '" AND metric.type="workflows.googleapis.com/finished_execution_count" AND metric.labels.status="FAILED"',
        )
        signal = Signal(
            "rotation-failed",
            "a credential rotation failed (see the workflow's executions)",
            "high",
            0,
            failed_runs,
            0,
            aligner="ALIGN_DELTA",
            reducer="REDUCE_SUM",
        )
        self.failed = alert_policy(self, cfg, alerting, signal.name, signal.description, signal.severity, [signal])
        self.register_outputs({"workflow": self.workflow.id})
