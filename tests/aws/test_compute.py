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


HELLO = "us-docker.pkg.dev/google-samples/containers/gke/hello-app"
APP_ENV = "/etc/platform/app.env"
START = "/usr/local/bin/platform-app"
UNIT = "/etc/systemd/system/platform-app.service"
PROMETHEUS = "/opt/aws/amazon-cloudwatch-agent/etc/prometheus.yaml"
AGENT = "/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json"


def _script(template):
    return base64.b64decode(template.inputs["userData"]).decode()


def _files(template):
    """The files the boot script writes, by path."""
    return dict(re.findall(r"^cat > (\S+) <<'EOF'\n(.*?)\nEOF$", _script(template), re.S | re.M))


def _run(files):
    """The start script's ``docker run`` command, continuation lines joined."""
    return files[START].split("exec docker run ", 1)[1].replace("\\\n", "")


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
        (template_urn,) = group.property_dependencies["launchTemplate"]
        assert p.by_urn(template_urn).name == key  # each group its own template


def test_health_check_grace_covers_install_pull_and_the_first_health_checks(plan):
    """ELB health checks judge an instance only after the grace period, so one that is still installing docker
    and pulling its release is not replaced (and replaced again) before it could ever answer /health."""
    for group in _of(plan("dev"), GROUP).values():
        assert group.inputs["healthCheckGracePeriod"] == 600
    for group in _of(plan("dev", "aws.healthCheckGraceSeconds=900"), GROUP).values():
        assert group.inputs["healthCheckGracePeriod"] == 900


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


def test_request_count_policies_wait_for_the_listener_and_the_api_rule(plan):
    """ALBRequestCountPerTarget names a target group the load balancer must already route to."""
    p = plan("prod")
    routing = {p.named("aws:lb/listener:Listener", "https").urn, p.named("aws:lb/listenerRule:ListenerRule", "api").urn}
    policies = _of(p, POLICY)
    for key in ("api-blue", "api-green"):
        assert routing <= set(policies[key].dependencies)
    assert not routing & set(policies["web-blue"].dependencies)  # CPU scaling needs no routing


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
    assert sorted(templates) == GROUP_KEYS  # one per group: a colour's release is its own template's business
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
        assert len(base64.b64decode(inputs["userData"])) < 16 * 1024  # EC2's user-data limit
    assert {key: template.inputs["instanceType"] for key, template in templates.items()} == {
        "web-blue": "m6i.large",
        "web-green": "m6i.large",
        "api-blue": "m6i.xlarge",
        "api-green": "m6i.xlarge",
        "worker": "m6i.large",
    }


def test_root_volume_size_follows_config(plan):
    for template in _of(plan("dev", "compute.rootVolumeGb=50"), TEMPLATE).values():
        assert template.inputs["blockDeviceMappings"][0]["ebs"]["volumeSize"] == 50


def _env(files):
    return dict(line.split("=", 1) for line in files[APP_ENV].splitlines())


@pytest.mark.parametrize(
    ("key", "image", "version"),
    [
        ("web-blue", f"{HELLO}:1.0", "1.0.0"),
        ("api-blue", f"{HELLO}:1.0", "1.0.0"),
        ("web-green", f"{HELLO}:2.0", "2.0.0"),
        ("api-green", f"{HELLO}:2.0", "2.0.0"),
        ("worker", f"{HELLO}:1.0", "1.0.0"),  # the active colour's release
    ],
)
def test_each_colour_runs_its_own_release_and_the_worker_the_active_colours(plan, key, image, version):
    files = _files(_of(plan("dev"), TEMPLATE)[key])
    tier, _, color = key.partition("-")
    assert _run(files).endswith(f" {image}")
    assert f"docker pull {image}" in files[START]
    env = _env(files)
    assert (env["APP_TIER"], env["APP_COLOR"], env["APP_VERSION"]) == (tier, color or "blue", version)
    assert f"platform {tier} {version} ({image})" in files[UNIT]


def test_the_worker_follows_the_active_colour(plan):
    files = _files(_of(plan("dev", "blueGreen.activeColor=green"), TEMPLATE)["worker"])
    assert _run(files).endswith(f" {HELLO}:2.0")
    assert _env(files)["APP_COLOR"] == "green"


COMPUTE_TYPES = (TEMPLATE, GROUP, POLICY)


def _wiring(resource):
    """What a resource depends on, per input (the engine reports each list in no fixed order)."""
    return {name: set(urns) for name, urns in resource.property_dependencies.items()}, set(resource.dependencies)


