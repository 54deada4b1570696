"""Compute: per-tier autoscaling groups and scaling signals, hardened launch templates, scoped role."""

from __future__ import annotations

import base64
import json
import re

import pytest

GROUP = "aws:autoscaling/group:Group"
POLICY = "aws:autoscaling/policy:Policy"
TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
COMPONENT = "platform:aws:Compute"
GROUP_KEYS = ["api-blue", "api-green", "web-blue", "web-green", "worker"]


def _of(p, type_):
    return {r.name: r for r in p.children(COMPONENT) if r.type == type_}


def _user_data(template):
    return base64.b64decode(template.inputs["userData"]).decode()


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_group_sizes_per_tier(plan, stack):
    groups = _of(plan(stack), GROUP)
    assert sorted(groups) == GROUP_KEYS
    expected = {"web": (2, 10), "api": (3, 15), "worker": (2, 8)}
    for key, group in groups.items():
        assert (group.inputs["minSize"], group.inputs["maxSize"]) == expected[key.split("-")[0]], key


def test_group_sizes_follow_overrides(plan):
    groups = _of(plan("dev", "compute.api.minSize=4", "compute.api.maxSize=20", "compute.worker.maxSize=3"), GROUP)
    assert (groups["api-blue"].inputs["minSize"], groups["api-green"].inputs["maxSize"]) == (4, 20)
    assert groups["worker"].inputs["maxSize"] == 3
    assert groups["web-blue"].inputs["maxSize"] == 10


def test_colour_groups_attach_to_their_target_groups(plan):
    p = plan("staging")
    target_groups = p.outputs["aws_target_group_ids"].value
    groups = _of(p, GROUP)
    for tier in ("web", "api"):
        for colour in ("blue", "green"):
            group = groups[f"{tier}-{colour}"]
            assert group.inputs["targetGroupArns"] == [target_groups[tier][colour]]
            assert group.inputs["healthCheckType"] == "ELB"
    assert groups["worker"].inputs.get("targetGroupArns", []) == []
    assert groups["worker"].inputs["healthCheckType"] == "EC2"


def test_groups_run_in_private_subnets_with_refresh_metrics_and_tags(plan):
    p = plan("prod")
    private = p.outputs["aws_private_subnet_ids"].value
    for key, group in _of(p, GROUP).items():
        assert group.inputs["vpcZoneIdentifiers"] == private
        assert group.inputs["instanceRefresh"]["strategy"] == "Rolling"
        assert group.inputs["instanceRefresh"]["preferences"]["minHealthyPercentage"] == 90
        assert "GroupInServiceInstances" in group.inputs["enabledMetrics"]
        tags = {t["key"]: t["value"] for t in group.inputs["tags"]}
        assert all(t["propagateAtLaunch"] for t in group.inputs["tags"])
        assert tags["service"] == key.split("-")[0]
        assert tags["environment"] == "prod"
        template = p.by_urn(group.property_dependencies["launchTemplate"][0])
        assert template.name == key.split("-")[0]


def test_scaling_targets_per_tier(plan):
    p = plan("dev")
    policies = _of(p, POLICY)
    assert sorted(policies) == GROUP_KEYS
    for key, policy in policies.items():
        assert policy.inputs["policyType"] == "TargetTrackingScaling"
        assert policy.inputs["autoscalingGroupName"] == f"platform-dev-{key}"
    web = policies["web-green"].inputs["targetTrackingConfiguration"]
    assert web["targetValue"] == 70
    assert web["predefinedMetricSpecification"]["predefinedMetricType"] == "ASGAverageCPUUtilization"
    api = policies["api-blue"].inputs["targetTrackingConfiguration"]
    assert api["targetValue"] == 1000
    assert api["predefinedMetricSpecification"]["predefinedMetricType"] == "ALBRequestCountPerTarget"
    assert policies["worker"].inputs["targetTrackingConfiguration"]["targetValue"] == 100


def test_scaling_targets_follow_overrides(plan):
    policies = _of(plan("dev", "compute.web.target=55", "compute.worker.target=40"), POLICY)
    assert policies["web-blue"].inputs["targetTrackingConfiguration"]["targetValue"] == 55
    assert policies["worker"].inputs["targetTrackingConfiguration"]["targetValue"] == 40


