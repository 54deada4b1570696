"""How requests reach the colours: a Service per pool and the Gateway API HTTPRoute that weighs them.

- ``web-blue``, ``web-green``, ``api-blue``, ``api-green``: one Service per colour's pool.
- HTTPRoute ``platform`` (``gateway.networking.k8s.io/v1``) on the Gateway ``kubernetes.gateway``
  names: ``/api`` to api and everything else to web, each split between the colours by
  ``blueGreen.activeColor``/``canaryWeight`` (the weights sum to 100), so the 10 -> 25 -> 50 -> 100 %
  steps are config changes and a ``pulumi up``, as on the load-balanced clouds.
- ``web``, ``api``: the live Services, selecting the active colour, for in-cluster callers (web
  calls api) and anything that addresses a tier by name.

Services listen on ``servicePort`` (80, SPEC.md's app port) and forward to the pods' named port
``http`` (``compute.appPort``). NetworkPolicies see the pod's port after the Service's address
translation, so app-policy admits ``appPort``.

The Gateway and the Gateway API CRDs are prerequisites. The Gateway is read first, so a preview
fails early and names it when it (or its CRD) is missing; the route carries ``pulumi.com/waitFor``
until the Gateway has accepted it, so a listener that does not admit routes from this namespace
fails ``pulumi up`` instead of silently serving nothing.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from ..config import COLORS, Color, PlatformConfig, Tier
from .labels import SERVED_TIERS, deployment_name, metadata, name_of, pod_labels

GATEWAY_API = "gateway.networking.k8s.io"
API_PATH_PREFIX = "/api"  # as the load-balanced clouds' /api/* rule
ROUTE_NAME = "platform"


class Traffic(pulumi.ComponentResource):
    services: dict[Tier, k8s.core.v1.Service]  # the live Services, by tier
    colour_services: dict[str, k8s.core.v1.Service]  # by name: web-blue, ...
    route: k8s.apiextensions.CustomResource
    route_name: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        namespace: pulumi.Input[str],
        deployments: dict[str, k8s.apps.v1.Deployment],
        opts: pulumi.ResourceOptions | None = None,
    ):
        """``deployments``: workloads.py's, by name; each Service waits for the pods it selects."""
        super().__init__("platform:kubernetes:Traffic", name, None, opts)
        self._cfg, self._namespace = cfg, namespace
        active = cfg.blue_green.active_color
        self.colour_services = {
            deployment_name(tier, color): self._service(tier, color, deployment_name(tier, color), deployments)
            for tier in SERVED_TIERS
            for color in COLORS
        }
        self.services = {tier: self._service(tier, active, tier, deployments) for tier in SERVED_TIERS}
        self.route = self._route()
        self.route_name = self.route.id.apply(lambda _: ROUTE_NAME)  # known once the route exists
        self.register_outputs({"route": self.route_name})

    def _service(
        self, tier: Tier, color: Color, name: str, deployments: dict[str, k8s.apps.v1.Deployment]
    ) -> k8s.core.v1.Service:
        cfg = self._cfg
        return k8s.core.v1.Service(
            name,
            metadata=metadata(cfg, tier, name, self._namespace, {"tier": tier, "color": color}),
            spec={
                "type": "ClusterIP",
                "selector": pod_labels(tier, color),
                "ports": [
                    {"name": "http", "port": cfg.kubernetes.service_port, "target_port": "http", "protocol": "TCP"}
                ],
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[deployments[deployment_name(tier, color)]]),
        )

    def _route(self) -> k8s.apiextensions.CustomResource:
        cfg, gateway = self._cfg, self._cfg.kubernetes.gateway
        child = pulumi.ResourceOptions(parent=self)
        # Read, not managed: the cluster's Gateway controller owns it. A missing Gateway fails the preview here.
        existing = k8s.apiextensions.CustomResource.get(
            "gateway",
            api_version=f"{GATEWAY_API}/v1",
            kind="Gateway",
            id=f"{gateway.namespace}/{gateway.name}",
            opts=child,
        )
        weights = cfg.blue_green.weights

        def backends(tier: Tier) -> list[dict[str, object]]:
            return [
                {
                    "group": "",
                    "kind": "Service",
                    "name": name_of(self.colour_services[deployment_name(tier, color)].metadata),
                    "port": cfg.kubernetes.service_port,
                    "weight": weights[color],
                }
                for color in COLORS
            ]

        parent = {
            "group": GATEWAY_API,
            "kind": "Gateway",
            "namespace": gateway.namespace,
            "name": gateway.name,
            **({"sectionName": gateway.section_name} if gateway.section_name else {}),
        }
        accepted = (
            f'jsonpath={{.status.parents[?(@.parentRef.name=="{gateway.name}")]'
            '.conditions[?(@.type=="Accepted")].status}=True'
        )
        return k8s.apiextensions.CustomResource(
            "route",
            api_version=f"{GATEWAY_API}/v1",
            kind="HTTPRoute",
            metadata=metadata(
                cfg, "kubernetes", ROUTE_NAME, self._namespace, annotations={"pulumi.com/waitFor": accepted}
            ),
            # A custom resource's spec goes to the API server as written: camelCase keys.
            spec={
                "parentRefs": [parent],
                **({"hostnames": gateway.hostnames} if gateway.hostnames else {}),
                "rules": [
                    {
                        "matches": [{"path": {"type": "PathPrefix", "value": API_PATH_PREFIX}}],
                        "backendRefs": backends("api"),
                    },
                    {"matches": [{"path": {"type": "PathPrefix", "value": "/"}}], "backendRefs": backends("web")},
                ],
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[existing]),
        )
