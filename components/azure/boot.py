"""What an instance does at boot (cloud-init): run its colour's release under systemd, with its metrics agent.

- Docker from Ubuntu's own repositories (``docker.io``), nothing fetched from elsewhere at boot.
- ``platform-app.service`` pulls the release's image (an Azure Container Registry image signs in with the
  instance's managed identity, exchanging its Entra token for a registry token; any other registry is pulled
  anonymously) and runs it as a non-root user with ``application.environment`` plus where the services are,
  listening on ``compute.appPort`` (the load balancer's probe and the health extension ask ``/health``
  there) and serving metrics on ``compute.metricsPort``. Container output goes to syslog, which the Azure
  Monitor agent ships (telemetry.py).
- Credentials are never in custom data: before each start ``platform-secrets`` asks Key Vault (through the
  vault's private endpoint, as the instance's managed identity) for the database password, the Redis key
  and the JWT key, and writes them to a root-only file on ``/run`` (memory, gone at shutdown). A read that
  fails stops the start (no empty credential is ever written). Every ``azure.secretRefreshMinutes``
  (spread over as long again, so the instances do not restart together) ``platform-secrets-check.timer``
  reads them again and restarts the container when one rotated (rotation.py).
- ``platform-metrics.service`` runs the Prometheus agent that scrapes the application every
  ``compute.scrapeIntervalSeconds`` and remote-writes to the Azure Monitor workspace, labelled with tier,
  colour and version, so rollback alerts can tell the colours apart.
- The worker also publishes its queue's length every minute as a custom metric of its scale set (read
  through the queue's private endpoint; the autoscale setting scales on it, see compute.py).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping

from .. import application
from ..config import Color, PlatformConfig, Tier

APP_ENV_FILE = "/etc/platform/app.env"
SECRETS_FILE = "/run/platform/secrets.env"
PROMETHEUS_CONFIG = "/etc/platform/prometheus.yml"
APP_USER = "10001:10001"  # the container's non-root user: the app port is above 1024, so no capability is needed
AGENT_LISTEN = "127.0.0.1:9095"  # the Prometheus agent's own port, off the application's metrics port
# Key Vault secret -> the variable the application reads it from (secrets.py writes these secrets).
SECRETS = {
    "database-password": "DATABASE_PASSWORD",
    "redis-access-key": "REDIS_AUTH_TOKEN",
    "jwt-signing-key": "JWT_SIGNING_KEY",
}
QUEUE_METRIC, QUEUE_METRIC_NAMESPACE = "QueueLength", "platform"
IMDS_TOKEN = "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01"
KEY_VAULT_API_VERSION = "7.4"
QUEUE_API_VERSION = "2021-12-02"


def cloud_config(
    cfg: PlatformConfig,
    tier: Tier,
    color: Color | None,
    services: Mapping[str, str],
    remote_write_url: str,
    queue_metric_url: str | None = None,
) -> str:
    """Base64 cloud-config for one scale set: ``services`` are where the services are (resolved values);
    ``queue_metric_url`` (the worker) is where the queue length is published."""
    release = application.release(cfg, color)
    env = {**application.environment(cfg, tier, color), **services}
    labels = {"tier": tier, "color": env["APP_COLOR"], "version": env["APP_VERSION"], "environment": cfg.environment}
    files = [
        _file(APP_ENV_FILE, "".join(f"{k}={v}\n" for k, v in env.items()), "0644"),
        _file("/usr/local/sbin/platform-token", _TOKEN, "0755"),
        _file("/usr/local/sbin/platform-secrets", _secrets_script(), "0755"),
        *(_file(f"/etc/systemd/system/{unit}", text, "0644") for unit, text in refresh_units(cfg).items()),
        _file("/usr/local/sbin/platform-pull", _PULL, "0755"),
        _file("/etc/systemd/system/platform-app.service", _app_unit(cfg, release.image, tier, labels), "0644"),
        _file(PROMETHEUS_CONFIG, _prometheus(cfg, labels, remote_write_url, env["AZURE_CLIENT_ID"]), "0644"),
        _file("/etc/systemd/system/platform-metrics.service", _metrics_unit(cfg), "0644"),
    ]
    units = ["platform-app.service", "platform-metrics.service", f"{REFRESH}.timer"]
    if queue_metric_url:
        files += [
            _file("/usr/local/sbin/platform-queue-metric", _queue_script(queue_metric_url), "0755"),
            _file("/etc/systemd/system/platform-queue-metric.service", _QUEUE_SERVICE, "0644"),
            _file("/etc/systemd/system/platform-queue-metric.timer", _QUEUE_TIMER, "0644"),
        ]
        units.append("platform-queue-metric.timer")
    document = {
        "package_update": True,
        "packages": ["docker.io", "jq", "curl"],
        "write_files": files,
        "runcmd": [["systemctl", "daemon-reload"], ["systemctl", "enable", "--now", *units]],
    }
    # JSON is YAML: no quoting surprises in the values.
    return base64.b64encode(("#cloud-config\n" + json.dumps(document, indent=1)).encode()).decode()


def _file(path: str, content: str, permissions: str) -> dict[str, str]:
    return {"path": path, "content": content, "permissions": permissions, "owner": "root:root"}


# An Entra token for a resource, as the instance's user-assigned identity (AZURE_CLIENT_ID in the env file).
_TOKEN = f"""#!/bin/sh
set -eu
. {APP_ENV_FILE}
curl -sf -H Metadata:true "{IMDS_TOKEN}&client_id=$AZURE_CLIENT_ID&resource=$1" | jq -r .access_token
"""

# Sign in to an Azure Container Registry with the identity's token; other registries are pulled as they are.
_PULL = """#!/bin/sh
set -eu
registry="${1%%/*}"
case "$registry" in
  *.azurecr.io)
    aad="$(/usr/local/sbin/platform-token https://management.azure.com/)"
    refresh="$(curl -sf -X POST "https://$registry/oauth2/exchange" \\
      -d grant_type=access_token -d "service=$registry" -d "access_token=$aad" | jq -r .refresh_token)"
    echo "$refresh" | docker login "$registry" -u 00000000-0000-0000-0000-000000000000 --password-stdin ;;
