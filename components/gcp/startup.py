"""What an app VM runs from boot: its colour's release in a container under systemd, and the Ops Agent.

Debian 12 with a startup script, not Container-Optimized OS: the Ops Agent, which scrapes the
application's Prometheus endpoint and reports the memory and disk % the alarms read, does not
run on Container-Optimized OS, and COS's own logging agent scrapes no Prometheus (Ops Agent:
"Supported operating systems"). The guest agent runs the script at every boot; it installs
``docker.io`` and ``python3`` from Debian's repositories and the Ops Agent (major version 2) from
Google's, once, then writes:

- ``/usr/local/lib/platform/launch.py`` (``launcher.py``): reads the release, settings and secret
  names from the instance metadata, the credentials from Secret Manager, pulls and runs the image;
- ``platform-app.service``: runs it, restarts it when it stops;
- ``platform-secrets.timer``: every ``gcp.secretRefreshMinutes`` (spread over as long again, so the VMs
  do not restart together) runs ``launch.py check``, which restarts the service when a credential
  rotated in Secret Manager;
- the Ops Agent's configuration: the container's log file as the tier's log (``platform-<tier>``,
  which the log sinks route, its JSON lines parsed) and a Prometheus scrape of
  ``compute.metricsPath`` on ``compute.metricsPort`` every ``compute.scrapeIntervalSeconds`` as the
  job named after the group, which is how the alert policies tell colours apart.

Nothing here is a credential, and nothing differs between colours but the group's name: the
release itself is the ``platform-image`` metadata.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..application import credential_refresh_units
from ..config import PlatformConfig, Tier

LAUNCHER = Path(__file__).with_name("launcher.py").read_text()
LAUNCHER_PATH = "/usr/local/lib/platform/launch.py"
UNIT = "platform-app"
OPS_AGENT_CONFIG = "/etc/google-cloud-ops-agent/config.yaml"
OPS_AGENT_REPO_SCRIPT = "https://dl.google.com/cloudagents/add-google-cloud-ops-agent-repo.sh"
OPS_AGENT_MAJOR = "2"
CONTAINER_LOGS = "/var/lib/docker/containers/*/*-json.log"
STOP_SECONDS = 20  # the container's time to finish requests after the load balancer stopped sending more
END = "PLATFORM_EOF"

UNIT_FILE = f"""[Unit]
Description=The platform release (image, settings and secret names from the instance metadata)
Wants=network-online.target
After=network-online.target docker.service
Requires=docker.service

[Service]
Environment=DOCKER_CONFIG=/run/{UNIT}
RuntimeDirectory={UNIT}
RuntimeDirectoryMode=0700
ExecStart=/usr/bin/python3 {LAUNCHER_PATH}
ExecStop=/usr/bin/docker stop --time {STOP_SECONDS} {UNIT}
Restart=always
RestartSec=5

[Install]
WantedBy=multi-user.target
"""


REFRESH = "platform-secrets"


def refresh_units(cfg: PlatformConfig) -> dict[str, str]:
    """The timer (and the one-shot service it starts) that moves the container onto rotated credentials."""
    units = credential_refresh_units(
        UNIT, "Secret Manager", cfg.gcp.secret_refresh_minutes, f"/usr/bin/python3 {LAUNCHER_PATH} check"
    )
    return {f"{REFRESH}.{kind}": text for kind, text in units.items()}


def log_name(tier: Tier) -> str:
    """The log the Ops Agent writes a tier's container output to (its receiver id), routed by the sinks."""
    return f"platform-{tier}"


def ops_agent_config(cfg: PlatformConfig, group: str, tier: Tier) -> dict[str, Any]:
    """The Ops Agent's overrides (merged with its built-in host metrics and syslog): logs and the scrape."""
    compute = cfg.compute
    return {
        "logging": {
            "receivers": {log_name(tier): {"type": "files", "include_paths": [CONTAINER_LOGS]}},
            "processors": {
                "docker": {"type": "parse_json"},  # docker's envelope: {"log": <line>, "stream", "time"}
                "app": {"type": "parse_json", "field": "jsonPayload.log"},  # the application's JSON line
            },
            "service": {"pipelines": {"app": {"receivers": [log_name(tier)], "processors": ["docker", "app"]}}},
        },
        "metrics": {
            "receivers": {
                "prometheus": {
                    "type": "prometheus",
                    "config": {
                        "scrape_configs": [
                            {
                                "job_name": group,
                                "scrape_interval": f"{compute.scrape_interval_seconds}s",
                                "metrics_path": compute.metrics_path,
                                "static_configs": [{"targets": [f"localhost:{compute.metrics_port}"]}],
                            }
                        ]
                    },
                }
            },
            "service": {"pipelines": {"prometheus": {"receivers": ["prometheus"]}}},
        },
    }


def _file(path: str, content: str) -> str:
    if END in content:
        raise ValueError(f"{path}: content may not contain the heredoc end marker {END}")
    return f"cat > {path} <<'{END}'\n{content.rstrip()}\n{END}"


def startup_script(cfg: PlatformConfig, group: str, tier: Tier) -> str:
    """The ``startup-script`` of one group's template (JSON is YAML, so the agent's config is written as JSON)."""
    return "\n".join(
        [
            "#!/bin/bash",
            f"# {group}: the release under systemd ({UNIT}.service), logs and metrics through the Ops Agent.",
            "set -euo pipefail",
            "export DEBIAN_FRONTEND=noninteractive",
            "if ! dpkg -s docker.io python3 >/dev/null 2>&1; then",
            "  apt-get update",
            "  apt-get install -y --no-install-recommends docker.io python3 ca-certificates curl",
            "fi",
            "if ! dpkg -s google-cloud-ops-agent >/dev/null 2>&1; then",
            f"  curl -sSfL -o /tmp/add-ops-agent-repo.sh {OPS_AGENT_REPO_SCRIPT}",
            f"  bash /tmp/add-ops-agent-repo.sh --also-install --version='{OPS_AGENT_MAJOR}.*.*'",
            "fi",
            f"install -d -m 0755 {Path(LAUNCHER_PATH).parent} {Path(OPS_AGENT_CONFIG).parent}",
            _file(LAUNCHER_PATH, LAUNCHER),
            _file(OPS_AGENT_CONFIG, json.dumps(ops_agent_config(cfg, group, tier), indent=2)),
            _file(f"/etc/systemd/system/{UNIT}.service", UNIT_FILE),
            *(_file(f"/etc/systemd/system/{unit}", content) for unit, content in refresh_units(cfg).items()),
            "systemctl daemon-reload",
            "systemctl restart google-cloud-ops-agent",
            f"systemctl enable docker {UNIT}.service",
            f"systemctl enable --now {REFRESH}.timer",
            f"systemctl restart {UNIT}.service",
            "",
        ]
    )
