"""Every resource of every stack fits the provider SDKs' input types; injected faults are reported where they are."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest
from pulumi.output import Unknown
from pulumi_azure_native.monitor import ConditionOperator

from infractl import cli, provider_inputs, runtime
from infractl.provider_inputs import Result

STACKS = ("dev", "staging", "prod")
CLOUDS = ("aws", "azure", "gcp")
PROVIDERS = {"aws": "aws", "azure": "azure-native", "gcp": "gcp"}
ON = "kubernetes.enabled=true"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
METRIC_ALERT = "azure-native:monitor:MetricAlert"
LOG_ALERT = "azure-native:monitor:ScheduledQueryRule"


def cloud_plan(plan, stack: str, cloud: str) -> runtime.Plan:
    """The stack on one cloud with Kubernetes workloads.

    The stack files ship AWS, so AWS takes them as they are: the same arguments as the Kubernetes
    tests, whose plans the fixture has then already cached.
    """
    stack_plan = plan(stack, ON) if cloud == "aws" else plan(stack, ON, f'clouds=["{cloud}"]')
    assert any(r.type.startswith(f"pulumi:providers:{PROVIDERS[cloud]}") for r in stack_plan.resources)
    return stack_plan


@pytest.mark.parametrize("cloud", CLOUDS)
@pytest.mark.parametrize("stack", STACKS)
def test_every_resource_fits_its_provider_sdk(plan, stack: str, cloud: str) -> None:
    stack_plan = cloud_plan(plan, stack, cloud)
    result = Result()
    found = provider_inputs.check(stack_plan, result)
    assert found == [], "\n".join(map(str, found))
    custom = [r for r in stack_plan.resources if r.custom]
    assert result.resources == len(custom) and any(r.type.startswith("kubernetes:") for r in custom)
    assert result.values > sum(len(r.inputs) for r in custom)  # nested inputs walked too, not just the top level


def faulty(stack_plan: runtime.Plan, type_: str, name: str | None = None) -> runtime.Resource:
    """A deep copy of one real resource of the plan, safe to break (the cached plan stays intact)."""
    resource = next(r for r in stack_plan.of_type(type_) if name in (None, r.name))
    return dataclasses.replace(resource, inputs=copy.deepcopy(resource.inputs))


def problems(resource: runtime.Resource) -> dict[str, str]:
    found = provider_inputs.check_resource(resource)
    assert all(f.urn == resource.urn for f in found)
    return {f.path: f.problem for f in found}


@pytest.fixture
def deployment(plan) -> runtime.Resource:
    return faulty(cloud_plan(plan, "prod", "aws"), DEPLOYMENT)


@pytest.fixture
def metric_alert(plan) -> runtime.Resource:
    return faulty(cloud_plan(plan, "prod", "azure"), METRIC_ALERT)


def container(deployment: runtime.Resource) -> dict[str, Any]:
    return deployment.inputs["spec"]["template"]["spec"]["containers"][0]


def test_unknown_nested_key_is_reported_at_its_path(deployment: runtime.Resource) -> None:
    container(deployment)["readinessProbe"]["httpGet"]["paht"] = "/ready"
    assert problems(deployment) == {
        "spec.template.spec.containers[0].readinessProbe.httpGet.paht": (
            "unknown property of HTTPGetActionArgs (did you mean 'path'?)"
        )
    }


def test_snake_case_key_is_unknown(metric_alert: runtime.Resource) -> None:
    metric_alert.inputs["criteria"]["allOf"][0]["metric_name"] = metric_alert.inputs["criteria"]["allOf"][0].pop(
        "metricName"
    )
    assert problems(metric_alert) == {
        "criteria.allOf[0].metric_name": "unknown property of MetricCriteriaArgs (did you mean 'metricName'?)",
        "criteria.allOf[0].metricName": "missing required input of MetricCriteriaArgs",
    }


def test_missing_required_input_is_reported(deployment: runtime.Resource, plan) -> None:
    del deployment.inputs["spec"]["selector"]
    assert problems(deployment) == {"spec.selector": "missing required input of DeploymentSpecArgs"}
    listener = faulty(cloud_plan(plan, "prod", "aws"), "aws:lb/listener:Listener", "https")
    del listener.inputs["loadBalancerArn"]
    assert problems(listener) == {"loadBalancerArn": "missing required input of ListenerArgs"}


def test_bad_enum_value_is_reported(metric_alert: runtime.Resource) -> None:
    metric_alert.inputs["criteria"]["allOf"][0]["operator"] = "Above"
    assert problems(metric_alert) == {
        "criteria.allOf[0].operator": (
            "'Above' is not one of Operator: Equals, GreaterThan, GreaterThanOrEqual, LessThan, LessThanOrEqual"
        )
    }


def test_extensible_azure_enums_take_any_string_but_closed_ones_do_not(plan) -> None:
    """``Known*`` enums list known values of an extensible API enum (a DCR's data-flow streams)."""
    rules = cloud_plan(plan, "prod", "azure").of_type("azure-native:monitor:DataCollectionRule")
    (prometheus,) = [r for r in rules if r.inputs["dataFlows"][0]["streams"] == ["Microsoft-PrometheusMetrics"]]
    rule = faulty(cloud_plan(plan, "prod", "azure"), prometheus.type, prometheus.name)
    assert problems(rule) == {}
    flows = rule.inputs["dataFlows"]
    flows[0]["streams"] = ["Custom-PlatformMetrics"]
    assert problems(rule) == {}
    flows[0]["streams"] = [7]
    assert set(problems(rule)) == {"dataFlows[0].streams[0]"}


def test_wrong_container_type_is_reported(plan, deployment: runtime.Resource) -> None:
    listener = faulty(cloud_plan(plan, "prod", "aws"), "aws:lb/listener:Listener", "http")
    listener.inputs["defaultActions"] = listener.inputs["defaultActions"][0]  # one action, not a list of them
    (problem,) = problems(listener).items()
    assert problem[0] == "defaultActions" and problem[1].startswith("expected a list, got a map")
    container(deployment)["env"] = {"PORT": "8080"}
    (problem,) = problems(deployment).items()
    assert problem[0] == "spec.template.spec.containers[0].env" and problem[1].startswith("expected a list")


def test_wrong_scalar_type_is_reported(deployment: runtime.Resource) -> None:
    container(deployment)["securityContext"]["runAsNonRoot"] = "true"
    deployment.inputs["spec"]["revisionHistoryLimit"] = 2.5
    assert problems(deployment) == {
        "spec.template.spec.containers[0].securityContext.runAsNonRoot": 'expected bool, got a string "true"',
        "spec.revisionHistoryLimit": "expected int, got a number 2.5",
    }


def test_union_value_is_judged_as_the_member_its_discriminator_names(metric_alert: runtime.Resource) -> None:
    criteria = metric_alert.inputs["criteria"]
    assert criteria["odataType"] == "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria"
    assert problems(metric_alert) == {}
    criteria["odataType"] = "Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria"
    assert problems(metric_alert) == {
        "criteria.allOf": "unknown property of WebtestLocationAvailabilityCriteriaArgs",
        "criteria.componentId": "missing required input of WebtestLocationAvailabilityCriteriaArgs",
        "criteria.failedLocationCount": "missing required input of WebtestLocationAvailabilityCriteriaArgs",
        "criteria.webTestId": "missing required input of WebtestLocationAvailabilityCriteriaArgs",
    }


def test_discriminator_constant_is_checked(metric_alert: runtime.Resource) -> None:
    condition = metric_alert.inputs["criteria"]["allOf"][0]
    condition["criterionType"] = "DynamicThresholdCriterion"  # a single-resource alert's conditions are static
    assert problems(metric_alert) == {
        "criteria.allOf[0].criterionType": (
            "must be 'StaticThresholdCriterion' for MetricCriteriaArgs, got 'DynamicThresholdCriterion'"
        )
    }


def test_log_alert_operator_is_checked_against_the_api_not_the_colliding_sdk_enum(plan) -> None:
    rule = faulty(cloud_plan(plan, "prod", "azure"), LOG_ALERT)
    assert rule.inputs["criteria"]["allOf"][0]["operator"] == "GreaterThan"
    assert problems(rule) == {}
    rule.inputs["criteria"]["allOf"][0]["operator"] = "gt"  # valid for the SDK's enum, refused by the API
    ((path, problem),) = problems(rule).items()
    assert path == "criteria.allOf[0].operator" and problem.startswith("'gt' is not one of ConditionOperator")


def test_the_enum_correction_is_still_needed() -> None:
    """When the SDK types the operator right, drop its ENUM_CORRECTIONS entry."""
    assert "GreaterThan" not in {member.value for member in ConditionOperator}


def test_secret_and_unknown_values_pass_but_their_absence_does_not(plan) -> None:
    listener = faulty(cloud_plan(plan, "prod", "aws"), "aws:lb/listener:Listener", "https")
    listener.inputs["defaultActions"] = runtime.SECRET
    listener.inputs["loadBalancerArn"] = Unknown()
    assert problems(listener) == {}
    listener.inputs["loadBalancerArn"] = None
    assert problems(listener) == {"loadBalancerArn": "missing required input of ListenerArgs"}


def test_provider_inputs_are_decoded_before_they_are_checked(plan) -> None:
    provider = faulty(cloud_plan(plan, "prod", "aws"), "pulumi:providers:aws")
    assert provider.inputs["skipCredentialsValidation"] == "false" and problems(provider) == {}
    provider.inputs["skipCredentialsValidation"] = "no"
    provider.inputs["regoin"] = "us-east-1"
    assert problems(provider) == {
        "skipCredentialsValidation": 'expected bool, got a string "no"',
        "regoin": "unknown property of ProviderArgs (did you mean 'region'?)",
    }


def test_a_type_no_sdk_declares_is_reported(deployment: runtime.Resource) -> None:
    misspelt = dataclasses.replace(deployment, type="kubernetes:apps/v1:Deploymnet")
    assert problems(misspelt) == {"": "no provider SDK declares the type kubernetes:apps/v1:Deploymnet"}


def test_components_are_not_provider_resources(plan) -> None:
    stack_plan = cloud_plan(plan, "dev", "gcp")
    components = [r for r in stack_plan.resources if not r.custom]
    assert components and all(provider_inputs.check_resource(r) == [] for r in components)


def test_command_reports_findings_and_fails(plan, monkeypatch, capsys, deployment: runtime.Resource) -> None:
    del deployment.inputs["spec"]["selector"]
    stack_plan = cloud_plan(plan, "prod", "aws")
    broken = dataclasses.replace(stack_plan, resources=[*stack_plan.resources, deployment])
    monkeypatch.setattr(provider_inputs.plan, "load", lambda program, stack, overrides: broken)
    assert cli.main(["inputs", "--stack", "prod"]) == 1
    out = capsys.readouterr().out
    assert f"Stack prod: 1 finding(s)\n  {deployment.urn}: spec.selector: missing required input of" in out
    assert "resources, " in out and "enum values checked" in out


def test_custom_resources_are_checked_against_what_their_type_names(deployment: runtime.Resource) -> None:
    """Gateway API and Prometheus Operator kinds have no SDK type: apiVersion, kind and metadata must match."""
    route_type = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
    inputs = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": "r"}}
    route = dataclasses.replace(deployment, type=route_type, inputs=inputs)
    assert problems(route) == {}
    wrong = dataclasses.replace(route, inputs={**inputs, "kind": "HTTPRoutes", "metadata": "r"})
    assert problems(wrong) == {
        "kind": "expected 'HTTPRoute', got a string \"HTTPRoutes\"",
        "metadata": 'expected an object, got a string "r"',
    }