esac
exec docker pull "$1"
"""


def _secrets_script() -> str:
    """``platform-secrets``: write the credentials file; ``platform-secrets check``: the same, restarting the
    application only when a value changed. Any failed read ends the script before the file is replaced."""
    reads = "".join(
        f'value="$(get {secret})"\nprintf "{variable}=%s\\n" "$value" >> "$out"\n'
        for secret, variable in SECRETS.items()
    )
    return f"""#!/bin/sh
set -eu
. {APP_ENV_FILE}
token="$(/usr/local/sbin/platform-token https://vault.azure.net)"
get() {{
  body="$(curl -sf -H "Authorization: Bearer $token" "$KEY_VAULT_URL/secrets/$1?api-version={KEY_VAULT_API_VERSION}")"
  printf '%s' "$body" | jq -er .value
}}
umask 077
mkdir -p "$(dirname {SECRETS_FILE})"
out="{SECRETS_FILE}.new"
: > "$out"
{reads}if [ "${{1:-}}" = check ] && cmp -s "$out" {SECRETS_FILE}; then
  rm -f "$out"
  exit 0
fi
mv "$out" {SECRETS_FILE}
if [ "${{1:-}}" = check ]; then
  systemctl restart platform-app.service
fi
"""


REFRESH = "platform-secrets-check"


def refresh_units(cfg: PlatformConfig) -> dict[str, str]:
    """The timer (and the one-shot service it starts) that moves the container onto rotated credentials."""
    units = application.credential_refresh_units(
        "platform-app", "Key Vault", cfg.azure.secret_refresh_minutes, "/usr/local/sbin/platform-secrets check"
    )
    return {f"{REFRESH}.{kind}": text for kind, text in units.items()}


def _app_unit(cfg: PlatformConfig, image: str, tier: Tier, labels: Mapping[str, str]) -> str:
    ports = cfg.compute
    return f"""[Unit]
