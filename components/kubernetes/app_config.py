"""What the application reads at start: SPEC.md's settings and the cloud services' endpoints in a
ConfigMap, their credentials in a Secret.

Secret values arrive as Pulumi secrets from the cloud's secret store (never from stack config),
so they stay encrypted in state and the Secret's data is marked secret in every preview.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_kubernetes as k8s

from ..config import PlatformConfig
from .labels import metadata, name_of

CONFIG_MAP_NAME = "app-settings"
SECRET_NAME = "app-secrets"


class AppConfig(pulumi.ComponentResource):
    config_map: k8s.core.v1.ConfigMap
    secret: k8s.core.v1.Secret | None
    config_map_name: pulumi.Output[str]
    secret_name: pulumi.Output[str] | None

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        namespace: pulumi.Input[str],
        env: Mapping[str, pulumi.Input[str]],
        secrets: Mapping[str, pulumi.Input[str]],
        opts: pulumi.ResourceOptions | None = None,
    ):
        """``env``/``secrets``: environment variable name -> value; no Secret is made when ``secrets`` is empty."""
        super().__init__("platform:kubernetes:AppConfig", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.config_map = k8s.core.v1.ConfigMap(
            "settings",
            metadata=metadata(cfg, "kubernetes", CONFIG_MAP_NAME, namespace),
            data={**cfg.app.as_env(), **env},
            opts=child,
        )
        self.config_map_name = name_of(self.config_map.metadata)
        self.secret = (
            k8s.core.v1.Secret(
                "secrets",
                metadata=metadata(cfg, "kubernetes", SECRET_NAME, namespace),
                type="Opaque",
                string_data={key: pulumi.Output.secret(value) for key, value in secrets.items()},
                opts=child,
            )
            if secrets
            else None
        )
        self.secret_name = name_of(self.secret.metadata) if self.secret else None
        self.register_outputs({"config_map_name": self.config_map_name})