def test_a_new_green_release_changes_no_input_of_blues_compute(plan):
    """Staging a release on the idle colour must leave the live one untouched: same template (no new version, so
    no instance refresh), same group, same scaling policy, input for input."""
    before, after = plan("staging"), plan("staging", "blueGreen.releases.green.image=registry.example.com/app:2.1.0")
    for type_ in COMPUTE_TYPES:
        old, new = _of(before, type_), _of(after, type_)
        for key in ("web-blue", "api-blue", "worker"):
            assert new[key].inputs == old[key].inputs, f"{type_} {key}"
            assert _wiring(new[key]) == _wiring(old[key]), f"{type_} {key}"
    for key in ("web-green", "api-green"):
        assert _run(_files(_of(after, TEMPLATE)[key])).endswith(" registry.example.com/app:2.1.0")
        assert _of(after, TEMPLATE)[key].inputs["userData"] != _of(before, TEMPLATE)[key].inputs["userData"]


def test_the_container_listens_where_the_target_group_checks_and_runs_unprivileged(plan):
    p = plan("prod")
    files = _files(_of(p, TEMPLATE)["api-green"])
    env = _env(files)
    target_group = p.named("aws:lb/targetGroup:TargetGroup", "api-green").inputs
    assert env["PORT"] == str(int(target_group["port"])) == "8080"
    assert target_group["healthCheck"]["path"] == "/health"
    run = _run(files)
    for flag in ("--network host", "--user 10001:10001", "--read-only", "--cap-drop ALL", "no-new-privileges"):
        assert flag in run
    assert f"--env-file {APP_ENV}" in run
    unit = files[UNIT]
    assert f"ExecStart={START}" in unit and "Restart=always" in unit and "Requires=docker.service" in unit
    script = _script(_of(p, TEMPLATE)["api-green"])
    assert "dnf install -y docker" in script  # Amazon Linux 2023's own repositories
    assert "systemctl enable --now docker.service platform-app.service" in script


def test_container_logs_go_to_the_tiers_log_group(plan):
    p = plan("staging")
    names = p.outputs["aws_app_log_group_names"].value
    for key, template in _of(p, TEMPLATE).items():
        run = _run(_files(template))
        assert "--log-driver awslogs" in run
        assert f"--log-opt awslogs-group={names[key.split('-')[0]]}" in run
        assert "--log-opt awslogs-region=us-east-1" in run


def test_user_data_tells_the_app_where_its_services_are(plan):
    p = plan("prod")
    env = _env(_files(_of(p, TEMPLATE)["web-blue"]))
    outputs = p.outputs
    assert env["DATABASE_HOST"] == outputs["aws_database_endpoint"].value
    assert env["DATABASE_PORT"] == "5432"
    assert env["DATABASE_USER"] == "platform_admin"
    assert env["REDIS_HOST"] == outputs["aws_cache_endpoint"].value
    assert env["WORKER_QUEUE_URL"] == outputs["aws_worker_queue_id"].value
    assert env["APPCONFIG_APPLICATION_ID"] == outputs["aws_feature_flags_id"].value
    assert (env["DATABASE_POOL_SIZE"], env["TENANT_ISOLATION_LEVEL"], env["METRICS_PORT"]) == ("20", "strict", "9090")
    assert _env(_files(_of(plan("dev", "app.logLevel=debug"), TEMPLATE)["api-blue"]))["LOG_LEVEL"] == "debug"


def test_credentials_are_read_from_secrets_manager_at_start_and_never_written_down(plan):
    p = plan("prod")
    outputs = p.outputs
    for template in _of(p, TEMPLATE).values():
        files = _files(template)
        env = _env(files)
        assert not {"DATABASE_PASSWORD", "REDIS_AUTH_TOKEN", "JWT_SIGNING_KEY"} & set(env)
        start = files[START]
        database = outputs["aws_database_secret_id"].value
        assert f"DATABASE_PASSWORD=$(secret {database} | jq -r .password)" in start
        assert f"REDIS_AUTH_TOKEN=$(secret {outputs['aws_cache_secret_id'].value})" in start
        assert "JWT_SIGNING_KEY=$(secret arn:aws:secretsmanager:us-east-1:" in start
        assert "aws secretsmanager get-secret-value --region us-east-1" in start
        assert "-e DATABASE_PASSWORD -e REDIS_AUTH_TOKEN -e JWT_SIGNING_KEY" in _run(files)
        assert 'DOCKER_CONFIG="$RUNTIME_DIRECTORY"' in start  # registry tokens in the unit's tmpfs only
        assert "[secret]" not in _script(template)  # no secret value went into the launch template


