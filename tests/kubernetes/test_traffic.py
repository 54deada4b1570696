"""Services per colour, the live Services, and the weighted Gateway API HTTPRoute (SPEC.md: Blue-green)."""

from __future__ import annotations

import pytest

from components.config import COLORS

from .objects import DEPLOYMENT, HTTP_ROUTE, ON, OTHER_PORT_PDB_SELECTOR, SERVED_DEPLOYMENTS, SERVICE, spec

HTTP = [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]


def colours(active: str, canary: int = 0) -> tuple[str, ...]:
    """Overrides for a traffic split, none for the defaults (blue live, no canary) so plans are shared."""
    return (
        *((f"blueGreen.activeColor={active}",) if active != "blue" else ()),
        *((f"blueGreen.canaryWeight={canary}",) if canary else ()),
    )


def route(plan, *overrides: str) -> dict:
    (found,) = plan("prod", ON, *overrides).of_type(HTTP_ROUTE)
    return found.inputs


def weights(route_inputs: dict) -> dict[str, dict[str, int]]:
    """{path prefix: {backend Service: weight}}."""
    return {
        rule["matches"][0]["path"]["value"]: {ref["name"]: ref["weight"] for ref in rule["backendRefs"]}
        for rule in route_inputs["spec"]["rules"]
    }


@pytest.mark.parametrize("active", COLORS)
def test_live_services_select_the_active_colour_and_colour_services_their_own(plan, active: str) -> None:
    p = plan("prod", ON, *colours(active))
    assert sorted(s.name for s in p.of_type(SERVICE)) == sorted(["web", "api", *SERVED_DEPLOYMENTS])
    for tier in ("web", "api"):
        live = p.named(SERVICE, tier)
        assert spec(live) == {
            "type": "ClusterIP",
            "selector": {"role": "app", "tier": tier, "color": active},
            "ports": HTTP,
        }
        assert p.named(DEPLOYMENT, f"{tier}-{active}").urn in live.dependencies  # waits for the pods it selects
        for color in COLORS:
            pool = p.named(SERVICE, f"{tier}-{color}")
            assert spec(pool)["selector"] == {"role": "app", "tier": tier, "color": color}
            assert spec(pool)["ports"] == HTTP
    assert p.outputs["kubernetes_service_names"].value == {"web": "web", "api": "api"}
    assert p.outputs["kubernetes_namespace"].value == "platform-prod"
    assert p.outputs["kubernetes_route_name"].value == "platform"


def test_service_port_is_config(plan) -> None:
    p = plan("dev", ON, *OTHER_PORT_PDB_SELECTOR)
    assert spec(p.named(SERVICE, "web-green"))["ports"][0]["port"] == 8000
    (dev_route,) = p.of_type(HTTP_ROUTE)
    assert {ref["port"] for rule in dev_route.inputs["spec"]["rules"] for ref in rule["backendRefs"]} == {8000}


@pytest.mark.parametrize(
    ("active", "canary"), [("blue", 0), ("blue", 10), ("blue", 25), ("blue", 50), ("blue", 100), ("green", 25)]
)
def test_route_weights_follow_active_colour_and_canary_weight(plan, active: str, canary: int) -> None:
    idle = "green" if active == "blue" else "blue"
    found = weights(route(plan, *colours(active, canary)))
    assert found == {
        "/api": {f"api-{active}": 100 - canary, f"api-{idle}": canary},
        "/": {f"web-{active}": 100 - canary, f"web-{idle}": canary},
    }
    assert all(sum(backends.values()) == 100 for backends in found.values())


def test_route_attaches_to_the_configured_gateway_and_waits_until_accepted(plan) -> None:
    inputs = route(plan)
    assert inputs["apiVersion"] == "gateway.networking.k8s.io/v1" and inputs["kind"] == "HTTPRoute"
    assert inputs["metadata"]["namespace"] == "platform-prod"
    assert inputs["spec"]["parentRefs"] == [
        {"group": "gateway.networking.k8s.io", "kind": "Gateway", "namespace": "gateway-system", "name": "platform"}
    ]
    assert "hostnames" not in inputs["spec"]
    for rule in inputs["spec"]["rules"]:
        assert rule["matches"][0]["path"]["type"] == "PathPrefix"
        assert all(ref["group"] == "" and ref["kind"] == "Service" and ref["port"] == 80 for ref in rule["backendRefs"])
    assert inputs["metadata"]["annotations"] == {
        "pulumi.com/waitFor": 'jsonpath={.status.parents[?(@.parentRef.name=="platform")]'
        '.conditions[?(@.type=="Accepted")].status}=True'
    }
    named = route(
        plan,
        "kubernetes.gateway.name=edge",
        "kubernetes.gateway.namespace=istio-ingress",
        "kubernetes.gateway.sectionName=https",
        'kubernetes.gateway.hostnames=["platform.example.com"]',
    )
    assert named["spec"]["parentRefs"] == [
        {
            "group": "gateway.networking.k8s.io",
            "kind": "Gateway",
            "namespace": "istio-ingress",
            "name": "edge",
            "sectionName": "https",
        }
    ]
    assert named["spec"]["hostnames"] == ["platform.example.com"]
    assert '@.parentRef.name=="edge"' in named["metadata"]["annotations"]["pulumi.com/waitFor"]


def test_route_reads_the_gateway_first_and_waits_for_the_colour_services(plan) -> None:
    p = plan("prod", ON)
    (found,) = p.of_type(HTTP_ROUTE)
    # The Gateway is read, not managed: a missing Gateway (or Gateway API CRD) stops the preview there.
    assert any(urn.endswith("$kubernetes:gateway.networking.k8s.io/v1:Gateway::gateway") for urn in found.dependencies)
    assert not [r for r in p.resources if r.type.endswith(":Gateway")]
    services = {p.named(SERVICE, name).urn for name in SERVED_DEPLOYMENTS}
    assert services <= set(found.property_dependencies["spec"])