def test_api_resource_label_names_the_alb_and_its_own_target_group(plan):
    p = plan("prod")
    lb_arn = p.named("aws:lb/listener:Listener", "https").inputs["loadBalancerArn"]
    lb_suffix = lb_arn.split(":loadbalancer/")[1]
    for colour, tg_arn in p.outputs["aws_target_group_ids"].value["api"].items():
        spec = _of(p, POLICY)[f"api-{colour}"].inputs["targetTrackingConfiguration"]["predefinedMetricSpecification"]
        tg_suffix = tg_arn.split(":", 5)[5]
        assert spec["resourceLabel"] == f"{lb_suffix}/{tg_suffix}"
        assert tg_suffix.startswith("targetgroup/api-")


def test_worker_scales_on_queue_backlog_per_instance(plan):
    p = plan("staging")
    queue = p.named("aws:sqs/queue:Queue", "work")
    metrics = _of(p, POLICY)["worker"].inputs["targetTrackingConfiguration"]["customizedMetricSpecification"]["metrics"]
    by_id = {m["id"]: m for m in metrics}
    (result,) = [m for m in metrics if m.get("returnData")]
    visible = next(m for m in metrics if m.get("metricStat", {}).get("metric", {}).get("namespace") == "AWS/SQS")
    instances = next(
        m for m in metrics if m.get("metricStat", {}).get("metric", {}).get("namespace") == "AWS/AutoScaling"
    )
    assert visible["metricStat"]["metric"]["metricName"] == "ApproximateNumberOfMessagesVisible"
    assert visible["metricStat"]["metric"]["dimensions"] == [{"name": "QueueName", "value": queue.inputs["name"]}]
    assert instances["metricStat"]["metric"]["metricName"] == "GroupInServiceInstances"
    assert instances["metricStat"]["metric"]["dimensions"] == [
        {"name": "AutoScalingGroupName", "value": "platform-staging-worker"}
    ]
    assert result["expression"] == f"{visible['id']} / {instances['id']}"
    assert set(by_id) == {visible["id"], instances["id"], result["id"]}


def test_launch_templates_are_hardened(plan):
    p = plan("prod")
    data_key_arn = p.outputs["aws_kms_key_id"].value
    templates = _of(p, TEMPLATE)
    assert sorted(templates) == ["api", "web", "worker"]
    for template in templates.values():
        inputs = template.inputs
        assert inputs["metadataOptions"]["httpTokens"] == "required"
        assert inputs["metadataOptions"]["httpPutResponseHopLimit"] == 1
        (volume,) = inputs["blockDeviceMappings"]
        assert volume["ebs"]["encrypted"] == "true"
        assert volume["ebs"]["kmsKeyId"] == data_key_arn
        assert volume["ebs"]["volumeType"] == "gp3"
        assert volume["ebs"]["volumeSize"] == 20
        (nic,) = inputs["networkInterfaces"]
        assert nic["associatePublicIpAddress"] == "false"
        (sg_urn,) = template.property_dependencies["networkInterfaces"]
        assert p.by_urn(sg_urn).name.endswith("app-sg")
        assert "vpcSecurityGroupIds" not in inputs
        assert inputs["monitoring"] == {"enabled": True}
        assert inputs["imageId"] == "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    assert {t: templates[t].inputs["instanceType"] for t in templates} == {
        "web": "m6i.large",
        "api": "m6i.xlarge",
        "worker": "m6i.large",
    }


def test_root_volume_size_follows_config(plan):
    for template in _of(plan("dev", "compute.rootVolumeGb=50"), TEMPLATE).values():
        assert template.inputs["blockDeviceMappings"][0]["ebs"]["volumeSize"] == 50


def test_user_data_configures_agent_and_app_settings(plan):
    script = _user_data(_of(plan("dev", "app.logLevel=debug"), TEMPLATE)["api"])
    agent = json.loads(re.search(r"<<'JSON'\n(.*?)\nJSON\n", script, re.S).group(1))
    metrics = agent["metrics"]
    assert metrics["namespace"] == "CWAgent"
    assert metrics["append_dimensions"]["AutoScalingGroupName"] == "${aws:AutoScalingGroupName}"
    assert ["AutoScalingGroupName"] in metrics["aggregation_dimensions"]
    assert metrics["metrics_collected"]["mem"]["measurement"] == ["mem_used_percent"]
    assert metrics["metrics_collected"]["disk"]["measurement"] == ["disk_used_percent"]
    env = re.search(r"<<'ENV'\n(.*?)\nENV\n", script, re.S).group(1).splitlines()
    assert "DATABASE_POOL_SIZE=20" in env
    assert "LOG_LEVEL=debug" in env
    assert "TENANT_ISOLATION_LEVEL=strict" in env
    assert "amazon-cloudwatch-agent-ctl -a fetch-config" in script