def test_the_agent_scrapes_prometheus_and_turns_the_pool_gauge_into_a_metric_per_group(plan):
    p = plan("dev")
    files = _files(_of(p, TEMPLATE)["web-green"])
    scrape = json.loads(files[PROMETHEUS])
    assert scrape["global"] == {"scrape_interval": "15s", "scrape_timeout": "10s"}
    (job,) = scrape["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    assert job["static_configs"] == [
        {"targets": ["127.0.0.1:9090"], "labels": {"AutoScalingGroupName": "platform-dev-web-green"}}
    ]
    agent = json.loads(files[AGENT])
    prometheus = agent["logs"]["metrics_collected"]["prometheus"]
    assert prometheus["prometheus_config_path"] == PROMETHEUS
    assert prometheus["log_group_name"] == p.named("aws:cloudwatch/logGroup:LogGroup", "scrape").inputs["name"]
    emf = prometheus["emf_processor"]
    assert emf["metric_namespace"] == "Platform/dev"
    (declaration,) = emf["metric_declaration"]
    assert declaration["source_labels"] == ["job"] and declaration["label_matcher"] == f"^{job['job_name']}$"
    assert declaration["dimensions"] == [["AutoScalingGroupName"]]
    assert declaration["metric_selectors"] == ["^database_pool_connections_in_use$"]
    metrics = agent["metrics"]
    assert metrics["append_dimensions"]["AutoScalingGroupName"] == "${aws:AutoScalingGroupName}"
    assert metrics["metrics_collected"]["mem"]["measurement"] == ["mem_used_percent"]
    assert metrics["metrics_collected"]["disk"]["measurement"] == ["disk_used_percent"]
    assert "amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:" + AGENT in _script(
        _of(p, TEMPLATE)["web-green"]
    )


def test_the_scrape_follows_config(plan):
    p = plan(
        "dev",
        "compute.scrapeIntervalSeconds=5",
        "compute.metricsPort=9100",
        "compute.metricsPath=/prom",
        "blueGreen.rollback.poolInUseMetric=db_pool_busy",
    )
    files = _files(_of(p, TEMPLATE)["worker"])
    scrape = json.loads(files[PROMETHEUS])
    assert scrape["global"] == {"scrape_interval": "5s", "scrape_timeout": "5s"}  # a timeout within the interval
    (job,) = scrape["scrape_configs"]
    assert (job["metrics_path"], job["static_configs"][0]["targets"]) == ("/prom", ["127.0.0.1:9100"])
    emf = json.loads(files[AGENT])["logs"]["metrics_collected"]["prometheus"]["emf_processor"]
    assert emf["metric_declaration"][0]["metric_selectors"] == ["^db_pool_busy$"]
    assert _env(files)["METRICS_PORT"] == "9100"


ECR_IMAGE = "210987654321.dkr.ecr.eu-west-1.amazonaws.com/team/app:2.1.0"


def test_images_in_ecr_are_pulled_through_the_instance_role_with_pull_rights_on_their_repository_only(plan):
    p = plan("dev", f"blueGreen.releases.green.image={ECR_IMAGE}")
    templates = _of(p, TEMPLATE)
    login = (
        "aws ecr get-login-password --region eu-west-1 | docker login --username AWS --password-stdin "
        "210987654321.dkr.ecr.eu-west-1.amazonaws.com"
    )
    assert login in _files(templates["web-green"])[START]
    assert "ecr get-login-password" not in _files(templates["web-blue"])[START]  # any other registry: no login
    statements = _role_statements(p)
    assert statements["EcrLogin"] == {
        "Sid": "EcrLogin",
        "Effect": "Allow",
        "Action": "ecr:GetAuthorizationToken",  # has no resource-level permissions
        "Resource": "*",
    }
    pull = statements["EcrPullReleases"]
    assert pull["Action"] == ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    assert pull["Resource"] == ["arn:aws:ecr:eu-west-1:210987654321:repository/team/app"]
    assert not {"EcrLogin", "EcrPullReleases"} & set(_role_statements(plan("dev")))


def _role_statements(p):
    role_policy = next(r for r in p.children(COMPONENT) if r.type == "aws:iam/rolePolicy:RolePolicy")
    return {s["Sid"]: s for s in json.loads(role_policy.inputs["policy"])["Statement"]}


def test_instance_role_is_scoped_to_the_apps_resources(plan):
    p = plan("prod")
    role_policy = next(r for r in p.children(COMPONENT) if r.type == "aws:iam/rolePolicy:RolePolicy")
    statements = _role_statements(p)
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
    log_names = [*p.outputs["aws_app_log_group_names"].value.values(), "/platform/prod/prometheus"]
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
