"""Where the application finds the cloud's services: their endpoints in a ConfigMap, read as
environment variables; their credentials in a Secret, read as files. (SPEC.md's app settings,
ports, tier, colour and version are each container's own environment: components/application.py.)

The Secret ``app-secrets`` is written by one of two, under the same keys. By default the External Secrets
Operator writes it and keeps it current from the cloud's secret store as the cloud rotates the credentials
(secret_sync.py, ``kubernetes.secretSync``). Otherwise Pulumi writes the values the cloud was created with:
they arrive as Pulumi secrets (never from stack config), stay encrypted in state, show as secret in every
preview, and are stale after the cloud's first rotation. Pods never see the credentials as
environment variables (inherited by every child process, printed by crash reporters and
``/proc/<pid>/environ``): the Secret is a read-only volume at ``CREDENTIALS_DIR``, one file per
credential, and ``<NAME>_FILE`` tells the application where (the ``_FILE`` convention of the
official database images), e.g. ``DATABASE_PASSWORD_FILE=/var/run/secrets/platform/database-password``.

What rolls the pods (``rollout_hash``, put in the pod template): the ConfigMap's contents, because
environment variables are read once, when a container starts. Not the Secret's values: the kubelet
rewrites a mounted Secret's files in place when the Secret changes (within its sync period, about a
minute; never for ``subPath`` mounts, so none is used), so a rotated credential reaches running pods
without a restart, and the application reads the file again when it opens a connection. Rolling every
Deployment of both colours on each rotation would add nothing but churn. A credential added or removed
changes the volume's items and the ``_FILE`` variables, so that rolls the pods anyway.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..config import PlatformConfig
from .labels import metadata, name_of

CONFIG_MAP_NAME = "app-settings"
SECRET_NAME = "app-secrets"
CREDENTIALS_VOLUME = "credentials"
CREDENTIALS_DIR = "/var/run/secrets/platform"
# Owner read is all a file needs, but the pods run as a non-root uid and the kubelet writes the files as
# root: with the pod's fsGroup it grants the group read whatever mode is asked for (kubernetes#57923), so
# 0440 root:<fsGroup> is the tightest a non-root process can read, and is what the spec says it gets.
CREDENTIAL_FILE_MODE = 0o440


def content_hash(*contents: Mapping[str, Any] | None) -> str:
    """A short digest of key/value contents; any changed key or value changes it."""
    text = json.dumps([dict(c or {}) for c in contents], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def credential_file(key: str) -> str:
    """``DATABASE_PASSWORD`` -> ``database-password``: the file's name in ``CREDENTIALS_DIR``."""
    return key.lower().replace("_", "-")


@dataclass(frozen=True)
class ContainerConfig:
    """What every application container and its pod add to read the ConfigMap and the Secret."""

    env_from: list[k8s.core.v1.EnvFromSourceArgsDict]
    env: list[k8s.core.v1.EnvVarArgsDict]  # <NAME>_FILE -> the credential's path
    volume_mounts: list[k8s.core.v1.VolumeMountArgsDict]
    volumes: list[k8s.core.v1.VolumeArgsDict]
    rollout_hash: pulumi.Output[str]


@dataclass(frozen=True)
class MountedSecret:
    """The Secret holding the credentials, as the pods mount it."""

    name: pulumi.Output[str]  # resolves once the Secret exists, so the pods wait for it
    keys: Sequence[str]


class AppConfig(pulumi.ComponentResource):
    config_map: k8s.core.v1.ConfigMap
    secret: k8s.core.v1.Secret | None  # only when Pulumi writes the credentials
    containers: ContainerConfig

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        namespace: pulumi.Input[str],
        env: Mapping[str, pulumi.Input[str]],
        credentials: Mapping[str, pulumi.Input[str]] | MountedSecret,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """``env``: environment variable name -> value; ``credentials``: the Secret the operator keeps
        (secret_sync.py), or credential name -> value for a Secret Pulumi writes (none when empty)."""
        super().__init__("platform:kubernetes:AppConfig", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.config_map = k8s.core.v1.ConfigMap(
            "settings",
            metadata=metadata(cfg, "kubernetes", CONFIG_MAP_NAME, namespace),
            data=dict(env),
            opts=child,
        )
        self.secret, mounted = None, credentials if isinstance(credentials, MountedSecret) else None
        if not isinstance(credentials, MountedSecret) and credentials:
            # Not immutable: the kubelet refreshes mounted files only from a Secret that can change in place.
            self.secret = k8s.core.v1.Secret(
                "secrets",
                metadata=metadata(cfg, "kubernetes", SECRET_NAME, namespace),
                type="Opaque",
                string_data={key: pulumi.Output.secret(value) for key, value in credentials.items()},
                opts=child,
            )
            mounted = MountedSecret(name_of(self.secret.metadata), sorted(credentials))
        # A one-way digest of endpoints reveals nothing, so the annotation need not be secret (a secret
        # annotation would hide the whole pod template's diff).
        rollout_hash = pulumi.Output.unsecret(pulumi.Output.from_input(dict(env)).apply(content_hash))
        self.containers = self._container_config(mounted, rollout_hash)
        self.register_outputs({})

    def _container_config(self, secret: MountedSecret | None, rollout_hash: pulumi.Output[str]) -> ContainerConfig:
        """Endpoints as environment variables; each credential as a read-only file plus ``<NAME>_FILE``."""
        env_from: list[k8s.core.v1.EnvFromSourceArgsDict] = [
            {"config_map_ref": {"name": name_of(self.config_map.metadata)}}
        ]
        if secret is None:
            return ContainerConfig(env_from, [], [], [], rollout_hash)
        keys = sorted(secret.keys)
        return ContainerConfig(
            env_from=env_from,
            env=[{"name": f"{key}_FILE", "value": f"{CREDENTIALS_DIR}/{credential_file(key)}"} for key in keys],
            # The whole directory, never subPath: the kubelet does not refresh subPath mounts.
            volume_mounts=[{"name": CREDENTIALS_VOLUME, "mount_path": CREDENTIALS_DIR, "read_only": True}],
            volumes=[
                {
                    "name": CREDENTIALS_VOLUME,
                    "secret": {
                        "secret_name": secret.name,
                        "default_mode": CREDENTIAL_FILE_MODE,
                        "items": [{"key": key, "path": credential_file(key)} for key in keys],
                    },
                }
            ],
            rollout_hash=rollout_hash,
        )
