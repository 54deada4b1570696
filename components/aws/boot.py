"""What an app instance runs from boot: its release in a container under systemd, and the CloudWatch agent.

Amazon Linux 2023 ships docker in its own repositories, so the boot script installs it with dnf
(with jq and the CloudWatch agent) and writes:

- ``/etc/platform/app.env``: the container's environment, the app settings
  (``application.environment``) and where its services are. No credentials.
- ``/usr/local/bin/platform-app``: what the systemd unit runs. At every start it reads the
  credentials from Secrets Manager through the instance role (so they are never in user data,
  the launch template or on disk), logs in to ECR through the same role when the image is
  there (the token in the unit's runtime directory, in memory), pulls the image and runs it
  on the host's network as a non-root user with a read-only root file system. It listens on
  ``compute.appPort`` (the target group's port, checked on ``compute.healthPath``) and serves
  metrics on ``compute.metricsPort``; docker's awslogs driver sends its output to the tier's
  log group.
- the agent's configuration: memory and disk % per autoscaling group, and a Prometheus scrape
  of ``compute.metricsPath`` every ``compute.scrapeIntervalSeconds``, whose pool gauge
  (``blueGreen.rollback.poolInUseMetric``) becomes a CloudWatch metric per autoscaling group
  through embedded metric format (CloudWatch agent: "Set up and configure Prometheus metrics
  collection on Amazon EC2 instances").
"""

from __future__ import annotations

import base64
import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .. import application
from ..config import Color, PlatformConfig, Tier

APP_ENV_FILE = "/etc/platform/app.env"
START_SCRIPT = "/usr/local/bin/platform-app"
UNIT = "platform-app"
AGENT_CONFIG = "/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json"
PROMETHEUS_CONFIG = "/opt/aws/amazon-cloudwatch-agent/etc/prometheus.yaml"
AGENT_INTERVAL_SECONDS = 60
SCRAPE_JOB = "platform-app"
MAX_SCRAPE_TIMEOUT_SECONDS = 10
RUN_AS_USER = 10001  # the uid the pods run as too; the image must not need root
# A private ECR registry: <account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]/<repository>[:tag][@digest]
ECR_IMAGE = re.compile(
    r"^(?P<registry>(?P<account>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?)"
    r"/(?P<repository>[^:@]+)"
)


@dataclass(frozen=True)
class EcrRepository:
    registry: str
    account: str
    region: str
    repository: str


def ecr_repository(image: str) -> EcrRepository | None:
    """The private ECR repository an image lives in, or None for any other registry."""
    match = ECR_IMAGE.match(image)
    return EcrRepository(**match.groupdict()) if match else None


@dataclass(frozen=True)
class Credential:
    """An environment variable the container gets from Secrets Manager at start: the secret, or one JSON field."""

    secret_arn: Any  # pulumi.Input[str] when declared, str once resolved
    field: str | None = None


@dataclass(frozen=True)
class Destinations:
    """Where an instance sends what it observes (names, resolved)."""

    log_group: str  # the tier's log group: the container's output
    metrics_log_group: str  # the agent's embedded-metric-format events of the scrape
    metrics_namespace: str  # where the scraped gauge becomes a CloudWatch metric


@dataclass(frozen=True)
class Workload:
    """What one autoscaling group's instances run: a tier, in a colour (None: the worker, the active colour's)."""

    tier: Tier
    color: Color | None
    group_name: str


def user_data(
    cfg: PlatformConfig,
    workload: Workload,
    destinations: Destinations,
    endpoints: Mapping[str, str],
    credentials: Mapping[str, Credential],
) -> str:
    """The base64 boot script of one group's launch template (all inputs resolved)."""
    env = {**application.environment(cfg, workload.tier, workload.color), **endpoints}
    files = {
        APP_ENV_FILE: "\n".join(f"{name}={value}" for name, value in env.items()),
        START_SCRIPT: _start_script(cfg, workload, destinations.log_group, credentials),
        f"/etc/systemd/system/{UNIT}.service": _unit(cfg, workload),
        PROMETHEUS_CONFIG: json.dumps(_scrape_config(cfg, workload), indent=2),  # YAML is a superset of JSON
        AGENT_CONFIG: json.dumps(_agent_config(cfg, destinations), indent=2),
    }
    writes = "\n".join(f"cat > {path} <<'EOF'\n{content}\nEOF" for path, content in files.items())
    script = f"""#!/bin/bash
set -euo pipefail
dnf install -y docker jq amazon-cloudwatch-agent
install -d -m 0755 {APP_ENV_FILE.rsplit("/", 1)[0]}
{writes}
chmod 0700 {START_SCRIPT}
systemctl daemon-reload
systemctl enable --now docker.service {UNIT}.service
/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:{AGENT_CONFIG}
"""
    return base64.b64encode(script.encode()).decode()


