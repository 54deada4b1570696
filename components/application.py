"""The application every tier runs, the same on VMs and on pods: which release, and what it starts with.

Each colour runs its own release (``blueGreen.releases``); web and api run one pool per colour,
while the worker, which serves no traffic, runs the active colour's release. The container gets
SPEC.md's app settings plus where to listen and who it is, so one image serves every tier.
"""

from __future__ import annotations

from .config import Color, PlatformConfig, Tier
from .config.blue_green import Release


def release(cfg: PlatformConfig, color: Color | None = None) -> Release:
    """The release a colour runs; the worker (no colour) runs the active colour's."""
    return cfg.blue_green.releases[color or cfg.blue_green.active_color]


def environment(cfg: PlatformConfig, tier: Tier, color: Color | None = None) -> dict[str, str]:
    """The container's environment: SPEC.md's settings, its ports, and its tier, colour and version."""
    running = color or cfg.blue_green.active_color
    return {
        **cfg.app.as_env(),
        "PORT": str(cfg.compute.app_port),
        "METRICS_PORT": str(cfg.compute.metrics_port),
        "APP_TIER": tier,
        "APP_COLOR": running,
        "APP_VERSION": release(cfg, color).version,
    }


def releases_output(cfg: PlatformConfig) -> dict[str, dict[str, str]]:
    """``{"blue": {"image", "version"}, "green": {...}}``, as the outputs contract publishes it."""
    return {color: {"image": r.image, "version": r.version} for color, r in cfg.blue_green.releases.items()}


def credential_refresh_units(unit: str, store: str, minutes: int, check: str) -> dict[str, str]:
    """The systemd timer (and the one-shot service it starts) that moves a VM's container onto rotated
    credentials: every ``minutes``, spread over as long again so the VMs do not restart together, ``check``
    restarts ``unit`` when a credential it started with has rotated in ``store``."""
    seconds = minutes * 60
    service = f"""[Unit]
Description=Restart {unit}.service when a credential it started with has rotated in {store}
After={unit}.service

[Service]
Type=oneshot
ExecStart={check}
"""
    timer = f"""[Unit]
Description=Check {store} for rotated credentials every {seconds} s

[Timer]
OnBootSec={seconds}
OnUnitActiveSec={seconds}
RandomizedDelaySec={seconds}

[Install]
WantedBy=timers.target
"""
    return {"service": service, "timer": timer}