Description=platform {tier} ({labels["color"]}, {labels["version"]})
Requires=docker.service
After=docker.service network-online.target
Wants=network-online.target

[Service]
Restart=always
RestartSec=5
ExecStartPre=/usr/local/sbin/platform-secrets
ExecStartPre=/usr/local/sbin/platform-pull {image}
ExecStartPre=-/usr/bin/docker rm -f app
ExecStart=/usr/bin/docker run --name app --user {APP_USER} --read-only --tmpfs /tmp \\
  -p {ports.app_port}:{ports.app_port} -p {ports.metrics_port}:{ports.metrics_port} \\
  --env-file {APP_ENV_FILE} --env-file {SECRETS_FILE} \\
  --log-driver syslog --log-opt syslog-facility=local0 --log-opt tag=platform-{tier} \\
  {image}
ExecStop=/usr/bin/docker stop app

[Install]
WantedBy=multi-user.target
"""


def _prometheus(cfg: PlatformConfig, labels: Mapping[str, str], remote_write_url: str, client_id: str) -> str:
    interval = f"{cfg.compute.scrape_interval_seconds}s"
    config = {
        "global": {"scrape_interval": interval, "external_labels": {"host": "${HOSTNAME}"}},
        "scrape_configs": [
            {
                "job_name": "app",
                "metrics_path": cfg.compute.metrics_path,
                "static_configs": [{"targets": [f"localhost:{cfg.compute.metrics_port}"], "labels": dict(labels)}],
            }
        ],
        "remote_write": [
            {
                "url": remote_write_url,
                "azuread": {"cloud": "AzurePublic", "managed_identity": {"client_id": client_id}},
            }
        ],
    }
    return json.dumps(config, indent=1) + "\n"


def _metrics_unit(cfg: PlatformConfig) -> str:
    image = cfg.azure.metrics_agent_image
    return f"""[Unit]
Description=Prometheus agent: scrape the application, remote-write to Azure Monitor
Requires=docker.service
After=docker.service network-online.target

[Service]
Restart=always
RestartSec=10
ExecStartPre=-/usr/bin/docker rm -f metrics
ExecStart=/usr/bin/docker run --name metrics --network host -e HOSTNAME=%H \\
  -v {PROMETHEUS_CONFIG}:/etc/prometheus/prometheus.yml:ro {image} \\
  --config.file=/etc/prometheus/prometheus.yml --enable-feature=agent,expand-external-labels \\
  --storage.agent.path=/prometheus --web.listen-address={AGENT_LISTEN}
ExecStop=/usr/bin/docker stop metrics

[Install]
WantedBy=multi-user.target
"""


def _queue_script(metric_url: str) -> str:
    return f"""#!/bin/sh
set -eu
. {APP_ENV_FILE}
count="$(curl -sfI -H "Authorization: Bearer $(/usr/local/sbin/platform-token https://storage.azure.com/)" \\
  -H "x-ms-version: {QUEUE_API_VERSION}" "$WORKER_QUEUE_URL?comp=metadata" \\
  | tr -d '\\r' | awk -F': ' 'tolower($1)=="x-ms-approximate-messages-count" {{print $2}}')"
now="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
body="$(jq -n --arg t "$now" --argjson v "${{count:-0}}" '{{time: $t, data: {{baseData: {{
  metric: "{QUEUE_METRIC}", namespace: "{QUEUE_METRIC_NAMESPACE}",
  series: [{{min: $v, max: $v, sum: $v, count: 1}}]}}}}}}')"
curl -sf -X POST -H "Authorization: Bearer $(/usr/local/sbin/platform-token https://monitoring.azure.com/)" \\
  -H "Content-Type: application/json" -d "$body" "{metric_url}"
"""


_QUEUE_SERVICE = """[Unit]
Description=publish the worker queue's length to Azure Monitor

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/platform-queue-metric
"""
_QUEUE_TIMER = """[Unit]
Description=publish the worker queue's length every minute

[Timer]
OnBootSec=1min
OnUnitActiveSec=1min

[Install]
WantedBy=timers.target
"""