def _start_script(
    cfg: PlatformConfig, workload: Workload, log_group: str, credentials: Mapping[str, Credential]
) -> str:
    """Credentials from Secrets Manager into this process's environment, ECR login if needed, pull, run."""
    image = application.release(cfg, workload.color).image
    region = cfg.aws.region
    fetch = [
        f"{name}=$(secret {shlex.quote(c.secret_arn)}{f' | jq -r .{c.field}' if c.field else ''})"
        for name, c in credentials.items()
    ]
    ecr = ecr_repository(image)
    login = (
        f"aws ecr get-login-password --region {ecr.region} | "
        f"docker login --username AWS --password-stdin {ecr.registry}"
        if ecr
        else "# the image's registry needs no login"
    )
    passed = " ".join(f"-e {name}" for name in credentials)
    return f"""#!/bin/bash
# Starts {workload.tier} ({workload.color or "active colour"}): credentials never touch the disk.
set -euo pipefail
export DOCKER_CONFIG="$RUNTIME_DIRECTORY"  # registry tokens stay in the unit's runtime directory (tmpfs)
secret() {{ aws secretsmanager get-secret-value --region {region} --secret-id "$1" --query SecretString \
  --output text; }}
{chr(10).join(fetch)}
export {" ".join(credentials)}
{login}
docker pull {shlex.quote(image)}
token=$(curl -fsS -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token)
instance=$(curl -fsS -H "X-aws-ec2-metadata-token: $token" http://169.254.169.254/latest/meta-data/instance-id)
exec docker run --rm --name {UNIT} --network host --user {RUN_AS_USER}:{RUN_AS_USER} \\
  --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges \\
  --env-file {APP_ENV_FILE} {passed} \\
  --log-driver awslogs --log-opt awslogs-region={region} --log-opt awslogs-group={shlex.quote(log_group)} \\
  --log-opt awslogs-stream="{workload.group_name}/$instance" \\
  {shlex.quote(image)}"""


def _unit(cfg: PlatformConfig, workload: Workload) -> str:
    """The release as a service: restarted when it exits, started after docker and the network."""
    release = application.release(cfg, workload.color)
    return f"""[Unit]
Description=platform {workload.tier} {release.version} ({release.image})
Wants=network-online.target
After=network-online.target docker.service
Requires=docker.service

[Service]
RuntimeDirectory={UNIT}
RuntimeDirectoryMode=0700
ExecStartPre=-/usr/bin/docker rm -f {UNIT}
ExecStart={START_SCRIPT}
ExecStop=/usr/bin/docker stop {UNIT}
Restart=always
RestartSec=5

[Install]
WantedBy=multi-user.target"""


def _scrape_config(cfg: PlatformConfig, workload: Workload) -> dict[str, Any]:
    """Prometheus scrape of the container's metrics port, labelled with the group (the CloudWatch dimension)."""
    interval = cfg.compute.scrape_interval_seconds
    return {
        "global": {
            "scrape_interval": f"{interval}s",
            "scrape_timeout": f"{min(interval, MAX_SCRAPE_TIMEOUT_SECONDS)}s",
        },
        "scrape_configs": [
            {
                "job_name": SCRAPE_JOB,
                "metrics_path": cfg.compute.metrics_path,
                "static_configs": [
                    {
                        "targets": [f"127.0.0.1:{cfg.compute.metrics_port}"],
                        "labels": {"AutoScalingGroupName": workload.group_name},
                    }
                ],
            }
        ],
    }


def _agent_config(cfg: PlatformConfig, destinations: Destinations) -> dict[str, Any]:
    """Memory and disk % per autoscaling group, and the Prometheus scrape turned into metrics (EMF)."""
    return {
        "agent": {"metrics_collection_interval": AGENT_INTERVAL_SECONDS},
        "metrics": {
            "namespace": "CWAgent",
            "append_dimensions": {"AutoScalingGroupName": "${aws:AutoScalingGroupName}"},
            "aggregation_dimensions": [["AutoScalingGroupName"]],
            "metrics_collected": {
                "mem": {"measurement": ["mem_used_percent"]},
                "disk": {"measurement": ["disk_used_percent"], "resources": ["/"], "drop_device": True},
            },
        },
        "logs": {
            "metrics_collected": {
                "prometheus": {
                    "log_group_name": destinations.metrics_log_group,
                    "prometheus_config_path": PROMETHEUS_CONFIG,
                    "emf_processor": {
                        "metric_declaration_dedup": True,
                        "metric_namespace": destinations.metrics_namespace,
                        "metric_declaration": [
                            {
                                "source_labels": ["job"],
                                "label_matcher": f"^{SCRAPE_JOB}$",
                                "dimensions": [["AutoScalingGroupName"]],
                                "metric_selectors": [f"^{cfg.blue_green.rollback.pool_in_use_metric}$"],
                            }
                        ],
                    },
                }
            }
        },
    }
