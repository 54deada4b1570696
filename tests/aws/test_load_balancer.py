"""Load balancer: TLS 1.3 with a DNS-validated certificate, HTTP only redirects, weights follow config."""

from __future__ import annotations

import pytest

LISTENER = "aws:lb/listener:Listener"
RULE = "aws:lb/listenerRule:ListenerRule"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
RECORD = "aws:route53/record:Record"
COMPONENT = "platform:aws:BlueGreenLoadBalancer"


def _weights(p, tier, action):
    """{colour: weight} of a forward action, mapping each target group ARN back to its colour."""
    colour_of = {arn: colour for colour, arn in p.outputs["aws_target_group_ids"].value[tier].items()}
    groups = action["forward"]["targetGroups"]
    return {colour_of[g["arn"]]: g["weight"] for g in groups}


def test_https_listener_uses_tls13_and_the_validated_certificate(plan):
    p = plan("prod")
    https = p.named(LISTENER, "https")
    validation = p.named("aws:acm/certificateValidation:CertificateValidation", "certificate")
    certificate = p.named("aws:acm/certificate:Certificate", "certificate")
    assert https.inputs["port"] == 443
    assert https.inputs["protocol"] == "HTTPS"
    assert https.inputs["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert https.inputs["certificateArn"] == validation.inputs["certificateArn"]
    assert https.inputs["certificateArn"].startswith("arn:aws:acm:us-east-1:123456789012:certificate/")
    # Wired through the validation, so the listener waits until the certificate is issued.
    assert https.property_dependencies["certificateArn"] == [validation.urn]
    assert certificate.inputs["domainName"] == "platform.example.com"
    assert certificate.inputs["validationMethod"] == "DNS"


def test_certificate_validated_by_a_record_in_the_hosted_zone(plan):
    p = plan("staging")
    record = p.named(RECORD, "certificate-validation")
    certificate = p.named("aws:acm/certificate:Certificate", "certificate")
    assert record.inputs["zoneId"] == "Z0000000000000EXAMPLE"
    assert record.inputs["type"] == "CNAME"
    assert record.inputs["name"].endswith(".staging.platform.example.com.")
    assert record.inputs["records"][0].endswith(".acm-validations.aws.")
    assert certificate.urn in record.property_dependencies["name"]
    validation = p.named("aws:acm/certificateValidation:CertificateValidation", "certificate")
    assert validation.property_dependencies["validationRecordFqdns"] == [record.urn]


def test_http_listener_only_redirects_to_https(plan):
    p = plan("prod")
    http = p.named(LISTENER, "http")
    assert http.inputs["port"] == 80
    assert http.inputs["protocol"] == "HTTP"
    (action,) = http.inputs["defaultActions"]
    assert action["type"] == "redirect"
    assert "forward" not in action and "targetGroupArn" not in action
    assert action["redirect"] == {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}
    assert not [r for r in p.of_type(RULE) if http.urn in r.property_dependencies["listenerArn"]]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ((), {"blue": 100, "green": 0}),
        (("blueGreen.canaryWeight=25",), {"blue": 75, "green": 25}),
        (("blueGreen.activeColor=green",), {"blue": 0, "green": 100}),
        (("blueGreen.activeColor=green", "blueGreen.canaryWeight=10"), {"blue": 10, "green": 90}),
    ],
)
def test_web_and_api_weights_follow_config(plan, overrides, expected):
    p = plan("dev", *overrides)
    https = p.named(LISTENER, "https")
    (default,) = https.inputs["defaultActions"]
    assert default["type"] == "forward"
    assert _weights(p, "web", default) == expected
    rule = p.named(RULE, "api")
    (action,) = rule.inputs["actions"]
    assert action["type"] == "forward"
    assert _weights(p, "api", action) == expected


def test_api_rule_routes_api_paths_on_the_https_listener(plan):
    p = plan("dev")
    rule = p.named(RULE, "api")
    assert rule.inputs["conditions"] == [{"pathPattern": {"values": ["/api/*"]}}]
    assert rule.property_dependencies["listenerArn"] == [p.named(LISTENER, "https").urn]


@pytest.mark.parametrize(("stack", "protected"), [("dev", False), ("prod", True)])
def test_public_alb_in_public_subnets(plan, stack, protected):
    p = plan(stack)
    lb = p.named("aws:lb/loadBalancer:LoadBalancer", "alb")
    assert lb.inputs["internal"] is False
    assert lb.inputs["loadBalancerType"] == "application"
    assert lb.inputs["dropInvalidHeaderFields"] is True
    assert lb.inputs["enableHttp2"] is True
    assert lb.inputs["enableDeletionProtection"] is protected
    assert lb.inputs["subnets"] == p.outputs["aws_public_subnet_ids"].value
    (sg_urn,) = lb.property_dependencies["securityGroups"]
    assert p.by_urn(sg_urn).name.endswith("lb-sg")


def test_target_groups_check_health_inside_the_vpc(plan):
    p = plan("prod")
    groups = [r for r in p.children(COMPONENT) if r.type == TARGET_GROUP]
    assert sorted(g.name for g in groups) == ["api-blue", "api-green", "web-blue", "web-green"]
    for group in groups:
        assert group.inputs["port"] == 8080  # compute.appPort
        assert group.inputs["protocol"] == "HTTP"
        assert group.inputs["vpcId"] == p.outputs["aws_network_id"].value
        assert group.inputs["healthCheck"]["path"] == "/health"
        assert group.inputs["deregistrationDelay"] == 30
        assert group.inputs["tags"]["color"] == group.name.split("-")[1]


def test_target_group_settings_follow_config(plan):
    p = plan("dev", "blueGreen.deregistrationDelaySeconds=5", "compute.healthPath=/ready", "compute.appPort=8080")
    for group in p.of_type(TARGET_GROUP):
        assert group.inputs["deregistrationDelay"] == 5
        assert group.inputs["healthCheck"]["path"] == "/ready"
        assert group.inputs["port"] == 8080  # compute.appPort80


def test_domain_points_at_the_alb(plan):
    p = plan("dev")
    alias = p.named(RECORD, "alias")
    assert alias.inputs["name"] == "dev.platform.example.com"
    assert alias.inputs["type"] == "A"
    (target,) = alias.inputs["aliases"]
    assert target["name"] == p.outputs["aws_load_balancer_dns_name"].value
    assert target["zoneId"] == "Z35SXDOTRQ7X7K"