def test_user_data_tells_the_app_where_its_services_are(plan):
    p = plan("prod")
    env = dict(
        line.split("=", 1)
        for line in re.search(r"<<'ENV'\n(.*?)\nENV\n", _user_data(_of(p, TEMPLATE)["web"]), re.S).group(1).splitlines()
    )
    outputs = p.outputs
    assert env["DATABASE_HOST"] == outputs["aws_database_endpoint"].value
    assert env["DATABASE_PORT"] == "5432"
    assert env["DATABASE_SECRET_ARN"] == outputs["aws_database_secret_id"].value
    assert env["REDIS_HOST"] == outputs["aws_cache_endpoint"].value
    assert env["REDIS_AUTH_SECRET_ARN"] == outputs["aws_cache_secret_id"].value
    assert env["WORKER_QUEUE_URL"] == outputs["aws_worker_queue_id"].value
    assert env["JWT_SECRET_ARN"].startswith("arn:aws:secretsmanager:us-east-1:")
    assert env["APPCONFIG_APPLICATION_ID"] == outputs["aws_feature_flags_id"].value
    assert not any(value == "[secret]" for value in env.values())  # references only, never credentials


def test_instance_role_is_scoped_to_the_apps_resources(plan):
    p = plan("prod")
    role_policy = next(r for r in p.children(COMPONENT) if r.type == "aws:iam/rolePolicy:RolePolicy")
    statements = {s["Sid"]: s for s in json.loads(role_policy.inputs["policy"])["Statement"]}
    secrets = statements["ReadAppSecrets"]
    assert secrets["Action"] == "secretsmanager:GetSecretValue"
    assert len(secrets["Resource"]) == 3
    assert p.outputs["aws_database_secret_id"].value in secrets["Resource"]
    assert p.outputs["aws_cache_secret_id"].value in secrets["Resource"]
    jwt = p.named("aws:secretsmanager/secret:Secret", "jwt-signing-key")
    assert jwt.urn in role_policy.property_dependencies["policy"]
    assert statements["UseDataKey"]["Resource"] == p.outputs["aws_kms_key_id"].value
    assert statements["UseDataKey"]["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]  # send to the encrypted queue
    flags = statements["ReadFeatureFlags"]
    app_id = p.outputs["aws_feature_flags_id"].value
    assert flags["Resource"].startswith(f"arn:aws:appconfig:us-east-1:123456789012:application/{app_id}/environment/")
    assert "/configuration/" in flags["Resource"]
    assert flags["Action"] == ["appconfig:StartConfigurationSession", "appconfig:GetLatestConfiguration"]
    queue_name = p.named("aws:sqs/queue:Queue", "work").inputs["name"]
    assert statements["ConsumeWorkQueue"]["Resource"] == f"arn:aws:sqs:us-east-1:123456789012:{queue_name}"
    log_names = p.outputs["aws_app_log_group_names"].value.values()
    assert sorted(statements["WriteAppLogs"]["Resource"]) == sorted(
        f"arn:aws:logs:us-east-1:123456789012:log-group:{name}:*" for name in log_names
    )
    for statement in statements.values():
        assert statement["Effect"] == "Allow"
        assert "*" not in json.dumps(statement["Action"]) and statement["Resource"] != "*"
    attached = {r.inputs["policyArn"] for r in _of(p, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").values()}
    assert attached == {
        "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
        "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy",
    }


def test_instances_launch_only_after_their_permissions_exist(plan):
    p = plan("dev")
    profile = next(r for r in p.children(COMPONENT) if r.type == "aws:iam/instanceProfile:InstanceProfile")
    grants = [r.urn for r in p.children(COMPONENT) if r.type.startswith("aws:iam/rolePolicy")]
    assert len(grants) == 3
    assert set(grants) <= set(profile.dependencies)
    for template in _of(p, TEMPLATE).values():
        assert profile.urn in template.property_dependencies["iamInstanceProfile"]
