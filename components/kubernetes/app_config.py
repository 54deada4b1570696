"""Where the application finds the cloud's services: their endpoints in a ConfigMap, their
credentials in a Secret. (SPEC.md's app settings, ports, tier, colour and version are each
container's own environment: components/application.py.)

Secret values arrive as Pulumi secrets from the cloud's secret store (never from stack config),
so they stay encrypted in state and the Secret's data is marked secret in every preview.
Containers read both only when they start, so ``rollout_hash`` digests what the objects are
given: put in the pod template, a changed endpoint or credential rolls the pods.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..config import PlatformConfig
from .labels import metadata, name_of

CONFIG_MAP_NAME = "app-settings"
SECRET_NAME = "app-secrets"


def content_hash(*contents: Mapping[str, Any] | None) -> str:
    """A short digest of key/value contents; any changed key or value changes it."""
    text = json.dumps([dict(c or {}) for c in contents], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class AppConfig(pulumi.ComponentResource):
    config_map: k8s.core.v1.ConfigMap
    secret: k8s.core.v1.Secret | None
    config_map_name: pulumi.Output[str]
    secret_name: pulumi.Output[str] | None
    rollout_hash: pulumi.Output[str]

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
            data=dict(env),
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
        # What the two objects are given; a one-way digest of generated credentials reveals nothing, so the
        # annotation need not be secret (a secret annotation would hide the whole pod template's diff).
        contents = pulumi.Output.all(pulumi.Output.from_input(dict(env)), pulumi.Output.from_input(dict(secrets)))
        self.rollout_hash = pulumi.Output.unsecret(contents.apply(lambda c: content_hash(*c)))
        self.register_outputs({"config_map_name": self.config_map_name})
